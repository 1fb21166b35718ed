"""The release service on the shipped config: the release-day drill and its refusals."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest

from relui.backends import build_ports
from relui.clock import ManualClock, SystemClock
from relui.domain import Color, MetricKind, Remedy, RemedyKind, Verdict
from relui.remedy_commands import guard_text
from relui.services.actions import Action
from relui.services.checklist import ChecklistError, Checklists
from relui.services.context import Context
from relui.services.guards import GuardResult
from relui.services.intervene import approve
from relui.services.journal import Journal
from relui.services.plans import Plan
from relui.services.problems import Problem
from relui.services.release import Progress, ReleaseService
from relui.services.requests import Decision, Request
from tests.conftest import SHIPPED_CONFIG, drill_config, make_context, meet_readiness, ready_prod_candidate

MANUAL_ITEMS = (
    "tests-passing",
    "migrations-reviewed",
    "config-validated",
    "secrets-in-place",
    "stakeholders-notified",
    "dashboards-watched",
)


def live(ctx: Context, env: str) -> tuple[Color | None, str | None]:
    ports = ctx.env_ports(env)
    color = ports.cluster.observed_active_color()
    return color, ports.releases.values().tag(color) if color else None


def test_release_day_drill(ctx: Context, as_user, clock: ManualClock) -> None:  # type: ignore[no-untyped-def]
    service = ReleaseService(ctx)
    events: list[Progress] = []

    deployed = service.deploy("qa", "1.6.0", on_progress=events.append)
    assert deployed.status == "ok", deployed.message
    assert any(e.step == "rollout" and e.done == e.total == 3 for e in events)
    assert live(ctx, "qa") == (Color.BLUE, "1.4.2")
    assert service.smoke("qa").ok
    cut = service.cutover("qa")
    assert cut.ok and live(ctx, "qa") == (Color.GREEN, "1.6.0")
    # QA is unprotected: the open checklist only warns.
    assert any(g.name == "checklist" and g.verdict is Verdict.WARN for g in cut.guards)

    assert service.deploy("prod", "1.6.0").ok
    blocked = service.cutover("prod")
    assert blocked.status == "blocked"
    reasons = {g.name: guard_text(g) for g in blocked.guards if g.verdict is Verdict.BLOCK}
    assert set(reasons) == {"checklist", "signoff", "readiness", "break-glass"}
    assert "relui signoff prod --role product_owner" in reasons["signoff"]
    assert live(ctx, "prod") == (Color.BLUE, "1.4.2")

    Checklists(as_user("owner")).sign_off("prod", "product_owner")
    for item in MANUAL_ITEMS:
        Checklists(ctx).tick("prod", item, note="done in drill")
    meet_readiness(ctx)
    cut = service.cutover("prod", reason="release 1.6.0")
    assert cut.status == "ok", cut.message
    assert live(ctx, "prod") == (Color.GREEN, "1.6.0")
    warm = ctx.env_ports("prod").cluster.color_states()[Color.BLUE]
    assert warm.all_ready and warm.version == "1.4.2"

    metrics = ctx.env_ports("prod").metrics
    assert metrics is not None
    clock.advance(180)
    rate = metrics.current(MetricKind.ERROR_RATE)[Color.GREEN]
    assert rate is not None and rate > ctx.env("prod").error_threshold

    rolled = service.rollback("prod", reason="error rate above threshold")
    assert rolled.status == "ok", rolled.message
    assert live(ctx, "prod") == (Color.BLUE, "1.4.2")
    incidents = list((ctx.state_dir / "incidents").glob("*-prod.md"))
    assert len(incidents) == 1
    record = incidents[0].read_text()
    assert "Failed version: 1.6.0" in record and "Restored version: 1.4.2" in record
    assert "Operator: ops" in record and "error rate above threshold" in record
    registry = ctx.env_ports("prod").registry
    assert registry is not None
    assert any(t.startswith("failed-1.6.0-20261126T") for t in registry.recent_tags(50))
    outbox = [json.loads(line) for line in (ctx.state_dir / "outbox.jsonl").read_text().splitlines()]
    assert any("ROLLBACK on PROD" in m["subject"] for m in outbox)

    journal = Journal(ctx.state_dir, clock)
    outcomes = [(e.env, e.action, e.status) for e in journal.entries() if e.kind == "outcome"]
    assert outcomes == [
        ("qa", "deploy", "ok"),
        ("qa", "smoke", "ok"),
        ("qa", "cutover", "ok"),
        ("prod", "deploy", "ok"),
        ("prod", "cutover", "blocked"),
        ("prod", "cutover", "ok"),
        ("prod", "rollback", "ok"),
    ]
    assert journal.interrupted() == []


def test_after_a_rollback_there_is_nothing_to_cut_over(ctx: Context) -> None:
    service = ReleaseService(ctx)
    assert service.deploy("qa", "1.5.1").ok and service.cutover("qa").ok
    assert service.rollback("qa").ok
    again = service.cutover("qa", force=True, reason="try anyway")
    assert again.status == "blocked"
    assert any(g.name == "candidate" and g.blocks for g in again.guards)
    assert live(ctx, "qa") == (Color.BLUE, "1.4.2")


def test_revision_rollback(ctx: Context) -> None:
    service = ReleaseService(ctx)
    assert service.deploy("dev", "1.5.1").ok and service.cutover("dev").ok
    assert live(ctx, "dev") == (Color.GREEN, "1.5.1")
    result = service.rollback("dev", to_revision=1, reason="back to the install")
    assert result.ok, result.message
    assert live(ctx, "dev") == (Color.BLUE, "1.5.0")
    history = ctx.env_ports("dev").releases.history()
    assert history[0].description == "relui rollback to revision 1 by ops: back to the install"
    missing = service.rollback("dev", to_revision=99)
    assert missing.status == "blocked" and "no revision 99" in missing.message + str(missing.guards)


@pytest.mark.parametrize(
    ("action", "version", "forces"),
    [
        ("cutover", "1.5.1", True),
        ("cutover", None, True),  # no release named: any release of a cutover
        ("cutover", "1.6.0", False),  # given for another release
        ("rollback", None, False),  # given for another action
        ("deploy", "1.5.1", False),
    ],
)
def test_a_break_glass_forces_only_the_action_and_release_it_was_given_for(
    ctx: Context,
    as_user,  # type: ignore[no-untyped-def]
    action: str,
    version: str | None,
    forces: bool,
) -> None:
    # The owner said yes to "force the rollback" on the bridge call; ops must not spend it on a cutover.
    service = ReleaseService(ctx)
    assert service.deploy("prod", "1.5.1").ok
    given = approve(ReleaseService(as_user("owner")), "prod", "on the bridge call", action, version)
    result = service.cutover("prod", force=True, reason="checklist tool down")
    assert (result.status == "forced") is forces, result.message
    if forces:
        intent = [e for e in Journal(ctx.state_dir, ctx.clock).entries("prod") if e.kind == "intent"][-1]
        assert intent.detail["break_glass"] == given.id and intent.detail["approved_for"] == given.purpose
    else:
        assert live(ctx, "prod") == (Color.BLUE, "1.4.2")
        assert "relui approve prod --break-glass --action cutover --version 1.5.1 --reason TEXT" in result.message


def test_forced_cutover_is_journaled_with_what_it_overrode(ctx: Context, as_user) -> None:  # type: ignore[no-untyped-def]
    service = ReleaseService(ctx)
    assert service.deploy("prod", "1.5.1").ok
    alone = service.cutover("prod", force=True, reason="CEO demo, approved by phone")
    assert alone.status == "blocked" and "break-glass" in alone.message
    assert "relui approve prod --break-glass" in next(guard_text(g) for g in alone.guards if g.name == "break-glass")
    assert live(ctx, "prod") == (Color.BLUE, "1.4.2")
    approval = approve(ReleaseService(as_user("owner")), "prod", "CEO on the phone", "cutover", "1.5.1")
    without_reason = service.cutover("prod", force=True)
    assert without_reason.status == "blocked" and "--force needs --reason" in without_reason.message
    forced = service.cutover("prod", force=True, reason="CEO demo, approved by phone")
    assert forced.status == "forced" and forced.ok
    intent = [e for e in Journal(ctx.state_dir, ctx.clock).entries("prod") if e.kind == "intent"][-1]
    assert sorted(intent.detail["forced_over"]) == ["checklist", "readiness", "signoff"]
    assert intent.detail["reason"] == "CEO demo, approved by phone"
    assert intent.detail["break_glass"] == approval.id and intent.detail["approved_by"] == "owner"
    # One approval, one action: the next forced action needs a new one.
    service.deploy("prod", "1.5.0")


def test_crashlooping_deploy_fails_and_leaves_traffic(ctx: Context) -> None:
    result = ReleaseService(ctx).deploy("qa", "1.6.1-rc1")
    assert result.status == "failed"
    assert "CrashLoopBackOff" in result.message and "shop-green-" in result.message
    assert "live traffic stays on blue (1.4.2)" in result.message
    assert live(ctx, "qa") == (Color.BLUE, "1.4.2")


def test_operator_cannot_sign_off_own_release(
    ctx: Context,
    as_user,
    tmp_path: Path,
    state_dir: Path,
    clock: ManualClock,  # type: ignore[no-untyped-def]
) -> None:
    owner = as_user("owner")
    assert ReleaseService(owner).deploy("prod", "1.5.1").status == "blocked"  # owner is no devops
    # A lead who may both deploy and sign off: the service finds in the journal that they deployed it.
    config = tmp_path / "lead.toml"
    config.write_text(SHIPPED_CONFIG.read_text().replace("[roles]\n", '[roles]\nlead = ["devops", "product_owner"]\n'))
    lead = make_context(config, state_dir, clock, operator="lead")
    assert ReleaseService(lead).deploy("prod", "1.5.1").ok
    with pytest.raises(ChecklistError, match="lead deployed this release and cannot sign it off") as refused:
        Checklists(lead).sign_off("prod", "product_owner")
    assert refused.value.problem is Problem.REFUSED
    Checklists(owner).sign_off("prod", "product_owner")  # someone else may
    try:
        Checklists(ctx).sign_off("prod", "product_owner")
        raise AssertionError("ops signed as product owner")
    except ChecklistError as exc:
        assert "does not hold role 'product_owner'" in str(exc)


def test_read_only_blocks_every_action(state_dir: Path, clock: ManualClock) -> None:
    ctx = make_context(SHIPPED_CONFIG, state_dir, clock)
    ctx.read_only = True
    result = ReleaseService(ctx).rollback("qa", force=True, reason="no")
    assert result.status == "blocked" and any(g.name == "read-only" for g in result.guards if g.blocks)


def test_intent_without_outcome_is_reported_as_interrupted(ctx: Context, clock: ManualClock) -> None:
    journal = Journal(ctx.state_dir, clock)
    journal.intent("ops", "prod", "cutover", version="1.6.0")
    with (ctx.state_dir / "journal.jsonl").open("a") as handle:
        handle.write('{"torn": ')  # a crash mid-write leaves half a line
    interrupted = journal.interrupted()
    assert [(e.env, e.action) for e in interrupted] == [("prod", "cutover")]


def test_lock_held_by_another_operator_blocks(ctx: Context, as_user) -> None:  # type: ignore[no-untyped-def]
    ReleaseService(as_user("qa")).take_lock("qa")
    result = ReleaseService(ctx).deploy("qa", "1.5.1", force=True, reason="mine now")
    assert result.status == "blocked"
    assert "qa@" in next(g.reason for g in result.guards if g.name == "lock")


RACER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from relui.clock import SystemClock
    from relui.config import load_config
    from relui.backends import build_ports
    from relui.services.context import Context
    from relui.services.release import ReleaseService
    config = load_config(Path(sys.argv[1]))
    state = Path(sys.argv[2])
    ctx = Context(config, state, build_ports(config, state, SystemClock()), "ops")
    Path(sys.argv[3]).touch()
    while not Path(sys.argv[4]).exists():
        pass
    print(ReleaseService(ctx).cutover("qa").status)
    """
)


