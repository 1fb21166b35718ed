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

import tomllib
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import tomli_w

from relui.config import EnvironmentConfig
from relui.domain import Color, MetricKind, Series
from relui.ports import PortError
from relui.services import signing
from relui.services.checklist import Checklists
from relui.services.context import Context
from relui.services.drill_records import FAILURE_DRILLS, last_passed
from relui.services.journal import Journal, JournalError
from relui.services.record_store import changed, store_for
from relui.services.text import one_line

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
# What a person attests with an evidence link, and the criterion each one feeds.
RECORDS: dict[str, tuple[str, str]] = {
    "oauth2-flows": ("security-review", "OAuth2 flows validated"),
    "secrets-rotated": ("security-review", "secrets rotated"),
    "restore-test": ("disaster-recovery", "restore test"),
}
LOAD_FACTOR = 2.0
# A load test counts for a week: long enough to prepare a release, short enough to be this code.
LOAD_LOOKBACK_MINUTES = 7 * 24 * 60
LOAD_STEP_SECONDS = 60


class ReadinessError(Exception):
    """A readiness record that cannot be made; the message says why and what to do."""


@dataclass(frozen=True)
class Criterion:
    """One go-live criterion as evaluated now."""

    name: str
    status: str
    evidence: str

    @property
    def title(self) -> str:
        """The criterion as the readiness review names it."""
        return CRITERIA.get(self.name, self.name)

    @property
    def met(self) -> bool:
        """True only for positive evidence."""
        return self.status == MET


@dataclass(frozen=True)
class Record:
    """A person's attestation of one item, with the link that proves it."""

    item: str
    evidence: str
    by: str
    at: str
    note: str = ""
    principal: str = ""
    verified_by: str = ""
    payload: str = ""  # the signed attestation (relui.services.signing)
    signature: str = ""
    problem: str | None = None  # set when read: why the record does not count

    def line(self) -> str:
        """The record in a few words: who, when, where the proof is."""
        return f"{self.by} {self.at[:10]} {self.evidence}"


def evaluate(ctx: Context, env: str) -> list[Criterion]:
    """Every criterion of one environment, in review order; never raises for a failing source."""
    env_cfg = ctx.env(env)
    checks: dict[str, Callable[[], tuple[str, str]]] = {
        "functional-testing": lambda: _functional(ctx, env_cfg),
        "load-testing": lambda: _load(ctx, env_cfg),
        "security-review": lambda: _security(env_cfg, read_records(ctx, env_cfg.name)),
        "observability": lambda: _observability(ctx, env_cfg),
        "disaster-recovery": lambda: _recovery(ctx, env_cfg, read_records(ctx, env_cfg.name)),
        "documentation": lambda: _documentation(ctx),
        "team-training": lambda: _training(ctx),
    }
    found = []
    for name, check in checks.items():
        try:
            status, evidence = check()
        except Exception as exc:  # noqa: BLE001 - one failing source makes one criterion unknown
            status, evidence = UNKNOWN, f"could not evaluate: {exc}"
        found.append(Criterion(name, status, evidence))
    return found


def unmet_criteria(ctx: Context, env: str) -> list[str]:
    """The names of the criteria not met or unknown (what the cutover guard lists)."""
    return [c.name for c in evaluate(ctx, env) if not c.met]


# -- records ------------------------------------------------------------------


def records_path(ctx: Context, env: str) -> Path:
    """The readiness state file of one environment."""
    return ctx.state_dir / "readiness" / f"{env}.toml"


def _name(ctx: Context, env: str) -> str:
    """The readiness document of an environment in its records store."""
    return str(records_path(ctx, env).relative_to(ctx.state_dir))


def _parse(data: bytes, name: str) -> dict[str, Any]:
    try:
        return tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ReadinessError(f"readiness file {name} is unreadable: {exc}") from None


