"""What a QA audit found to get past a second person or a decision: each way, refused.

Whoever deployed a release neither approves forcing it nor signs it off, a
rolled-back release is no candidate again, and traffic moves only onto what
was decided. Most are driven through the CLI on the sandbox as a pipeline
would. ``lead`` holds devops and product_owner; ``bob`` is a second devops operator.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from relui.clock import SystemClock
from relui.domain import Color, ReleaseValues, Revision
from relui.services.actions import Action
from relui.services.context import Context
from relui.services.guards import GuardResult
from relui.services.journal import Journal
from relui.services.plans import Plan
from relui.services.release import ReleaseService
from relui.services.release_state import deployers_in_history, release_state
from relui.services.requests import Decision, Request
from tests.conftest import IN_WINDOW, drill_config
from tests.unit.test_cli import Relui

TEAM = 'lead = ["devops", "product_owner"]\nbob = ["devops"]\n'


def team_config(tmp_path: Path, extra: str = "") -> Path:
    path = drill_config(tmp_path, time_scale=50, always_open=True)
    text = path.read_text().replace('qa = ["qa_lead"]\n', 'qa = ["qa_lead"]\n' + TEAM, 1)
    path.write_text(text + extra)
    return path


@pytest.fixture
def relui(tmp_path: Path) -> Relui:
    return Relui(team_config(tmp_path), tmp_path / "state")


def test_the_deployer_cannot_give_the_break_glass_for_their_own_release(relui: Relui) -> None:
    assert relui("deploy", "prod", "1.6.0", "--yes", user="lead").returncode == 0
    approve = ("approve", "prod", "--break-glass", "--action", "cutover", "--reason", "checklist tool down", "--yes")
    approved = relui(*approve, user="lead")
    assert approved.returncode == 0

    forced = relui("cutover", "prod", "--yes", "--force", "--reason", "forced by bob", user="bob")
    assert forced.returncode == 3, forced.stdout + forced.stderr
    assert "break-glass" in forced.stdout + forced.stderr
    assert relui.json("status", "prod")["environments"][0]["active_color"] == "blue"

    # Someone who did not deploy it may: the rule is about the deployer, not about approvals.
    assert (
        relui(
            "approve", "prod", "--break-glass", "--action", "cutover", "--reason", "checklist tool down", "--yes"
        ).returncode
        == 0
    )
    forced = relui("cutover", "prod", "--yes", "--force", "--reason", "forced by bob", user="bob")
    assert forced.returncode == 0, forced.stdout + forced.stderr
    assert relui.json("status", "prod")["environments"][0]["active_color"] == "green"


def test_permissions_approve_says_who_may_approve(tmp_path: Path) -> None:
    relui = Relui(team_config(tmp_path, '\n[permissions]\napprove = ["qa_lead"]\n'), tmp_path / "state")

    refused = relui(
        "approve", "prod", "--break-glass", "--action", "cutover", "--reason", "INC-7", "--yes", user="owner"
    )
    assert refused.returncode == 3
    assert "[permissions] approve allows qa_lead" in refused.stderr

    assert (
        relui(
            "approve", "prod", "--break-glass", "--action", "cutover", "--reason", "INC-7", "--yes", user="qa"
        ).returncode
        == 0
    )


def test_a_deployer_who_empties_the_journal_is_still_the_deployer(relui: Relui) -> None:
    assert relui("deploy", "prod", "1.6.0", "--yes", user="lead").returncode == 0
    (relui.state / "journal.jsonl").unlink()  # the plainest rewrite: no deploy record is left

    signed = relui("signoff", "prod", "--role", "product_owner", "--yes", user="lead")
    assert signed.returncode == 3, signed.stdout + signed.stderr
    assert "deployed" in signed.stderr


def test_a_rolled_back_release_put_back_after_a_failed_deploy_is_no_candidate(relui: Relui) -> None:
    assert relui("deploy", "qa", "1.6.0", "--yes").returncode == 0
    assert relui("cutover", "qa", "--yes").returncode == 0
    assert relui("rollback", "qa", "--yes", "--reason", "error rate above 5%").returncode == 0
    failed = relui("deploy", "qa", "1.6.1-rc1", "--yes")  # crash-loops; green is put back on 1.6.0
    assert failed.returncode == 1 and "put back" in failed.stdout + failed.stderr

    again = relui("cutover", "qa", "--yes")
    assert again.returncode == 3, again.stdout + again.stderr
    qa = relui.json("status", "qa")["environments"][0]
    assert qa["active_color"] == "blue" and qa["colors"]["blue"]["version"] == "1.4.2"


def _rev(number: int, description: str, blue: str, green: str | None, active: Color) -> Revision:
    values = ReleaseValues(active, blue, green, True, green is not None)
    return Revision(number, "superseded", description, IN_WINDOW, values)


def test_a_restore_brings_back_the_candidate_it_put_back() -> None:
    """Put back onto a revision whose idle color was a candidate, it is one again; onto one that was not, not."""
    history = [
        _rev(1, "relui install 1.4.2 on blue by ops", "1.4.2", None, Color.BLUE),
        _rev(2, "relui deploy 1.5.1 to green by ops", "1.4.2", "1.5.1", Color.BLUE),
        _rev(3, "relui deploy 1.6.1-rc1 to green by ops", "1.4.2", "1.6.1-rc1", Color.BLUE),
        _rev(4, "relui restore revision 2 by ops: smoke failed", "1.4.2", "1.5.1", Color.BLUE),
    ]
    state = release_state(history, history[-1].values)  # type: ignore[arg-type]
    assert state.candidate_version == "1.5.1"

    rolled_back = [
        *history[:2],
        _rev(3, "relui cutover blue->green by ops", "1.4.2", "1.5.1", Color.GREEN),
        _rev(4, "relui rollback green->blue by ops: 5xx", "1.4.2", "1.5.1", Color.BLUE),
        _rev(5, "relui deploy 1.6.1-rc1 to green by ops", "1.4.2", "1.6.1-rc1", Color.BLUE),
        _rev(6, "relui restore revision 4 by ops: crash-looped", "1.4.2", "1.5.1", Color.BLUE),
    ]
    state = release_state(rolled_back, rolled_back[-1].values)  # type: ignore[arg-type]
    assert state.candidate is None
    assert state.idle_version == "1.5.1" and "1.5.1" in state.rolled_back_from


def test_the_release_history_names_who_deployed() -> None:
    history = [
        _rev(1, "relui install 1.4.2 on blue by arn:aws:sts::1:assumed-role/ops/x: first", "1.4.2", None, Color.BLUE),
        _rev(2, "relui deploy 1.5.1 to green by carol: release 1.5.1", "1.4.2", "1.5.1", Color.BLUE),
        _rev(3, "relui deploy 1.5.1 to green by dave", "1.4.2", "1.5.1", Color.BLUE),
        _rev(4, "relui restore revision 2 by erin: smoke failed", "1.4.2", "1.5.1", Color.BLUE),
        _rev(5, "Upgrade complete", "1.4.2", "1.5.1", Color.BLUE),
    ]
    assert deployers_in_history(history, "1.5.1") == {"carol", "dave"}
    assert deployers_in_history(history, "1.4.2") == {"arn:aws:sts::1:assumed-role/ops/x"}
    assert deployers_in_history(history, None) == frozenset()


def test_traffic_does_not_follow_a_decision_the_idle_color_changed_under(ctx: Context) -> None:
    """While the cutover's confirm is open, another machine stages 1.4.2 on green: its 0/3 pods get no traffic."""
    service = ReleaseService(ctx)
    assert service.deploy("qa", "1.5.1").ok
    ports = ctx.env_ports("qa")

    def another_machine_meanwhile(plan: Plan, guards: tuple[GuardResult, ...]) -> Decision:
        ports.releases.deploy(Color.GREEN, "1.4.2", "relui rollback to revision 1: 1.4.2 on green by bob")
        return Decision(True, reason="release 1.5.1")

    result = service.run(Request(Action.CUTOVER, "qa", reason="release 1.5.1"), another_machine_meanwhile)
    assert result.status == "failed", result.message
    assert "green changed since this was decided" in result.message and "nothing was switched" in result.message
    assert ports.cluster.observed_active_color() == Color.BLUE
    outcome = Journal(ctx.state_dir, ctx.clock).entries("qa")[-1]
    assert outcome.kind == "outcome" and outcome.status == "failed"