def test_two_processes_racing_cutover_exactly_one_switches(tmp_path: Path) -> None:
    config = drill_config(tmp_path, time_scale=1000, always_open=True)
    state = tmp_path / "state"
    setup = make_context(config, state, ManualClock())
    setup.ports = build_ports(setup.config, state, SystemClock())
    assert ReleaseService(setup).deploy("qa", "1.5.1").ok
    go = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", RACER, str(config), str(state), str(tmp_path / f"ready{i}"), str(go)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for i in range(2)
    ]
    while not all((tmp_path / f"ready{i}").exists() for i in range(2)):
        pass
    go.touch()
    statuses = sorted(p.communicate(timeout=120)[0].strip() for p in procs)
    assert statuses == ["blocked", "ok"]
    switches = [r for r in setup.ports.envs["qa"].releases.history() if "cutover" in r.description]
    assert len(switches) == 1


def test_redeploying_the_warm_version_makes_it_the_candidate_again(ctx: Context, clock: ManualClock) -> None:
    service = ReleaseService(ctx)
    assert service.deploy("qa", "1.5.1").ok and service.cutover("qa").ok
    # Inside the bake period blue (1.4.2) is the only instant rollback: a deploy may not replace it.
    baking = service.deploy("qa", "1.4.2")
    assert baking.status == "blocked" and "only instant rollback target" in baking.message + str(baking.guards)
    clock.advance(31 * 60)
    # Blue still runs 1.4.2 (warm); deploying 1.4.2 to it again is a real release back.
    assert service.deploy("qa", "1.4.2").ok
    assert service.cutover("qa").ok
    assert live(ctx, "qa") == (Color.BLUE, "1.4.2")


