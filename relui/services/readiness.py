"""The production readiness review: each go-live criterion met, not met or unknown, with evidence.

Criteria are evaluated through the ports and the state dir each time they are
read, except the ones only a person can attest (a security review, a restore
test): those are recorded with an evidence link in ``readiness/<env>.toml`` (in the
environment's records store, written conditionally on the version read).
``unknown`` means relui could not decide (a source failed, an input is not
configured); the cutover guard treats it like ``not met`` on a protected
environment, because go-live needs positive evidence, not an absence of bad news.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from relui.config import EnvironmentConfig
from relui.domain import Color, MetricKind, Remedy, RemedyKind, Series
from relui.remedy_commands import with_remedy
from relui.services.attestations import (
    RECORDS,
    ReadinessError,
    Record,
    attested,
    evidence_problem,
    read_records,
    record,
    records_path,
    who_may_not_record,
)
from relui.services.checklist import Checklists
from relui.services.context import Context
from relui.services.drill_records import FAILURE_DRILLS, last_passed
from relui.services.snapshots import judge_snapshot

__all__ = [
    "MET",
    "NOT_MET",
    "RECORDS",
    "UNKNOWN",
    "Criterion",
    "ReadinessError",
    "Record",
    "evaluate",
    "evidence_problem",
    "max_sustained",
    "read_records",
    "record",
    "records_path",
    "unmet_criteria",
    "who_may_not_record",
]

MET = "met"
NOT_MET = "not met"
UNKNOWN = "unknown"

CRITERIA: dict[str, str] = {
    "functional-testing": "Functional testing",
    "load-testing": "Load testing",
    "security-review": "Security review",
    "observability": "Observability",
    "disaster-recovery": "Disaster recovery",
    "documentation": "Documentation",
    "team-training": "Team training",
}
LOAD_FACTOR = 2.0
# A load test counts for a week: long enough to prepare a release, short enough to be this code.
LOAD_LOOKBACK_MINUTES = 7 * 24 * 60
LOAD_STEP_SECONDS = 60


# What a criterion's check finds: its status, the evidence in words, and the way to meet it if it has one.
Finding = tuple[str, str, Remedy | None]


@dataclass(frozen=True)
class Criterion:
    """One go-live criterion as evaluated now: what was found, and the way to meet it as data (each face words it)."""

    name: str
    status: str
    detail: str
    remedy: Remedy | None = None

    @property
    def evidence(self) -> str:
        """The detail with the CLI's way out, as ``relui readiness`` prints it (the TUI words ``remedy`` itself)."""
        return with_remedy(self.detail, self.remedy)

    @property
    def title(self) -> str:
        """The criterion as the readiness review names it."""
        return CRITERIA.get(self.name, self.name)

    @property
    def met(self) -> bool:
        """True only for positive evidence."""
        return self.status == MET


def evaluate(ctx: Context, env: str) -> list[Criterion]:
    """Every criterion of one environment, in review order; never raises for a failing source."""
    env_cfg = ctx.env(env)
    checks: dict[str, Callable[[], Finding]] = {
        "functional-testing": lambda: (*_functional(ctx, env_cfg), None),
        "load-testing": lambda: (*_load(ctx, env_cfg), None),
        "security-review": lambda: _security(env_cfg, read_records(ctx, env_cfg.name)),
        "observability": lambda: (*_observability(ctx, env_cfg), None),
        "disaster-recovery": lambda: _recovery(ctx, env_cfg, read_records(ctx, env_cfg.name)),
        "documentation": lambda: (*_documentation(ctx), None),
        "team-training": lambda: _training(ctx, env_cfg),
    }
    found = []
    for name, check in checks.items():
        try:
            status, detail, remedy = check()
        except Exception as exc:  # noqa: BLE001 - one failing source makes one criterion unknown
            status, detail, remedy = UNKNOWN, f"could not evaluate: {exc}", None
        found.append(Criterion(name, status, detail, remedy))
    return found