def _load_state(ctx: Context, env: str) -> dict[str, Any]:
    name = _name(ctx, env)
    try:
        document = store_for(ctx.state_dir, env).read_document(name)
    except PortError as exc:
        raise ReadinessError(f"readiness file {name} is unreadable: {exc}") from None
    return _parse(document.data, name) if document else {}


def read_records(ctx: Context, env: str) -> dict[str, Record]:
    """The attestations recorded for an environment, by item."""
    name = ctx.env(env).name
    raw = _load_state(ctx, name).get("records", {})
    found = {}
    for item, r in raw.items():
        if isinstance(r, dict):
            keys = ("evidence", "by", "at", "note", "principal", "verified_by", "payload", "signature")
            entry = Record(item, *(str(r.get(k, "")) for k in keys))
            found[item] = replace(entry, problem=_attestation_problem(ctx, name, entry))
    return found


def _attestation_problem(ctx: Context, env: str, entry: Record) -> str | None:
    """Why an attestation does not count: its signature, or none where one is required."""
    if entry.signature:
        expect = {"kind": "attestation", "env": env, "signer": entry.by, "evidence": f"{entry.item} {entry.evidence}"}
        signed = signing.Signed(entry.payload, entry.signature)
        return signing.check_signed(ctx.config, signed, expect=expect, now=ctx.clock.now()).problem
    cfg = ctx.env(env)
    if cfg.protected and not cfg.identity.allow_unverified:
        return "not signed"
    return None


def record(ctx: Context, env: str, item: str, evidence: str, note: str = "") -> Record:
    """Record the operator's attestation of ``item`` with an evidence link; journaled."""
    env = ctx.env(env).name
    if ctx.read_only:
        raise ReadinessError("read-only mode: readiness records are refused")
    if item not in RECORDS:
        known = ", ".join(RECORDS)
        raise ReadinessError(f"no readiness record {item!r}; record one of: {known}")
    evidence, note = one_line(evidence), one_line(note)
    link = urlparse(evidence)
    if link.scheme not in ("http", "https") or not link.netloc:
        raise ReadinessError(f"evidence must be a link (https://...) to the review, ticket or report, got {evidence!r}")
    refusal = ctx.identity_refusal(env)
    if refusal:
        raise ReadinessError(refusal)
    roles = ctx.roles_on(env)
    if not roles:
        raise ReadinessError(f"{ctx.operator} holds no role on {env}; an attestation is made by someone who does")
    now = ctx.clock.now()
    who = ctx.principal(env)
    signed = _sign_attestation(ctx, env, item, evidence, roles[0], now)
    entry = Record(
        item,
        evidence,
        ctx.operator,
        now.isoformat(),
        note,
        who.principal,
        who.how,
        signed.payload if signed else "",
        signed.signature if signed else "",
    )
    name = _name(ctx, env)
    journal = Journal(ctx.state_dir, ctx.clock)
    store = store_for(ctx.state_dir, env)
    try:
        with changed(
            store, name, lambda data: _parse(data, name), lambda state: tomli_w.dumps(state).encode()
        ) as state:
            # Journal first: a record that cannot be journaled is not made.
            journal.note(
                ctx.operator,
                env,
                "readiness",
                item=item,
                criterion=RECORDS[item][0],
                evidence=evidence,
                note=note,
                principal=entry.principal,
                verified_by=entry.verified_by,
                signed=bool(signed),
            )
            state["env"] = env
            stored = {"evidence": evidence, "by": entry.by, "at": entry.at, "note": note}
            extra = {"principal": entry.principal, "verified_by": entry.verified_by}
            extra |= {"payload": entry.payload, "signature": entry.signature}
            state.setdefault("records", {})[item] = stored | {k: v for k, v in extra.items() if v}
    except PortError as exc:
        if isinstance(exc, JournalError):
            raise
        journal.note(ctx.operator, env, "readiness", "failed", item=item, message=str(exc))
        raise ReadinessError(f"cannot save the readiness record {name}: {exc}; fix the records store") from None
    return entry