def test_outside_the_window_deploy_runs_cutover_needs_a_hotfix_reason(ctx: Context, clock: ManualClock) -> None:
    from datetime import UTC, datetime

    clock.set(datetime(2026, 11, 28, 22, 0, tzinfo=UTC))  # Saturday night in Berlin
    service = ReleaseService(ctx)
    assert service.deploy("qa", "1.5.1").ok
    qa = service.cutover("qa")
    assert qa.ok and any(g.name == "window" and g.verdict is Verdict.WARN for g in qa.guards)
    # A warning needs no way out: the cutover went ahead (the TUI's confirm has no hotfix field for it).
    assert next(g for g in qa.guards if g.name == "window").remedy is None
    assert service.deploy("prod", "1.5.1").ok
    window = next(g for g in service.check("cutover", "prod") if g.name == "window")
    assert window.blocks and window.remedy == Remedy(RemedyKind.HOTFIX, "prod")
    assert "--hotfix" in guard_text(window)
    guards = service.check("cutover", "prod", hotfix_reason="INC-42 checkout down")
    hotfix = next(g for g in guards if g.name == "window")
    assert hotfix.verdict is Verdict.PASS and "INC-42" in hotfix.reason
    # A reason of blanks or control characters is none: it passed the window (and a freeze) as one.
    for blank in (" ", "\n\t", "\x1b", "\u2028"):
        window = next(g for g in service.check("cutover", "prod", hotfix_reason=blank) if g.name == "window")
        assert window.blocks, repr(blank)
    refused = service.cutover("prod", hotfix_reason=" ")
    assert refused.status == "blocked" and any(g.name == "window" for g in refused.guards if g.blocks)


