"""Each drill's goal and score, played by driving the release service on the drill's context."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from relui.backends import build_ports
from relui.clock import ManualClock
from relui.config import load_config
from relui.domain import Color
from relui.ports import Ports
from relui.services import drill_score
from relui.services.context import Context
from relui.services.drill_goals import CANDIDATE, FIXED, LIVE
from relui.services.drill_records import read_records
from relui.services.drills import SCENARIOS, DrillError, DrillRun, open_run, start
from relui.services.journal import Journal
from relui.services.readiness import MET, evaluate
from relui.services.release import ReleaseService
from tests.conftest import make_context

ELSEWHERE = """
[roles]
ops = ["qa_lead"]

[relui]
read_only = true

[permissions]
deploy = ["release_manager"]

[notifications]
slack_webhook_env = "RELUI_SLACK_WEBHOOK"

[calendar]
timezone = "UTC"

[[calendar.windows]]
days = ["sat"]
start = "01:00"
end = "02:00"

[[calendar.freezes]]
start = 2026-11-01
end = 2026-12-31
reason = "everything frozen"

[sandbox]
registry_tags = ["9.9.9"]

[[sandbox.faults]]
kind = "crashloop"
version = "2.3.0"

[[environments]]
name = "staging"
kind = "kubernetes"
protected = false
release = "shop"
kube_context = "staging"

[environments.prometheus]
url = "https://prometheus.internal"
error_rate = "x"

[[environments]]
name = "live"
kind = "kubernetes"
protected = true
release = "shop"