def _sign_attestation(
    ctx: Context, env: str, item: str, evidence: str, role: str, now: datetime
) -> signing.Signed | None:
    """The signature of an attestation where signing is configured (or required); ReadinessError says how."""
    cfg = ctx.env(env)
    if not signing.signing_configured(ctx.config):
        if cfg.protected and not cfg.identity.allow_unverified:
            hint = signing.setup_hint(ctx.operator, role)
            raise ReadinessError(f"{env} needs signed attestations: set [signing] allowed_signers; {hint}")
        return None
    text = signing.payload(
        "attestation", env, "", role, ctx.operator, now, now + signing.ATTESTATION_VALID, f"{item} {evidence}"
    )
    try:
        return signing.sign(ctx.config, text, ctx.operator, role)
    except signing.SigningError as exc:
        raise ReadinessError(str(exc)) from None


def _attested(env: EnvironmentConfig, records: dict[str, Record], items: tuple[str, ...]) -> tuple[bool, str]:
    """(all recorded, one line naming each record or the command that records it)."""
    parts, missing = [], []
    for item in items:
        found = records.get(item)
        label = RECORDS[item][1]
        if found and found.problem:
            missing.append(item)
            parts.append(f"{label}: {found.line()} does not count ({found.problem})")
        elif found:
            parts.append(f"{label}: {found.line()}")
        else:
            missing.append(item)
            parts.append(f"{label}: not recorded")
    if missing:
        hint = f"relui readiness {env.name} signoff {missing[0]} --evidence URL"
        return False, "; ".join(parts) + f" (record: {hint})"
    return True, "; ".join(parts)


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


def _security(env: EnvironmentConfig, records: dict[str, Record]) -> tuple[str, str]:
    """OAuth2 flows validated and secrets rotated, each attested with a link."""
    done, line = _attested(env, records, ("oauth2-flows", "secrets-rotated"))
    return (MET if done else NOT_MET), line


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


def _recovery(ctx: Context, env: EnvironmentConfig, records: dict[str, Record]) -> tuple[str, str]:
    """A snapshot within the age limit, and a restore test on record."""
    backups = ctx.env_ports(env.name).backups
    limit = timedelta(hours=env.aws.max_snapshot_age_hours if env.aws else 24.0)
    limit_h = limit.total_seconds() / 3600
    snapshot_ok = False
    if backups is None:
        snapshot = "no database backups configured"
    else:
        latest = backups.latest_snapshot()
        if latest is None:
            snapshot = "no database snapshot"
        else:
            hours = (ctx.clock.now() - latest.created).total_seconds() / 3600
            snapshot_ok = hours * 3600 <= limit.total_seconds()
            snapshot = f"snapshot {latest.identifier} {hours:.1f}h old (limit {limit_h:g}h)"
    restored, line = _attested(env, records, ("restore-test",))
    return (MET if snapshot_ok and restored else NOT_MET), f"{snapshot}; {line}"


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


def _training(ctx: Context) -> tuple[str, str]:
    """A failure drill passed by the operator who will release, within the configured age.

    The lock-held drill is a warm-up (nothing fails in it), and a drill someone else passed
    trains someone else: neither counts.
    """
    max_days = ctx.config.readiness.drill_max_age_days
    passed = last_passed(ctx.state_dir, operator=ctx.operator, drills=FAILURE_DRILLS)
    if passed is None:
        kinds = ", ".join(FAILURE_DRILLS)
        return NOT_MET, (
            f"{ctx.operator} has passed no failure drill yet ({kinds}); run one: relui drill --list "
            f"(must be under {max_days} days old)"
        )
    age = ctx.clock.now() - passed.finished
    days = age.total_seconds() / 86400
    line = f"drill {passed.drill} passed by {passed.operator} {days:.1f} days ago (limit {max_days} days)"
    return (MET if age <= timedelta(days=max_days) else NOT_MET), line
