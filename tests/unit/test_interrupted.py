"""Interrupted actions: an intent without an outcome, unless it still runs or someone has acted since."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from relui.clock import ManualClock
from relui.services.context import Context
from relui.services.interrupted import interrupted_actions, interrupted_lines
from relui.services.journal import Journal
from relui.statedir import exclusive
from tests.conftest import SHIPPED_CONFIG
from tests.unit.test_cli import Relui


def status_of(state_dir: Path, env: str = "qa") -> dict[str, Any]:
    done = Relui(SHIPPED_CONFIG, state_dir)("status", env, "--json")
    assert done.returncode == 0, done.stderr
    row: dict[str, Any] = json.loads(done.stdout)["environments"][0]
    return row


def cut_off_deploy(ctx: Context, version: str = "1.6.0") -> str:
    """What kill -9 mid-deploy leaves: the intent, and nothing after it."""
    journal = Journal(ctx.state_dir, ctx.clock)
    intent = journal.intent("ops", "qa", "deploy", version=version, from_color="blue", to_color="green", reason="")
    return intent.id


def test_an_intent_without_outcome_is_listed_by_status(ctx: Context) -> None:
    intent_id = cut_off_deploy(ctx)
    [found] = interrupted_actions(ctx, "qa")
    assert (found.env, found.action, found.operator, found.version, found.to_color) == (
        "qa",
        "deploy",
        "ops",
        "1.6.0",
        "green",
    )
    assert (
        found.check
        == "deploy of 1.6.0 to green never finished: check relui status qa; re-run decides from the current state"
    )
    assert interrupted_actions(ctx, "dev") == []
    assert interrupted_lines(ctx, "qa") == (f"deploy 1.6.0 by ops at 10:00 UTC: {found.check}",)

    row = status_of(ctx.state_dir)
    assert row["interrupted"] == [
        {
            "action": "deploy",
            "operator": "ops",
            "at": "2026-11-26T10:00:00+00:00",
            "id": intent_id,
            "check": found.check,
            "version": "1.6.0",
        }
    ]
    text = Relui(SHIPPED_CONFIG, ctx.state_dir)("status", "qa")
    assert "  INTERRUPTED: deploy 1.6.0 by ops at 2026-11-26 10:00 UTC: deploy of 1.6.0 to green" in text.stdout
    journal = Relui(SHIPPED_CONFIG, ctx.state_dir)("journal")
    assert "INTERRUPTED on qa: deploy 1.6.0 by ops" in journal.stdout


def test_an_action_holding_its_mutex_is_running_not_interrupted(ctx: Context) -> None:
    cut_off_deploy(ctx)
    with exclusive(ctx.state_dir / "actions" / "qa", blocking=False) as held:
        assert held
        assert interrupted_actions(ctx, "qa") == []
        assert status_of(ctx.state_dir)["interrupted"] == []
    assert len(status_of(ctx.state_dir)["interrupted"]) == 1


def test_only_the_newest_intent_can_be_the_running_one(ctx: Context, clock: ManualClock) -> None:
    dead = cut_off_deploy(ctx, "1.6.0")
    cut_off_deploy(ctx, "1.6.1")
    with exclusive(ctx.state_dir / "actions" / "qa", blocking=False):
        assert [i.id for i in interrupted_actions(ctx, "qa")] == [dead]


def test_a_later_finished_action_means_someone_has_re_decided(ctx: Context) -> None:
    cut_off_deploy(ctx)
    journal = Journal(ctx.state_dir, ctx.clock)
    journal.note("ops", "qa", "tick", item="tests-passing")
    assert len(interrupted_actions(ctx, "qa")) == 1, "a note is not a finished action"
    journal.outcome(journal.intent("ops", "dev", "deploy", version="1.6.0"), "ok")
    assert len(interrupted_actions(ctx, "qa")) == 1, "another environment's action says nothing about qa"
    journal.outcome(journal.intent("ops", "qa", "deploy", version="1.6.0"), "ok")
    assert interrupted_actions(ctx, "qa") == []
    assert status_of(ctx.state_dir)["interrupted"] == []


def test_a_cutover_says_to_look_at_the_live_color(ctx: Context) -> None:
    Journal(ctx.state_dir, ctx.clock).intent(
        "alice", "prod", "cutover", version="1.6.0", from_color="blue", to_color="green"
    )
    [found] = interrupted_actions(ctx)
    assert found.check.startswith("cutover blue->green of 1.6.0 never finished: check which color is live")
    assert "relui status prod" in found.check