def test_deploy_plan_names_what_the_idle_color_runs_now(ctx: Context) -> None:
    service = ReleaseService(ctx)
    assert service.plan("deploy", "prod", "1.5.1").changes[0] == "green: off -> 1.5.1 (not live)"
    assert service.deploy("prod", "1.6.0").ok
    assert service.plan("deploy", "prod", "1.5.1").changes == (
        "green: 1.6.0 -> 1.5.1 (not live)",
        "live traffic stays on blue (1.4.2)",
    )


@pytest.mark.parametrize(
    "answered_at",
    [datetime(2026, 11, 26, 16, 40, tzinfo=UTC), datetime(2026, 12, 21, 9, 0, tzinfo=UTC)],
    ids=["after the window closed", "in the year-end freeze"],
)
def test_an_answer_given_long_after_the_guards_were_shown_is_checked_again(
    state_dir: Path, answered_at: datetime
) -> None:
    """The prompt waits without limit: a PROD cutover shown at 16:50 and confirmed at 17:40 went out."""
    ctx, service, clock = prod_ready_at(state_dir, datetime(2026, 11, 26, 15, 50, tzinfo=UTC))
    shown: list[GuardResult] = []

    def answers_late(plan: Plan, guards: tuple[GuardResult, ...]) -> Decision:
        shown.extend(guards)
        clock.set(answered_at)
        return Decision(True, reason="release 1.5.1")

    result = service.run(Request(Action.CUTOVER, "prod", reason="release 1.5.1"), answers_late)
    assert not any(g.blocks for g in shown), [g for g in shown if g.blocks]
    assert result.status == "blocked" and "now blocking while you were asked" in result.message
    assert "window" in result.message
    assert ctx.env_ports("prod").cluster.observed_active_color() == Color.BLUE  # traffic did not move


