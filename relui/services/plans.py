"""What an action would change, in the lines a person reads before confirming.

A plan is built from the same facts the guards decided on, so what the
operator confirms is what the action does.
"""

from __future__ import annotations

from dataclasses import dataclass

from relui.domain import Color
from relui.services.actions import Action, spec
from relui.services.guards import Facts, target_revision
from relui.services.release_state import Placement, serving


@dataclass(frozen=True)
class Plan:
    """Exactly what an action would change, for confirmation."""

    action: str  # the verb: deploy, smoke, cutover, rollback, install
    env: str
    from_color: Color | None
    to_color: Color | None
    version: str | None
    revision: int | None
    changes: tuple[str, ...]
    kind: Action = Action.DEPLOY
    staged: bool = False  # a revision rollback that first brings the version up on the idle color


def _label(place: Placement | None) -> str:
    return f"{place.color} ({place.version or '-'})" if place else "-"


def _tail(version: str | None) -> tuple[str, ...]:
    return (
        f"image {version} tagged failed-{version}-<UTC stamp>",
        "incident record written, team notified",
    )


def make_plan(action: Action, facts: Facts) -> Plan:
    """The plan of ``action`` on these facts."""
    env, rel, verb = facts.env.name, facts.release, spec(action).verb
    changes: tuple[str, ...]
    if action is Action.INSTALL:
        changes = (f"helm upgrade --install {facts.env.release}: blue {facts.version}, live on blue",)
        return Plan(verb, env, None, Color.BLUE, facts.version, None, changes, action)
    if rel is None:
        return Plan(verb, env, None, None, facts.version, facts.to_revision, ("release state unknown",), action)
    live, idle = rel.live, rel.idle_color
    if action is Action.DEPLOY and facts.env.single_color:
        changes = (f"{live.color}: {live.version or 'off'} -> {facts.version} in place (live: one color only)",)
        return Plan(verb, env, live.color, live.color, facts.version, None, changes, action)
    if action is Action.DEPLOY:
        changes = (
            f"{idle}: {rel.idle_version or 'off'} -> {facts.version} (not live)",
            f"live traffic stays on {_label(live)}",
        )
        return Plan(verb, env, None, idle, facts.version, None, changes, action)
    if action is Action.SMOKE:
        target = rel.candidate
        changes = (f"run smoke checks against {target.color if target else idle}-preview ({_label(target)})",)
        return Plan(verb, env, None, rel.candidate_color, rel.candidate_version, None, changes, action)
    if action is Action.CUTOVER:
        changes = (
            f"live traffic: {_label(live)} -> {_label(rel.candidate)}",
            f"{_label(live)} stays up, warm for rollback",
        )
        return Plan(verb, env, live.color, rel.candidate_color, rel.candidate_version, None, changes, action)
    if action is Action.ROLLBACK and facts.unfinished_rollback and rel.previous is not None:
        changes = (f"live traffic stays on {_label(live)} (already switched)", *_tail(rel.previous.version))
        return Plan(verb, env, rel.previous.color, live.color, live.version, None, changes, action)
    if action is Action.ROLLBACK:
        target = rel.rollback_target
        if target is None:
            # Nothing to go back to (the guards say why): no switch, and no good version tagged failed.
            return Plan(verb, env, live.color, None, None, None, (f"nothing: {_label(live)} stays live",), action)
        changes = (f"live traffic: {_label(live)} -> {_label(target)}", *_tail(live.version))
        return Plan(verb, env, live.color, target.color, target.version, None, changes, action)
    return _revision_plan(facts, live)


def _revision_plan(facts: Facts, live: Placement) -> Plan:
    rev = target_revision(facts)
    env, release = facts.env.name, facts.env.release
    if rev is None or rev.values is None or facts.release is None:
        changes = (f"helm rollback {release} {facts.to_revision}", *_tail(live.version))
        return Plan("rollback", env, live.color, None, None, facts.to_revision, changes, Action.ROLLBACK_REVISION)
    color = rev.values.active_color
    version = rev.values.tag(color)
    if revision_direct(facts):
        changes = (
            f"helm rollback {release} {rev.number}: live traffic {_label(live)} -> {color} ({version})",
            *_tail(live.version),
        )
        return Plan("rollback", env, live.color, color, version, rev.number, changes, Action.ROLLBACK_REVISION)
    idle = live.color.other
    changes = (
        f"{idle}: {facts.release.idle_version or 'off'} -> {version} (revision {rev.number} ran it), wait until ready",
        f"then live traffic: {_label(live)} -> {idle} ({version})",
        *_tail(live.version),
    )
    return Plan("rollback", env, live.color, idle, version, rev.number, changes, Action.ROLLBACK_REVISION, True)


def revision_direct(facts: Facts) -> bool:
    """True when ``helm rollback N`` alone is safe: the color it sends traffic to already serves the version."""
    rev = target_revision(facts)
    if rev is None or rev.values is None or facts.release is None:
        return False
    color = rev.values.active_color
    version = rev.values.tag(color)
    return color != facts.release.live.color and serving(facts.colors.get(color), version)


def heading(plan: Plan) -> str:
    """The confirm modal's heading: ``Cutover QA: blue -> green (1.6.0)``."""
    name = plan.env.upper()
    if plan.kind is Action.DEPLOY:
        return f"Deploy {plan.version} to {name} ({plan.to_color}, not live)"
    if plan.kind is Action.SMOKE:
        return f"Smoke {name}: {plan.to_color} ({plan.version})"
    if plan.kind is Action.CUTOVER:
        return f"Cutover {name}: {plan.from_color} -> {plan.to_color} ({plan.version})"
    if plan.kind is Action.INSTALL:
        return f"Install {name}: {plan.version} on blue, live"
    if plan.kind is Action.ROLLBACK_REVISION:
        return f"Roll back {name} to revision {plan.revision} ({plan.version})"
    if plan.to_color is None:
        return f"Roll back {name}: nothing to roll back to"
    return f"Roll back {name}: {plan.from_color} -> {plan.to_color} ({plan.version})"