def test_an_instant_rollback_goes_only_onto_the_warm_color_it_was_decided_on(ctx: Context) -> None:
    service = ReleaseService(ctx)
    assert service.deploy("qa", "1.5.1").ok and service.cutover("qa").ok
    ports = ctx.env_ports("qa")

    def blue_restaged_meanwhile(plan: Plan, guards: tuple[GuardResult, ...]) -> Decision:
        ports.releases.deploy(Color.BLUE, "1.6.1-rc1", "relui deploy 1.6.1-rc1 to blue by bob")
        return Decision(True, reason="5xx")

    result = service.run(Request(Action.ROLLBACK, "qa", reason="5xx"), blue_restaged_meanwhile)
    assert result.status == "failed" and "blue changed since this was decided" in result.message
    assert ports.cluster.observed_active_color() == Color.GREEN


@pytest.mark.parametrize("given", ["", "  ", "1.5.1 ", "../1.5.1"])
def test_an_approval_for_a_blank_or_bad_version_is_refused_not_widened_to_any_release(relui: Relui, given: str) -> None:
    # `--version "$V"` with V unset: the approver meant one release; an empty one must not mean every release.
    assert relui("deploy", "prod", "1.5.1", "--yes").returncode == 0
    approve = ("approve", "prod", "--break-glass", "--action", "cutover", "--version", given, "--reason", "INC-7")
    refused = relui(*approve, "--yes", user="lead")
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1 and "--version" in refused.stderr
    assert "leave --version out" in refused.stderr and "Traceback" not in refused.stderr
    assert not [e for e in Journal(relui.state, SystemClock()).entries("prod") if e.action == "approve"]

    forced = relui("cutover", "prod", "--yes", "--force", "--reason", "bridge call", user="bob")
    assert forced.returncode == 3 and "break-glass" in forced.stdout + forced.stderr
    assert relui.json("status", "prod")["environments"][0]["active_color"] == "blue"