def test_a_rollback_with_nothing_to_go_back_to_plans_no_switch_and_tags_nothing(ctx: Context) -> None:
    """Already rolled back, the plan read 'blue -> None' and 'image 1.4.2 tagged failed': the good live version."""
    service = ReleaseService(ctx)
    assert service.deploy("qa", "1.5.1").ok and service.cutover("qa").ok and service.rollback("qa").ok
    plan = service.plan("rollback", "qa")
    assert plan.to_color is None and plan.changes == ("nothing: blue (1.4.2) stays live",)
    assert not any("tagged" in line for line in plan.changes)


def prod_ready_at(state_dir: Path, at: datetime) -> tuple[Context, ReleaseService, ManualClock]:
    """PROD with a signed-off, ticked, ready candidate, made in Thursday's window; the clock then set to ``at``."""
    clock = ManualClock(datetime(2026, 11, 26, 15, 30, tzinfo=UTC))  # Thursday 16:30 in Berlin
    ctx, service = ready_prod_candidate(SHIPPED_CONFIG, state_dir, clock)
    clock.set(at)
    return ctx, service, clock


def prod_ready_but_for_the_window(state_dir: Path) -> tuple[Context, ReleaseService]:
    """The same PROD just after Thursday's window closed in Berlin: only the window (and its break-glass) blocks."""
    ctx, service, _ = prod_ready_at(state_dir, datetime(2026, 11, 26, 16, 40, tzinfo=UTC))
    blocks = {g.name for g in service.check("cutover", "prod") if g.blocks}
    assert blocks == {"window", "break-glass"}, blocks
    return ctx, service


def test_a_hotfix_reason_given_in_the_answer_releases_as_hotfix_does(state_dir: Path) -> None:
    """The TUI types the hotfix reason into the confirm: the answer carries it, not the request.

    The window's block made a break-glass block (forcing on PROD), which no answer can force;
    the service refused before reading the answer, so the TUI's hotfix field could never release.
    """
    ctx, service = prod_ready_but_for_the_window(state_dir)
    shown: list[GuardResult] = []

    def typed_a_hotfix(plan: Plan, guards: tuple[GuardResult, ...]) -> Decision:
        shown.extend(guards)
        return Decision(True, reason="release 1.5.1", hotfix_reason="INC-42 checkout down")

    result = service.run(Request(Action.CUTOVER, "prod"), typed_a_hotfix)
    assert {g.name for g in shown if g.blocks} == {"window", "break-glass"}
    assert result.ok, result.message
    assert live(ctx, "prod") == (Color.GREEN, "1.5.1")
    window = next(g for g in result.guards if g.name == "window")
    assert window.verdict is Verdict.PASS and "INC-42" in window.reason
    intent = next(e for e in Journal(ctx.state_dir, ctx.clock).entries("prod") if e.action == "cutover")
    assert "INC-42 checkout down" in json.dumps(intent.detail)


