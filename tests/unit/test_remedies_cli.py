"""The CLI says the way out of a refusal as it always has; ``--json`` carries it as data too."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from relui.clock import ManualClock
from relui.domain import Remedy, RemedyKind
from relui.remedy_commands import remedy_command, remedy_json, with_remedy
from relui.services.readiness import evaluate, evidence_problem
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
            "cutover 1.6.0",
            "x: relui approve prod --break-glass --action cutover --version 1.6.0 --reason TEXT",
            "relui approve prod --break-glass --action cutover --version 1.6.0 --reason TEXT",
        ),
        (
            RemedyKind.BREAK_GLASS,
            "rollback",
            "x: relui approve prod --break-glass --action rollback --reason TEXT",
            "relui approve prod --break-glass --action rollback --reason TEXT",
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
        "relui approve prod --break-glass --action cutover --version 1.6.0 --reason TEXT" in lines
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
    assert guards["break-glass"]["remedy"]["command"] == (
        "relui approve prod --break-glass --action cutover --version 1.6.0 --reason TEXT"
    )
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


def test_readiness_reads_as_before_while_the_criteria_carry_their_remedy(relui: Relui, tmp_path: Path) -> None:
    shown = relui("readiness", "prod")
    assert shown.returncode == 1
    rows = {line.split()[0]: line for line in shown.stdout.splitlines()[2:]}
    assert rows["security-review"].endswith(
        "OAuth2 flows validated: not recorded; secrets rotated: not recorded "
        "(record: relui readiness prod signoff oauth2-flows --evidence URL)"
    )
    assert rows["disaster-recovery"].endswith(
        "restore test: not recorded (record: relui readiness prod signoff restore-test --evidence URL)"
    )
    assert re.search(
        r"has passed no failure drill yet \([a-z, -]+\); run one: relui drill --list \(must be under \d+ days old\)$",
        rows["team-training"],
    )
    by_name = {c["name"]: c for c in json.loads(relui("readiness", "prod", "--json").stdout)["criteria"]}
    assert by_name["security-review"]["evidence"] == rows["security-review"].split(None, 3)[3]

    ctx = make_context(drill_config(tmp_path), tmp_path / "state", ManualClock())
    criteria = {c.name: c for c in evaluate(ctx, "prod")}
    assert criteria["security-review"].remedy == Remedy(RemedyKind.READINESS_SIGNOFF, "prod", "oauth2-flows")
    assert "relui" not in criteria["security-review"].detail
    assert criteria["team-training"].remedy is not None and criteria["team-training"].remedy.kind is RemedyKind.DRILL
    assert criteria["observability"].remedy is None


def test_an_evidence_link_is_checked_before_anything_is_recorded() -> None:
    assert evidence_problem("https://wiki.example/review") is None
    assert evidence_problem(" http://ticket.example/42 ") is None
    for bad in ("wiki.example/review", "ftp://host/x", "https://", ""):
        problem = evidence_problem(bad)
        assert problem is not None and problem.startswith("evidence must be a link (https://...)")


def test_a_refusal_keeps_the_cli_line_and_carries_its_remedy(tmp_path: Path) -> None:
    ctx = make_context(drill_config(tmp_path), tmp_path / "state", ManualClock())
    service = ReleaseService(ctx)
    assert service.deploy("prod", "1.6.0").ok
    blocked = service.cutover("prod")
    assert blocked.status == "blocked" and blocked.remedy == Remedy(RemedyKind.BREAK_GLASS, "prod", "cutover 1.6.0")
    assert "relui" not in blocked.summary
    expected = ": relui approve prod --break-glass --action cutover --version 1.6.0 --reason TEXT"
    assert blocked.message == blocked.summary + expected
    done = service.deploy("qa", "1.6.0")
    assert done.ok and done.remedy is None and done.message == done.summary