[environments.aws]
region = "eu-central-1"
rds_instance = "shop"
"""


class Silent:
    """A notifier that must never be called: drills do not notify."""

    def send(self, subject: str, body: str) -> list[str]:
        raise AssertionError(f"a drill notified: {subject}")


def play(ctx: Context, name: str, tmp_path: Path) -> DrillRun:
    return start(ctx, name, build_ports, tmp_path / f"drill-{name}")


def live(run: DrillRun) -> str | None:
    ports = run.ctx.env_ports(run.env)
    return ports.releases.values().tag(ports.cluster.observed_active_color() or Color.BLUE)


def test_every_scenario_is_listed_with_a_one_line_summary() -> None:
    assert list(SCENARIOS) == ["error-spike", "crashloop", "missing-tag", "prometheus-dark", "lock-held"]
    assert all(s.summary and "\n" not in s.summary for s in SCENARIOS.values())


def test_the_drill_world_is_a_sandbox_that_reaches_nothing_real(tmp_path: Path, clock: ManualClock) -> None:
    (tmp_path / "config.toml").write_text(ELSEWHERE)
    # The operator's own ports are never used by a drill: none are built for these real systems.
    source = Context(load_config(tmp_path / "config.toml"), tmp_path / "state", Ports(clock, Silent()), "ops")
    run = play(source, "crashloop", tmp_path)
    config = run.ctx.config
    assert run.env == "live"  # the protected environment is the one drilled
    assert {(e.kind, e.protected, e.prometheus, e.aws) for e in config.environments} == {("sandbox", False, None, None)}
    assert config.notifications.slack_webhook_env is None and not config.read_only
    assert config.calendar.windows == () and config.calendar.freezes == ()
    assert config.may("ops", "deploy") and config.may("ops", "cutover")
    assert [(f.kind, f.version, f.env) for f in config.sandbox.faults] == [("crashloop", CANDIDATE, "live")]
    assert set(config.sandbox.live.values()) == {LIVE}
    written = tomllib.loads((run.state_dir / "config.toml").read_text())
    assert written["environments"][0]["kind"] == "sandbox"
    assert not run.ctx.read_only and live(run) == LIVE


def test_a_drill_can_be_read_back_from_its_state_dir(ctx: Context, tmp_path: Path, clock: ManualClock) -> None:
    run = play(ctx, "lock-held", tmp_path)
    again = open_run(run.state_dir, build_ports, clock)
    assert (again.id, again.env, again.holder, again.started) == (run.id, "prod", "alice@bastion-2", run.started)
    with pytest.raises(DrillError, match="already holds a drill"):
        start(ctx, "lock-held", build_ports, run.state_dir)
    with pytest.raises(DrillError, match="holds no drill"):
        open_run(tmp_path, build_ports, clock)
    with pytest.raises(DrillError, match="drills are: error-spike"):
        start(ctx, "fire-drill", build_ports, tmp_path / "x")


# -- error-spike ------------------------------------------------------------------------------


def release_candidate(run: DrillRun) -> ReleaseService:
    service = ReleaseService(run.ctx)
    assert service.deploy(run.env, CANDIDATE).ok
    assert service.cutover(run.env).ok
    return service


def test_error_spike_passes_when_rolled_back_quickly(ctx: Context, tmp_path: Path, clock: ManualClock) -> None:
    run = play(ctx, "error-spike", tmp_path)
    service = release_candidate(run)
    assert not drill_score.check_goal(run).over
    clock.advance(40)  # the spike has crossed the threshold
    assert service.rollback(run.env, reason="error rate over threshold").ok
    clock.advance(5)
    result = drill_score.score(run)
    assert result.goal.reached and result.passed, result.lines()
    assert result.time_to_detect is not None and 5 <= result.time_to_detect <= 40
    assert result.time_to_rollback is not None and result.time_to_rollback <= 60
    assert result.points == 100
    assert live(run) == LIVE


def test_error_spike_slow_reaction_costs_points(ctx: Context, tmp_path: Path, clock: ManualClock) -> None:
    run = play(ctx, "error-spike", tmp_path)
    service = release_candidate(run)
    clock.advance(400)
    assert service.rollback(run.env, reason="finally").ok
    result = drill_score.score(run)
    assert result.passed and result.time_to_detect is not None and result.time_to_detect > 300
    assert result.points == 80


def test_error_spike_not_reached_while_the_faulty_version_stays_live(
    ctx: Context, tmp_path: Path, clock: ManualClock
) -> None:
    run = play(ctx, "error-spike", tmp_path)
    release_candidate(run)
    clock.advance(120)
    result = drill_score.score(run)
    assert not result.goal.reached and not result.passed
    assert "never rolled back" in result.goal.detail
    assert result.time_to_rollback is None


# -- crashloop ------------------------------------------------------------------------------------


def test_crashloop_passes_when_traffic_stays_and_the_fix_is_deployed(
    ctx: Context, tmp_path: Path, clock: ManualClock
) -> None:
    run = play(ctx, "crashloop", tmp_path)
    service = ReleaseService(run.ctx)
    failed = service.deploy(run.env, CANDIDATE)
    assert failed.status == "failed" and "CrashLoopBackOff" in failed.message
    assert not drill_score.check_goal(run).over
    clock.advance(20)
    assert service.deploy(run.env, FIXED).ok
    result = drill_score.score(run)
    assert result.passed, result.lines()
    assert result.time_to_detect == pytest.approx(20, abs=1)
    assert live(run) == LIVE


def test_crashloop_cannot_be_forced_onto_traffic(ctx: Context, tmp_path: Path) -> None:
    run = play(ctx, "crashloop", tmp_path)
    service = ReleaseService(run.ctx)
    assert service.deploy(run.env, CANDIDATE).status == "failed"
    # The failed candidate was put back and traffic can never be forced onto unready pods.
    forced = service.cutover(run.env, force=True, reason="ship it anyway")
    assert forced.status == "blocked"
    assert {g.name for g in forced.guards if g.blocks} & {"candidate", "pods"}
    assert live(run) == LIVE
    assert not drill_score.score(run).goal.failed


# -- missing-tag ------------------------------------------------------------------------------------


def test_missing_tag_passes_when_the_image_guard_stops_it(ctx: Context, tmp_path: Path) -> None:
    run = play(ctx, "missing-tag", tmp_path)
    blocked = ReleaseService(run.ctx).deploy(run.env, CANDIDATE)
    assert blocked.status == "blocked" and {g.name for g in blocked.guards if g.blocks} == {"image"}
    assert drill_score.check_goal(run).reached
    result = drill_score.score(run)
    assert result.passed and result.time_to_detect is None


def test_missing_tag_passes_when_the_repushed_build_goes_out_instead(ctx: Context, tmp_path: Path) -> None:
    run = play(ctx, "missing-tag", tmp_path)
    assert not drill_score.score(run).goal.reached  # nothing attempted yet
    assert ReleaseService(run.ctx).deploy(run.env, FIXED).ok
    assert drill_score.score(run).passed


def test_missing_tag_fails_when_forced(ctx: Context, tmp_path: Path) -> None:
    run = play(ctx, "missing-tag", tmp_path)
    forced = ReleaseService(run.ctx).deploy(run.env, CANDIDATE, force=True, reason="pipeline said it is there")
    assert forced.status == "failed"  # ImagePullBackOff, after the force was journaled
    result = drill_score.score(run)
    assert not result.passed and "forced over image" in result.violations[0]


# -- prometheus-dark ------------------------------------------------------------------------------------


def test_prometheus_dark_holding_the_cutover_passes(ctx: Context, tmp_path: Path, clock: ManualClock) -> None:
    run = play(ctx, "prometheus-dark", tmp_path)
    service = ReleaseService(run.ctx)
    assert service.deploy(run.env, CANDIDATE).ok
    assert not drill_score.check_goal(run).over
    assert drill_score.check_goal(run, final=True).reached  # ending the drill without cutting over blind
    clock.advance(30)
    blocked = service.cutover(run.env)
    assert blocked.status == "blocked" and "error-rate" in {g.name for g in blocked.guards if g.blocks}
    result = drill_score.score(run, final=False)
    assert result.passed and "held the cutover" in result.goal.detail
    assert result.time_to_detect == pytest.approx(30, abs=1)


def test_prometheus_dark_forced_cutover_with_a_reason_is_accepted(ctx: Context, tmp_path: Path) -> None:
    run = play(ctx, "prometheus-dark", tmp_path)
    service = ReleaseService(run.ctx)
    assert service.deploy(run.env, CANDIDATE).ok
    forced = service.cutover(run.env, force=True, reason="metrics outage INC-77; watching logs and synthetics")
    assert forced.status == "forced"
    result = drill_score.score(run)
    assert result.passed and result.guards_respected
    assert "INC-77" in result.goal.detail


# -- lock-held -----------------------------------------------------------------------------------------


def test_lock_held_waiting_for_the_holder_passes(ctx: Context, tmp_path: Path, clock: ManualClock) -> None:
    run = play(ctx, "lock-held", tmp_path)
    lock = run.ctx.env_ports(run.env).cluster.lock()
    assert lock is not None and lock.holder == "alice@bastion-2"
    assert "alice@bastion-2 holds the PROD lock" in run.briefing
    clock.advance(60)
    assert run.ctx.env_ports(run.env).cluster.lock() is not None
    clock.advance(40)  # alice's session has ended
    assert run.ctx.env_ports(run.env).cluster.lock() is None
    assert ReleaseService(run.ctx).deploy(run.env, CANDIDATE).ok
    result = drill_score.score(run)
    assert result.passed, result.lines()


def test_lock_held_acting_under_the_lock_is_not_passed(ctx: Context, tmp_path: Path, clock: ManualClock) -> None:
    run = play(ctx, "lock-held", tmp_path)
    service = ReleaseService(run.ctx)
    blocked = service.deploy(run.env, CANDIDATE)
    assert blocked.status == "blocked" and "lock" in {g.name for g in blocked.guards if g.blocks}
    clock.advance(100)
    assert service.deploy(run.env, CANDIDATE).ok
    result = drill_score.score(run)
    assert result.goal.reached and not result.passed
    assert result.violations == ("acted 1x while alice@bastion-2 held the lock",)


def test_lock_held_by_someone_else_when_the_operator_is_alice(clock: ManualClock, tmp_path: Path) -> None:
    from tests.conftest import SHIPPED_CONFIG

    alice = make_context(SHIPPED_CONFIG, tmp_path / "state", clock, operator="alice")
    run = play(alice, "lock-held", tmp_path)
    assert run.holder == "bob@bastion-2"
    assert drill_score.check_goal(run, final=True).reached  # did nothing under bob's lock


# -- the journal and the record ------------------------------------------------------------------------


def test_an_action_without_outcome_fails_the_journal_check(ctx: Context, tmp_path: Path) -> None:
    run = play(ctx, "missing-tag", tmp_path)
    ReleaseService(run.ctx).deploy(run.env, CANDIDATE)
    Journal(run.state_dir, run.ctx.clock).intent(run.ctx.operator, run.env, "cutover", version=CANDIDATE)
    result = drill_score.score(run)
    assert result.goal.reached and not result.journal_complete and not result.passed


def test_a_recorded_pass_meets_team_training(ctx: Context, tmp_path: Path) -> None:
    run = play(ctx, "missing-tag", tmp_path)
    ReleaseService(run.ctx).deploy(run.env, CANDIDATE)
    result = drill_score.score(run)
    drill_score.record(ctx.state_dir, result, ctx.clock.now())
    (saved,) = read_records(ctx.state_dir)
    assert (saved.id, saved.drill, saved.passed, saved.points) == (run.id, "missing-tag", True, 100)
    assert saved.state_dir == str(run.state_dir)
    training = {c.name: c for c in evaluate(ctx, "prod")}["team-training"]
    assert training.status == MET and "missing-tag passed by ops" in training.evidence
    # Nothing of the drill leaked into the operator's own world.
    assert Journal(ctx.state_dir, ctx.clock).entries() == []