def test_an_answer_without_a_hotfix_still_meets_the_blocks_it_cannot_pass(state_dir: Path) -> None:
    ctx, service = prod_ready_but_for_the_window(state_dir)
    # A pipeline's --yes, or a cancelled modal: the attempt is journaled as blocked, with the way out.
    for answer in (Decision(True, reason="go"), Decision(False, note="cancelled")):
        refused = service.run(Request(Action.CUTOVER, "prod"), lambda plan, guards, a=answer: a)
        assert refused.status == "blocked" and "break-glass" in refused.message
        assert live(ctx, "prod") == (Color.BLUE, "1.4.2")


@pytest.mark.parametrize(
    ("action", "version", "to_revision", "says"),
    [
        (Action.CUTOVER, "1.6.0", None, "cutover takes no version"),
        (Action.ROLLBACK, "1.4.2", None, "rollback takes no version"),
        (Action.SMOKE, "1.6.0", None, "smoke takes no version"),
        (Action.CUTOVER, None, 1, "cutover takes no revision"),
    ],
)
def test_the_service_refuses_what_an_action_does_not_take(
    ctx: Context,
    as_user,  # type: ignore[no-untyped-def]
    action: Action,
    version: str | None,
    to_revision: int | None,
    says: str,
) -> None:
    # The owner approved forcing the cutover of 1.6.0; a caller cutting over 1.5.1 while naming 1.6.0
    # would have had the approval checked against 1.6.0, and spent it on 1.5.1.
    service = ReleaseService(ctx)
    assert service.deploy("prod", "1.5.1").ok
    approve(ReleaseService(as_user("owner")), "prod", "on the bridge call", "cutover", "1.6.0")
    request = Request(action, "prod", version, to_revision, reason="bridge call")
    result = service.run(request, lambda _plan, _guards: Decision(True, force=True, reason="bridge call"))
    assert result.status == "invalid" and says in result.message, result.message
    assert live(ctx, "prod") == (Color.BLUE, "1.4.2")
    with pytest.raises(ValueError, match=says):
        service.preview(action, "prod", version, to_revision)


@pytest.mark.parametrize("what", ["sign_off", "tick"])
def test_a_record_for_a_release_no_longer_in_play_is_refused_for_every_caller(as_user, what: str) -> None:  # type: ignore[no-untyped-def]
    """The service holds it, not a face: whatever names the release shown, a deploy since is never signed unseen."""
    owner, ops = as_user("owner"), as_user("ops")
    assert ReleaseService(ops).deploy("qa", "1.5.1").ok  # after the owner's screen showed 1.4.2
    checklists = Checklists(owner)
    with pytest.raises(ChecklistError, match=r"release in play is 1\.5\.1 now, not 1\.4\.2 as shown") as refused:
        if what == "sign_off":
            checklists.sign_off("qa", "product_owner", expect="1.4.2")
        else:
            checklists.tick("qa", "tests-passing", note="CI 1", expect="1.4.2")
    assert refused.value.problem is Problem.REFUSED
    view = checklists.view("qa", "1.5.1", evaluate=False)
    assert view.signoffs == () and not any(s.done for s in view.items if not s.automatic)
    if what == "sign_off":  # the release named is the one in play: recorded
        assert checklists.sign_off("qa", "product_owner", expect="1.5.1").user == "owner"
