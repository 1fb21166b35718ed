"""Gather the facts an action's guards decide on, through the ports.

Only what the action's guards need is read. A source that fails is recorded
in ``Facts.unknown`` under the guard's name, so that guard blocks with the
source's own one-line error instead of the whole check failing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from relui.domain import MetricKind
from relui.services.calendar import ReleaseCalendar
from relui.services.candidate import release_state
from relui.services.checklist import Checklists
from relui.services.context import Context
from relui.services.guards import Facts
from relui.services.journal import Journal
from relui.services.readiness import unmet_criteria
from relui.services.reads import read_once

T = TypeVar("T")


def _try(facts: Facts, guard: str, read: Callable[[], T]) -> T | None:
    try:
        return read()
    except Exception as exc:  # noqa: BLE001 - any source failure becomes that guard's reason
        facts.unknown[guard] = f"could not check {guard}: {exc}"
        return None


def deployed_by(journal: Journal, env: str, version: str | None) -> str | None:
    """Who deployed ``version`` to ``env`` most recently (from the journal)."""
    for entry in reversed(journal.entries(env)):
        deployed = entry.kind == "outcome" and entry.action == "deploy" and entry.status in ("ok", "forced")
        if deployed and entry.detail.get("version") == version:
            return entry.operator
    return None


def gather(
    ctx: Context,
    kind: str,
    env_name: str,
    version: str | None = None,
    to_revision: int | None = None,
    hotfix_reason: str | None = None,
) -> Facts:
    """Read everything the guards of ``kind`` need, right now (each source once)."""
    ctx = read_once(ctx)
    env = ctx.env(env_name)
    ports = ctx.env_ports(env.name)
    action = "rollback" if kind.startswith("rollback") else kind
    facts = Facts(
        action=action,
        env=env,
        operator=ctx.operator,
        roles=ctx.operator_roles,
        allowed=ctx.config.may(ctx.operator, action),
        read_only=ctx.read_only,
        now=ctx.clock.now(),
        version=version,
        to_revision=to_revision,
        hotfix_reason=hotfix_reason,
    )
    history = _try(facts, "candidate", ports.releases.history) or []
    values = _try(facts, "candidate", ports.releases.values)
    if values is not None:
        facts.release = release_state(history, values)
    facts.revisions = tuple(r.number for r in history)
    facts.lock = _try(facts, "lock", ports.cluster.lock)
    if kind in ("cutover", "rollback"):
        facts.colors = _try(facts, "pods", ports.cluster.color_states) or {}
    candidate = facts.release.candidate_version if facts.release else None
    if kind == "cutover":
        _cutover_facts(ctx, facts, candidate)
        status = _try(facts, "window", lambda: ReleaseCalendar(ctx.config.calendar).status(facts.now))
        if status is not None:
            facts.window_open, facts.window_reason = status.open, status.reason
    if kind in ("deploy", "cutover"):
        _release_day_facts(ctx, facts, version or candidate)
    return facts


def _cutover_facts(ctx: Context, facts: Facts, candidate: str | None) -> None:
    env, ports = facts.env, ctx.env_ports(facts.env.name)
    checklists = Checklists(ctx)
    facts.smoke = _try(facts, "smoke", lambda: checklists.smoke_of(env.name, candidate)) if candidate else None
    facts.checklist = _try(facts, "checklist", lambda: checklists.view(env.name, candidate))
    facts.deployed_by = deployed_by(Journal(ctx.state_dir, ctx.clock), env.name, candidate)
    if env.protected:
        facts.readiness_unmet = _try(facts, "readiness", lambda: tuple(unmet_criteria(ctx, env.name)))
    metrics = ports.metrics
    if metrics is not None and facts.release and facts.release.candidate_color:
        color = facts.release.candidate_color
        rates = _try(facts, "error_rate", lambda: metrics.current(MetricKind.ERROR_RATE))
        facts.candidate_error_rate = rates.get(color) if rates else None


def _release_day_facts(ctx: Context, facts: Facts, version: str | None) -> None:
    env, ports = facts.env, ctx.env_ports(facts.env.name)
    registry = ports.registry
    if registry is not None and version:
        facts.image_exists = _try(facts, "image", lambda: registry.image_exists(version))
    if env.protected:
        backups, credentials = ports.backups, ports.credentials
        if backups is not None:
            facts.snapshot = _try(facts, "snapshot", backups.latest_snapshot)
        else:
            facts.unknown["snapshot"] = "no database backups configured for a protected environment"
        if env.aws:
            facts.max_snapshot_age = timedelta(hours=env.aws.max_snapshot_age_hours)
        if credentials is not None:
            facts.credentials = _try(facts, "credentials", credentials.check)
