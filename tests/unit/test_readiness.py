"""The readiness review: each criterion met, not met and unknown, through the sandbox ports on a manual clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from relui.adapters.sandbox import SandboxMetrics
from relui.adapters.sandbox_world import SandboxWorld
from relui.backends import build_ports
from relui.clock import ManualClock
from relui.config import load_config
from relui.domain import Color, MetricKind, Point, Series
from relui.ports import SourceUnavailable
from relui.services.checklist import Checklists
from relui.services.context import Context
from relui.services.drill_records import DrillRecord, append_record
from relui.services.journal import Journal, JournalError
from relui.services.readiness import (
    MET,
    NOT_MET,
    UNKNOWN,
    ReadinessError,
    evaluate,
    max_sustained,
    read_records,
    record,
    records_path,
    unmet_criteria,
)
from relui.services.release import ReleaseService

START = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)

CONFIG = """
[roles]
ops = ["devops"]

[readiness]
drill_max_age_days = 30
runbooks = {runbooks}

[sandbox]
rollout_seconds = 12
replicas = 3
registry_tags = ["1.4.2", "1.5.0"]

[sandbox.live]
prod = "1.4.2"
{faults}
[[environments]]
name = "prod"
kind = "sandbox"
protected = true
release = "shop"
{prometheus}
[[environments.smoke]]
name = "health"
path = "/healthz"
"""

PROMETHEUS = """
expected_peak_rps = {peak}
load_window_minutes = 10
"""
PRE_RELEASE = ("tests-passing", "migrations-reviewed", "config-validated", "secrets-in-place")
Build = Callable[..., Context]


@pytest.fixture
def clock() -> ManualClock:
    """Thursday 10:00 UTC; moves only when a test moves it."""
    return ManualClock(START)


@pytest.fixture
def build(tmp_path: Path, clock: ManualClock) -> Build:
    """A Context over one state dir and clock, built like the CLI builds it."""

    def make(
        *,
        peak: float | None = None,
        faults: str = "",
        runbooks: str = '["docs/rollback.md", "docs/release-process.md"]',
        operator: str = "ops",
        read_only: bool = False,
    ) -> Context:
        text = CONFIG.format(
            runbooks=runbooks, faults=faults, prometheus=PROMETHEUS.format(peak=peak) if peak is not None else ""
        )
        path = tmp_path / "config.toml"
        path.write_text(text)
        config = load_config(path)
        state_dir = tmp_path / "state"
        ports = build_ports(config, state_dir, clock)
        return Context(config=config, state_dir=state_dir, ports=ports, operator=operator, read_only=read_only)

    return make


def criterion(ctx: Context, name: str) -> tuple[str, str]:
    found = {c.name: c for c in evaluate(ctx, "prod")}[name]
    return found.status, found.evidence


def write_runbooks(ctx: Context, text: str = "# Runbook\n\nSteps.\n") -> None:
    docs = ctx.config.path.parent / "docs"
    docs.mkdir(exist_ok=True)
    for name in ("rollback.md", "release-process.md"):
        (docs / name).write_text(text)


# -- functional testing --------------------------------------------------------


def test_functional_not_met_without_smoke_or_pre_release(build: Build) -> None:
    status, evidence = criterion(build(), "functional-testing")
    assert status == NOT_MET
    assert "1.4.2" in evidence and "tests-passing" in evidence


def test_functional_met_by_pre_release_phase(build: Build) -> None:
    ctx = build()
    for item in PRE_RELEASE:
        Checklists(ctx).tick("prod", item)
    status, evidence = criterion(ctx, "functional-testing")
    assert status == MET, evidence
    assert "pre-release phase complete" in evidence


def test_functional_met_by_smoke_and_journeys(build: Build) -> None:
    ctx = build()
    assert ReleaseService(ctx).deploy("prod", "1.5.0").ok
    assert criterion(ctx, "functional-testing")[0] == NOT_MET  # smoke alone is not enough
    Checklists(ctx).tick("prod", "journeys-verified", note="TestRail 1187")
    status, evidence = criterion(ctx, "functional-testing")
    assert status == MET, evidence
    assert "smoke passed for 1.5.0" in evidence


def test_functional_unknown_when_the_checklist_is_unreadable(build: Build) -> None:
    ctx = build()
    path = Checklists(ctx).path("prod", "1.4.2")
    path.parent.mkdir(parents=True)
    path.write_text("not = [toml")
    status, evidence = criterion(ctx, "functional-testing")
    assert status == UNKNOWN and "unreadable" in evidence


# -- load testing ---------------------------------------------------------------


def test_load_unknown_without_an_expected_peak(build: Build) -> None:
    status, evidence = criterion(build(), "load-testing")
    assert status == UNKNOWN and "expected_peak_rps" in evidence


def test_load_met_when_the_sandbox_traffic_holds_twice_the_peak(build: Build) -> None:
    # The simulated live traffic (about 42 rps) never drops below ~31 rps: 2 x 15 is held.
    status, evidence = criterion(build(peak=15), "load-testing")
    assert status == MET, evidence
    assert "need 30 rps" in evidence


def test_load_not_met_below_twice_the_peak(build: Build) -> None:
    status, evidence = criterion(build(peak=40), "load-testing")
    assert status == NOT_MET and "need 80 rps" in evidence


def test_load_prefers_the_sources_own_sustained_query(build: Build) -> None:
    ctx = build(peak=15)

    class Sustained(SandboxMetrics):
        calls: list[tuple[MetricKind, int, int]] = []

        def max_sustained(self, kind: MetricKind, window_minutes: int, lookback_minutes: int) -> float | None:
            self.calls.append((kind, window_minutes, lookback_minutes))
            return 12.0

    metrics = Sustained(SandboxWorld(ctx.state_dir, ctx.config, ctx.clock), ctx.env("prod"))
    ctx.ports.envs["prod"].metrics = metrics
    status, evidence = criterion(ctx, "load-testing")
    assert status == NOT_MET and "held 12.0 rps" in evidence
    assert metrics.calls == [(MetricKind.REQUEST_RATE, 10, 7 * 24 * 60)]


def test_max_sustained_sums_colors_and_a_gap_breaks_the_window() -> None:
    def series(values: list[float | None]) -> Series:
        return Series(tuple(Point(START + timedelta(minutes=i), v) for i, v in enumerate(values) if v is not None))

    both = {Color.BLUE: series([10, 10, 10, 10]), Color.GREEN: series([1, 1, 5, 5])}
    assert max_sustained(both, 2, 60) == 15.0
    gap = {Color.BLUE: series([50, 50, None, 50, 50]), Color.GREEN: Series()}
    assert max_sustained(gap, 3, 60) == 0.0
    assert max_sustained(gap, 2, 60) == 50.0
    assert max_sustained({Color.BLUE: Series()}, 2, 60) is None


# -- security review and records ------------------------------------------------------


def test_security_needs_both_attestations(build: Build) -> None:
    ctx = build()
    status, evidence = criterion(ctx, "security-review")
    assert status == NOT_MET
    assert "relui readiness prod signoff oauth2-flows --evidence URL" in evidence
    record(ctx, "prod", "oauth2-flows", "https://jira.example/SEC-12")
    assert criterion(ctx, "security-review")[0] == NOT_MET
    record(ctx, "prod", "secrets-rotated", "https://vault.example/rotation/381", note="all four")
    status, evidence = criterion(ctx, "security-review")
    assert status == MET, evidence
    assert "https://jira.example/SEC-12" in evidence and "https://vault.example/rotation/381" in evidence
    # The note made with a record is read with it (relui readiness and the readiness screen).
    assert "https://vault.example/rotation/381 (all four)" in evidence


def test_record_is_kept_in_toml_and_journaled(build: Build) -> None:
    ctx = build()
    record(ctx, "PROD", "restore-test", "https://wiki.example/restore-2026-11", note="took 14 min")
    assert records_path(ctx, "prod").is_file()
    found = read_records(ctx, "prod")["restore-test"]
    assert (found.by, found.evidence, found.note) == ("ops", "https://wiki.example/restore-2026-11", "took 14 min")
    note = Journal(ctx.state_dir, ctx.clock).entries("prod")[-1]
    assert note.action == "readiness" and note.detail["item"] == "restore-test"


def test_record_is_journaled_exactly_once_and_as_one_line(build: Build) -> None:
    ctx = build()
    # A line break in the evidence makes it no link: refused, not flattened into "https://... # forged".
    with pytest.raises(ReadinessError, match="no space, line break or control character"):
        record(ctx, "prod", "restore-test", "https://wiki.example/restore\n# forged")
    record(ctx, "prod", "restore-test", "https://wiki.example/restore", note="took\n- [x] 14 min")
    notes = [e for e in Journal(ctx.state_dir, ctx.clock).entries("prod") if e.action == "readiness"]
    assert len(notes) == 1
    assert (notes[0].detail["evidence"], notes[0].detail["note"]) == (
        "https://wiki.example/restore",
        "took - [x] 14 min",
    )
    found = read_records(ctx, "prod")["restore-test"]
    assert (found.evidence, found.note) == ("https://wiki.example/restore", "took - [x] 14 min")


def test_record_that_cannot_be_journaled_is_not_made(build: Build) -> None:
    ctx = build()
    ctx.state_dir.mkdir(parents=True, exist_ok=True)
    (ctx.state_dir / "journal.jsonl").symlink_to("/dev/full")
    with pytest.raises(JournalError, match="No space left on device"):
        record(ctx, "prod", "restore-test", "https://wiki.example/restore")
    assert not records_path(ctx, "prod").exists()


@pytest.mark.parametrize(
    ("item", "evidence", "read_only", "message"),
    [
        ("oauth2-flows", "done, trust me", False, "must be a link"),
        ("pentest", "https://x.example/1", False, "no readiness record 'pentest'"),
        ("oauth2-flows", "https://x.example/1", True, "read-only"),
    ],
)
def test_record_refusals(build: Build, item: str, evidence: str, read_only: bool, message: str) -> None:
    ctx = build(read_only=read_only)
    with pytest.raises(ReadinessError, match=message):
        record(ctx, "prod", item, evidence)


def test_security_unknown_when_the_records_are_unreadable(build: Build) -> None:
    ctx = build()
    path = records_path(ctx, "prod")
    path.parent.mkdir(parents=True)
    path.write_text("[records\n")
    status, evidence = criterion(ctx, "security-review")
    assert status == UNKNOWN and "unreadable" in evidence


# -- observability ----------------------------------------------------------------


class WithoutRules:
    """A metrics source answering queries but with no way to list alert rules."""

    def __init__(self, inner: SandboxMetrics) -> None:
        self.inner = inner

    def kinds(self) -> tuple[MetricKind, ...]:
        return self.inner.kinds()

    def current(self, kind: MetricKind) -> dict[Color, float | None]:
        return self.inner.current(kind)

    def series(self, kind: MetricKind, minutes: int, step_seconds: int) -> dict[Color, Series]:
        return self.inner.series(kind, minutes, step_seconds)


def test_observability_unknown_on_a_source_without_alert_rules(build: Build) -> None:
    ctx = build()
    ctx.ports.envs["prod"].metrics = WithoutRules(
        SandboxMetrics(SandboxWorld(ctx.state_dir, ctx.config, ctx.clock), ctx.env("prod"))
    )
    status, evidence = criterion(ctx, "observability")
    assert status == UNKNOWN
    assert "alert rules not checkable on this source" in evidence


@pytest.mark.parametrize(("rules", "status"), [(12, MET), (0, NOT_MET)])
def test_observability_reads_the_loaded_alert_rules(build: Build, rules: int, status: str) -> None:
    ctx = build()

    class WithRules(SandboxMetrics):
        def rules_loaded(self) -> int:
            return rules

    ctx.ports.envs["prod"].metrics = WithRules(SandboxWorld(ctx.state_dir, ctx.config, ctx.clock), ctx.env("prod"))
    found, evidence = criterion(ctx, "observability")
    assert found == status, evidence
    assert "error rate answered for blue" in evidence


def test_observability_not_met_when_metrics_are_dark(build: Build) -> None:
    ctx = build(faults='[[sandbox.faults]]\nkind = "metrics_down"\n')
    status, evidence = criterion(ctx, "observability")
    assert status == NOT_MET and "not answering" in evidence


def test_observability_not_met_without_a_metrics_source(build: Build) -> None:
    ctx = build()
    ctx.ports.envs["prod"].metrics = None
    assert criterion(ctx, "observability")[0] == NOT_MET


# -- disaster recovery --------------------------------------------------------------


def test_recovery_needs_a_fresh_snapshot_and_a_restore_test(build: Build, clock: ManualClock) -> None:
    ctx = build()
    status, evidence = criterion(ctx, "disaster-recovery")
    assert status == NOT_MET and "prod-nightly is 3.0h old (limit 24h)" in evidence
    record(ctx, "prod", "restore-test", "https://wiki.example/restore")
    assert criterion(ctx, "disaster-recovery")[0] == MET
    clock.advance(22 * 3600)  # the nightly snapshot is now 25 hours old
    status, evidence = criterion(ctx, "disaster-recovery")
    assert status == NOT_MET and "25.0h old" in evidence


def test_recovery_unknown_when_backups_fail(build: Build) -> None:
    ctx = build()

    class Failing:
        def latest_snapshot(self) -> None:
            raise SourceUnavailable("rds did not answer")

        def create_snapshot(self, identifier: str) -> None:
            raise SourceUnavailable("rds did not answer")

    ctx.ports.envs["prod"].backups = Failing()  # type: ignore[assignment]
    status, evidence = criterion(ctx, "disaster-recovery")
    assert status == UNKNOWN and "rds did not answer" in evidence


def test_recovery_not_met_without_backups(build: Build) -> None:
    ctx = build()
    ctx.ports.envs["prod"].backups = None
    record(ctx, "prod", "restore-test", "https://wiki.example/restore")
    status, evidence = criterion(ctx, "disaster-recovery")
    assert status == NOT_MET and "no database backups configured" in evidence


# -- documentation --------------------------------------------------------------------


def test_documentation_met_when_runbooks_exist_next_to_the_config(build: Build) -> None:
    ctx = build()
    write_runbooks(ctx)
    status, evidence = criterion(ctx, "documentation")
    assert status == MET and "2 runbooks present" in evidence


def test_documentation_not_met_for_missing_or_empty_runbooks(build: Build) -> None:
    ctx = build()
    status, evidence = criterion(ctx, "documentation")
    assert status == NOT_MET and "missing: docs/rollback.md, docs/release-process.md" in evidence
    write_runbooks(ctx, "  \n")
    status, evidence = criterion(ctx, "documentation")
    assert status == NOT_MET and "empty: docs/rollback.md" in evidence


def test_documentation_unknown_without_runbooks_configured(build: Build) -> None:
    assert criterion(build(runbooks="[]"), "documentation")[0] == UNKNOWN


# -- team training ------------------------------------------------------------------------


def drill(finished: datetime, passed: bool, run_id: str = "r1") -> DrillRecord:
    return DrillRecord(run_id, "error-spike", "ops", finished, passed, 90 if passed else 40, "summary")


def test_training_not_met_without_a_passed_drill(build: Build) -> None:
    ctx = build()
    assert criterion(ctx, "team-training")[0] == NOT_MET
    append_record(ctx.state_dir, drill(START, passed=False))
    status, evidence = criterion(ctx, "team-training")
    assert status == NOT_MET and "relui drill --list" in evidence and "ops has passed no failure drill" in evidence


def test_training_met_by_a_recent_passed_drill_and_expires(build: Build, clock: ManualClock) -> None:
    ctx = build()
    append_record(ctx.state_dir, drill(START - timedelta(days=2), passed=True))
    with (ctx.state_dir / "drills.jsonl").open("a") as handle:
        handle.write('{"torn": ')  # a crash mid-write must not break the review
    status, evidence = criterion(ctx, "team-training")
    assert status == MET, evidence
    assert "error-spike passed by ops 2.0 days ago" in evidence
    clock.advance(29 * 86400)
    status, evidence = criterion(ctx, "team-training")
    assert status == NOT_MET
    # Too old says how to get a fresh one, as none at all does.
    assert "31.0 days ago (limit 30 days)" in evidence and "relui drill --list" in evidence


def test_training_needs_a_failure_drill_passed_by_the_releasing_operator(build: Build) -> None:
    ctx = build()
    append_record(ctx.state_dir, DrillRecord("w", "lock-held", "ops", START, True, 100, "warm-up"))
    status, evidence = criterion(ctx, "team-training")
    assert status == NOT_MET and "no failure drill" in evidence  # lock-held scores 100 with nothing failing
    append_record(ctx.state_dir, DrillRecord("o", "crashloop", "owner", START, True, 95, "someone else"))
    assert criterion(ctx, "team-training")[0] == NOT_MET  # owner trained, ops releases
    append_record(ctx.state_dir, DrillRecord("m", "crashloop", "ops", START, True, 95, "ops this time"))
    status, evidence = criterion(ctx, "team-training")
    assert status == MET and "crashloop passed by ops" in evidence


def test_a_rescored_run_counts_once_with_its_last_score(build: Build) -> None:
    ctx = build()
    append_record(ctx.state_dir, drill(START, passed=True))
    append_record(ctx.state_dir, drill(START, passed=False))
    assert criterion(ctx, "team-training")[0] == NOT_MET


# -- the whole review ------------------------------------------------------------------------


def test_every_criterion_can_be_met_on_the_sandbox(build: Build) -> None:
    ctx = build(peak=15)

    class WithRules(SandboxMetrics):
        def rules_loaded(self) -> int:
            return 4

    ctx.ports.envs["prod"].metrics = WithRules(SandboxWorld(ctx.state_dir, ctx.config, ctx.clock), ctx.env("prod"))
    assert set(unmet_criteria(ctx, "prod")) == {
        "functional-testing",
        "security-review",
        "disaster-recovery",
        "documentation",
        "team-training",
    }
    for item in PRE_RELEASE:
        Checklists(ctx).tick("prod", item)
    for item in ("oauth2-flows", "secrets-rotated", "restore-test"):
        record(ctx, "prod", item, f"https://evidence.example/{item}")
    write_runbooks(ctx)
    append_record(ctx.state_dir, drill(START, passed=True))
    assert unmet_criteria(ctx, "prod") == []
    assert [c.name for c in evaluate(ctx, "prod")] == [
        "functional-testing",
        "load-testing",
        "security-review",
        "observability",
        "disaster-recovery",
        "documentation",
        "team-training",
    ]