def unmet_criteria(ctx: Context, env: str) -> list[str]:
    """The names of the criteria not met or unknown (what the cutover guard lists)."""
    return [c.name for c in evaluate(ctx, env) if not c.met]


# -- criteria -----------------------------------------------------------------


def _functional(ctx: Context, env: EnvironmentConfig) -> tuple[str, str]:
    """Smoke passed for the version in play and key journeys verified, or pre-release complete."""
    checklists = Checklists(ctx)
    version = checklists.version_of(env.name)
    if version is None:
        return NOT_MET, f"nothing deployed on {env.name}"
    smoke = checklists.smoke_of(env.name, version)
    view = checklists.view(env.name, version)
    journeys = next((s for s in view.items if s.item.id == "journeys-verified"), None)
    if smoke and smoke.get("passed") and journeys and journeys.done:
        return MET, f"smoke passed for {version} and journeys-verified ticked by {journeys.by or '?'}"
    pre = view.phase("pre-release")
    if pre and view.phase_complete("pre-release"):
        return MET, f"pre-release phase complete for {version} ({len(pre)}/{len(pre)})"
    smoke_text = "smoke passed" if smoke and smoke.get("passed") else "smoke not passed"
    journeys_text = "journeys-verified ticked" if journeys and journeys.done else "journeys-verified open"
    open_items = ", ".join(s.item.id for s in pre if not s.done)
    return NOT_MET, f"{version}: {smoke_text}, {journeys_text}; pre-release open: {open_items or 'no items'}"


def _load_settings(env: EnvironmentConfig) -> tuple[float | None, int]:
    """The expected peak and the window a load must be held for."""
    return env.expected_peak_rps, env.load_window_minutes


def _load(ctx: Context, env: EnvironmentConfig) -> tuple[str, str]:
    """The highest request rate held for the load window reached twice the expected peak."""
    peak, window = _load_settings(env)
    if not peak:
        return UNKNOWN, f"no expected peak configured for {env.name} (expected_peak_rps)"
    metrics = ctx.env_ports(env.name).metrics
    if metrics is None:
        return UNKNOWN, "no metrics source configured to read the load from"
    target = LOAD_FACTOR * peak
    sustained_query = getattr(metrics, "max_sustained", None)
    if callable(sustained_query):
        sustained = sustained_query(MetricKind.REQUEST_RATE, window, LOAD_LOOKBACK_MINUTES)
    else:
        series = metrics.series(MetricKind.REQUEST_RATE, LOAD_LOOKBACK_MINUTES, LOAD_STEP_SECONDS)
        sustained = max_sustained(series, window, LOAD_STEP_SECONDS)
    days = LOAD_LOOKBACK_MINUTES // 1440
    if sustained is None:
        return NOT_MET, f"no request-rate data in the last {days} days (need {target:g} rps for {window} min)"
    verdict = MET if sustained >= target else NOT_MET
    return verdict, (
        f"held {sustained:.1f} rps for {window} min in the last {days} days; "
        f"need {target:g} rps ({LOAD_FACTOR:g}x the expected peak of {peak:g} rps)"
    )


