"""Gather the facts an action's guards decide on, through the ports, once.

Only what the action's spec names is read, each source once (``read_once``).
A source that fails is recorded in ``Facts.unknown`` under the guard's name,
so that guard blocks with the source's own one-line error instead of the
whole check failing.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from relui.domain import MetricKind, ReleaseValues, Remedy, RemedyKind, Revision
from relui.ports import NotFound
from relui.services import guards as g
from relui.services.actions import Action, Fact, spec
from relui.services.approvals import approval_check, usable_approval
from relui.services.calendar import ReleaseCalendar
from relui.services.checklist import Checklists
from relui.services.context import Context
from relui.services.guards import Facts
from relui.services.journal import Entry, Journal, chain_problem, deployers_in
from relui.services.locks import this_host
from relui.services.readiness import unmet_criteria
from relui.services.reads import read_once
from relui.services.release_state import deployers_in_history, disagreements, history_problem, release_state
from relui.services.text import one_line

T = TypeVar("T")


def _try(facts: Facts, guard: str, read: Callable[[], T]) -> T | None:
    try:
        return read()
    except Exception as exc:  # noqa: BLE001 - any source failure becomes that guard's reason
        facts.unknown.setdefault(guard, f"could not check {guard}: {exc}")
        return None


def gather(
    ctx: Context,
    action: Action,
    env_name: str,
    version: str | None = None,
    to_revision: int | None = None,
    hotfix_reason: str | None = None,
) -> Facts:
    """Read everything the guards of ``action`` need, right now (each source once)."""
    ctx = read_once(ctx)
    env = ctx.env(env_name)
    ports = ctx.env_ports(env.name)
    what = spec(action)
    facts = Facts(
        action=what.verb,
        env=env,
        operator=ctx.operator_on(env.name),
        roles=ctx.roles_on(env.name),
        allowed=ctx.may(env.name, what.permission),
        principal=ctx.principal(env.name),
        read_only=ctx.read_only,
        now=ctx.clock.now(),
        host=this_host(),
        version=version,
        to_revision=to_revision,
        # A reason is words: blank, or nothing but control characters, is none (the window guard reads it).
        hotfix_reason=one_line(hotfix_reason or "") or None,
    )
    values: ReleaseValues | None = None
    try:
        values = ports.releases.values()
        history = ports.releases.history()
    except NotFound:
        facts.release_missing = True
    except Exception as exc:  # noqa: BLE001 - the release guards block with this reason
        facts.unknown["candidate"] = f"could not read the release history: {exc}"
    else:
        facts.history = tuple(history)
        # Compose derives its values from the running containers, not from a revision.
        problem = None if env.single_color else history_problem(history, values)
        if problem:
            facts.unknown["candidate"] = f"could not read the release history: {problem}"
        else:
            facts.release = release_state(history, values)
    facts.lock = _try(facts, "lock", ports.cluster.lock)
    if Fact.PODS in what.facts:
        facts.colors = _try(facts, "pods", ports.cluster.color_states) or {}
        if values is not None and facts.release and not env.single_color and "pods" not in facts.unknown:
            _cross_check_pods(facts, env.namespace, values)
    if Fact.LIVE_METRICS in what.facts and ports.metrics is not None and facts.release:
        metrics, live = ports.metrics, facts.release.live.color
        # Never a reason to refuse: a dark source only leaves the rate unknown.
        try:
            live_rate = metrics.current(MetricKind.ERROR_RATE).get(live)
        except Exception:  # noqa: BLE001
            live_rate = None
        # A garbled rate is no rate; one above 1 (a percentage, say) still counts as erring.
        garbled = live_rate is not None and (math.isnan(live_rate) or live_rate < 0)
        facts.live_error_rate = None if garbled else live_rate
    entries = Journal(ctx.state_dir, ctx.clock).entries(env.name)
    if action is Action.ROLLBACK and facts.release and facts.release.rolled_back and facts.release.previous:
        facts.unfinished_rollback = _unfinished_rollback(entries, facts.release.previous.version)
    candidate = facts.release.candidate_version if facts.release else None
    if env.protected:
        who = ctx.principal(env.name)
        facts.approval = usable_approval(
            entries,
            env.name,
            ctx.operator_on(env.name),
            facts.now,
            (facts.action, facts.in_play),
            approval_check(ctx, env.name),
            principal=who.principal if who.verified else None,
            deployed_by=deployers_of(entries, facts.history, version or candidate),
        )
    if Fact.CANDIDATE in what.facts:
        _candidate_facts(ctx, facts, candidate, entries)
    if Fact.WINDOW in what.facts:
        status = _try(facts, "window", lambda: ReleaseCalendar(ctx.config.calendar).status(facts.now))
        if status is not None:
            facts.window_open, facts.window_reason = status.open, status.reason
    if g.guard_records in what.guards:
        _chain_facts(ctx, facts)
    if Fact.READINESS in what.facts and env.protected:
        facts.readiness_unmet = _try(facts, "readiness", lambda: tuple(unmet_criteria(ctx, env.name)))
    if Fact.RELEASE_DAY in what.facts:
        _release_day_facts(ctx, facts, version or candidate)
    return facts


def deployers_of(entries: list[Entry], history: tuple[Revision, ...], version: str | None) -> frozenset[str]:
    """Who deployed ``version``: by the journal and by the release history, so neither alone can hide it."""
    return deployers_in(entries, version) | deployers_in_history(history, version)


def _cross_check_pods(facts: Facts, namespace: str, values: ReleaseValues) -> None:
    """A cluster reading that contradicts the Helm release makes the pods unknown, not "not ready"."""
    found = disagreements(values, facts.colors)
    if found:
        facts.unknown["pods"] = (
            f"the cluster and the Helm release disagree ({'; '.join(found)}); "
            f"check the kube context and namespace {namespace!r}, then read again"
        )


def _chain_facts(ctx: Context, facts: Facts) -> None:
    """A journal chain that does not verify (or cannot be read) is the records guard's reason."""
    problem = _try(facts, "records", lambda: chain_problem(ctx.state_dir, ctx.clock, facts.env.name))
    if problem:
        facts.unknown["records"] = problem
        facts.unknown_remedy["records"] = Remedy(RemedyKind.JOURNAL_VERIFY, facts.env.name)


