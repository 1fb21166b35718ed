"""The CLI says the way out of a refusal as it always has; ``--json`` carries it as data too."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from relui.clock import ManualClock
from relui.commands.remedies import remedy_command, remedy_json, with_remedy
from relui.domain import Remedy, RemedyKind
from relui.services.release import LockRefused, ReleaseService
from tests.conftest import drill_config, make_context
from tests.unit.test_cli import Relui


@pytest.mark.parametrize(
    ("kind", "argument", "line", "command"),
    [
        (RemedyKind.SMOKE, None, "x; run: relui smoke prod", "relui smoke prod"),
        (RemedyKind.DEPLOY, None, "x; run: relui deploy prod VERSION", "relui deploy prod VERSION"),
        (RemedyKind.INSTALL, None, "x; start it with: relui install prod VERSION", "relui install prod VERSION"),
        (RemedyKind.CHECKLIST, None, "x; see: relui checklist prod", "relui checklist prod"),
        (
            RemedyKind.SIGNOFF,
            None,
            "x; a product owner runs: relui signoff prod --role product_owner",
            "relui signoff prod --role product_owner",
        ),
        (RemedyKind.HOTFIX, None, "x; for an urgent fix use --hotfix REASON", "relui cutover prod --hotfix REASON"),
        (RemedyKind.READINESS, None, "x; see relui readiness prod", "relui readiness prod"),
        (RemedyKind.TO_REVISION, "7", "x; use --to-revision 7", "relui rollback prod --to-revision 7"),
        (
            RemedyKind.BREAK_GLASS,
            None,
            "x: relui approve prod --break-glass --reason TEXT",
            "relui approve prod --break-glass --reason TEXT",
        ),
        (
            RemedyKind.UNLOCK_FORCE,
            None,
            "x; to take it over: relui unlock prod --force --reason TEXT",
            "relui unlock prod --force --reason TEXT",
        ),
        (RemedyKind.JOURNAL_VERIFY, None, "x; see: relui journal verify prod", "relui journal verify prod"),
        (RemedyKind.WHOAMI, None, "x; see: relui whoami prod", "relui whoami prod"),
    ],
)
def test_each_remedy_reads_as_the_cli_always_said_it(
    kind: RemedyKind, argument: str | None, line: str, command: str
) -> None:
    remedy = Remedy(kind, "prod", argument)
    assert with_remedy("x", remedy) == line
    assert remedy_command(remedy) == command


def test_every_kind_has_cli_words() -> None:
    for kind in RemedyKind:
        assert remedy_command(Remedy(kind, "qa", "1")).startswith("relui ")


@pytest.fixture
def relui(tmp_path: Path) -> Relui:
    return Relui(drill_config(tmp_path, time_scale=50, always_open=True), tmp_path / "state")


def test_blocked_prod_cutover_text_is_unchanged_and_json_carries_the_remedy(relui: Relui) -> None:
    assert relui("deploy", "prod", "1.6.0", "--yes").returncode == 0
    blocked = relui("cutover", "prod", "--yes")
    assert blocked.returncode == 3
    lines = blocked.stderr.splitlines()
    assert (
        "  BLOCK signoff: no product_owner sign-off for 1.6.0; "
        "a product owner runs: relui signoff prod --role product_owner" in lines
    )
    assert any(
        line.startswith("  BLOCK checklist: ") and line.endswith("; see: relui checklist prod") for line in lines
    )
    assert any(
        line.startswith("  BLOCK readiness: go-live criteria not met: ") and line.endswith("; see relui readiness prod")
        for line in lines
    )
    assert (
        "  BLOCK break-glass: forcing on a protected environment needs a second person's approval: "
        "relui approve prod --break-glass --reason TEXT" in lines
    )

    done = relui("cutover", "prod", "--yes", "--json")
    assert done.returncode == 3
    guards = {g["name"]: g for g in json.loads(done.stdout)["guards"]}
    assert guards["checklist"]["remedy"] == {
        "kind": "checklist",
        "env": "prod",
        "argument": None,
        "command": "relui checklist prod",
    }
    assert guards["checklist"]["reason"].endswith("; see: relui checklist prod")
    assert guards["break-glass"]["remedy"]["command"] == "relui approve prod --break-glass --reason TEXT"
    assert guards["pods"]["verdict"] == "pass" and guards["pods"]["remedy"] is None


def test_a_lock_takeover_refusal_names_the_forced_unlock(tmp_path: Path) -> None:
    ctx = make_context(drill_config(tmp_path), tmp_path / "state", ManualClock())
    ctx.env_ports("prod").cluster.acquire_lock("carol@bastion-2")
    with pytest.raises(LockRefused) as refused:
        ReleaseService(ctx).release_lock("prod")
    assert refused.value.remedy == Remedy(RemedyKind.UNLOCK_FORCE, "prod")
    assert with_remedy(str(refused.value), refused.value.remedy).endswith(
        "; to take it over: relui unlock prod --force --reason TEXT"
    )
    assert remedy_json(None) is None