def max_sustained(series: dict[Color, Series], window_minutes: int, step_seconds: int) -> float | None:
    """The highest total rate (both colors) held for a whole window: max over windows of the window's min.

    A moment with no sample from any color counts as no load, so a gap breaks
    a window instead of being bridged.
    """
    totals: dict[float, float] = {}
    for color_series in series.values():
        for point in color_series.points:
            stamp = point.at.timestamp()
            totals[stamp] = totals.get(stamp, 0.0) + point.value
    if not totals:
        return None
    first, last = min(totals), max(totals)
    grid = [totals.get(first + i * step_seconds, 0.0) for i in range(int((last - first) // step_seconds) + 1)]
    size = max(1, window_minutes * 60 // step_seconds)
    if len(grid) < size:
        return None
    return max(min(grid[i : i + size]) for i in range(len(grid) - size + 1))


def _security(env: EnvironmentConfig, records: dict[str, Record]) -> Finding:
    """OAuth2 flows validated and secrets rotated, each attested with a link."""
    done, line, remedy = attested(env, records, ("oauth2-flows", "secrets-rotated"))
    return (MET if done else NOT_MET), line, remedy


def _observability(ctx: Context, env: EnvironmentConfig) -> tuple[str, str]:
    """Prometheus answers, and its alert rules are loaded."""
    metrics = ctx.env_ports(env.name).metrics
    if metrics is None:
        return NOT_MET, "no metrics source configured"
    try:
        values = metrics.current(MetricKind.ERROR_RATE)
    except Exception as exc:  # noqa: BLE001 - a source that does not answer is the finding itself
        return NOT_MET, f"metrics not answering: {exc}"
    answered = [str(c) for c, v in values.items() if v is not None]
    if not answered:
        return NOT_MET, "metrics answered without error-rate data for any color"
    answering = f"error rate answered for {', '.join(answered)}"
    rules_loaded = getattr(metrics, "rules_loaded", None)
    if not callable(rules_loaded):
        return UNKNOWN, f"{answering}; alert rules not checkable on this source"
    try:
        rules = int(rules_loaded())
    except Exception as exc:  # noqa: BLE001
        return UNKNOWN, f"{answering}; could not read alert rules: {exc}"
    if rules <= 0:
        return NOT_MET, f"{answering}; no alert rules loaded"
    return MET, f"{answering}; {rules} alert rules loaded"


def _recovery(ctx: Context, env: EnvironmentConfig, records: dict[str, Record]) -> Finding:
    """A snapshot within the age limit, and a restore test on record."""
    backups = ctx.env_ports(env.name).backups
    limit = timedelta(hours=env.aws.max_snapshot_age_hours if env.aws else 24.0)
    snapshot_ok = False
    if backups is None:
        snapshot = "no database backups configured"
    else:
        snapshot_ok, snapshot = judge_snapshot(backups.latest_snapshot(), ctx.clock.now(), limit)
    restored, line, remedy = attested(env, records, ("restore-test",))
    return (MET if snapshot_ok and restored else NOT_MET), f"{snapshot}; {line}", remedy


def _documentation(ctx: Context) -> tuple[str, str]:
    """The configured runbooks exist and are not empty (paths relative to the config file)."""
    runbooks = ctx.config.readiness.runbooks
    if not runbooks:
        return UNKNOWN, "no runbooks configured ([readiness] runbooks)"
    base = ctx.config.path.parent
    missing, empty = [], []
    for name in runbooks:
        path = base / name
        if not path.is_file():
            missing.append(name)
        elif not path.read_text(encoding="utf-8", errors="replace").strip():
            empty.append(name)
    if missing or empty:
        parts = ([f"missing: {', '.join(missing)}"] if missing else []) + (
            [f"empty: {', '.join(empty)}"] if empty else []
        )
        return NOT_MET, "; ".join(parts)
    return MET, f"{len(runbooks)} runbooks present: {', '.join(runbooks)}"


def _training(ctx: Context, env: EnvironmentConfig) -> Finding:
    """A failure drill passed by the operator who will release, within the configured age.

    The lock-held drill is a warm-up (nothing fails in it), and a drill someone else passed
    trains someone else: neither counts.
    """
    max_days = ctx.config.readiness.drill_max_age_days
    operator = ctx.operator_on(env.name)
    passed = last_passed(ctx.state_dir, operator=operator, drills=FAILURE_DRILLS)
    drill = Remedy(RemedyKind.DRILL, env.name, str(max_days))
    if passed is None:
        kinds = ", ".join(FAILURE_DRILLS)
        return NOT_MET, f"{operator} has passed no failure drill yet ({kinds})", drill
    age = ctx.clock.now() - passed.finished
    days = age.total_seconds() / 86400
    line = f"drill {passed.drill} passed by {passed.operator} {days:.1f} days ago (limit {max_days} days)"
    if age <= timedelta(days=max_days):
        return MET, line, None
    return NOT_MET, line, drill  # too long ago: the way out is the same as for none at all