def _unfinished_rollback(entries: list[Entry], rolled_back_from: str | None) -> str | None:
    """The id of a rollback from ``rolled_back_from`` that started and never recorded how it ended."""
    ended = {e.id for e in entries if e.kind == "outcome"}
    for entry in reversed(entries):
        if entry.kind == "intent" and entry.action == "rollback" and entry.id not in ended:
            return entry.id if entry.detail.get("from_version") == rolled_back_from else None
        if entry.kind == "outcome" and entry.action == "rollback":
            return None  # a rollback finished since: nothing is left to finish
    return None


def _candidate_facts(ctx: Context, facts: Facts, candidate: str | None, entries: list[Entry]) -> None:
    env, ports = facts.env, ctx.env_ports(facts.env.name)
    checklists = Checklists(ctx)
    facts.smoke = _try(facts, "smoke", lambda: checklists.smoke_of(env.name, candidate)) if candidate else None
    facts.checklist = _try(facts, "checklist", lambda: checklists.view(env.name, candidate))
    facts.deployed_by = deployers_of(entries, facts.history, candidate)
    metrics = ports.metrics
    if metrics is not None and facts.release and facts.release.candidate:
        color = facts.release.candidate.color
        rates = _try(facts, "error_rate", lambda: metrics.current(MetricKind.ERROR_RATE))
        rate = rates.get(color) if rates else None
        if rate is not None and not 0 <= rate <= 1:  # nan and inf fail this too
            # A garbled answer (a counter reset, a PromQL that is not a ratio) is unknown, never "low".
            facts.unknown["error_rate"] = (
                f"the candidate's error rate reads {rate!r}, which is not a ratio from 0 to 1; check the PromQL"
            )
        else:
            facts.candidate_error_rate = rate


def _release_day_facts(ctx: Context, facts: Facts, version: str | None) -> None:
    env, ports = facts.env, ctx.env_ports(facts.env.name)
    registry = ports.registry
    facts.registry_configured = registry is not None
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
