"""The release actions: one enum, and one spec per action that every face reads.

A spec says which guards an action meets, which facts it needs, how its plan
reads, which permission it takes and how it behaves around other actions. The
CLI, the TUI, the journal and the docs read these instead of switching on
action names; adding an action is one spec, one body, one port method.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from relui.domain import GuardResult
from relui.services import guards as g
from relui.services.guards import Facts


class Action(StrEnum):
    """Everything relui can do to an environment's release."""

    DEPLOY = "deploy"
    SMOKE = "smoke"
    CUTOVER = "cutover"
    ROLLBACK = "rollback"
    ROLLBACK_REVISION = "rollback-revision"
    INSTALL = "install"


class Fact(StrEnum):
    """The groups of facts a decision may read (each read once)."""

    PODS = "pods"
    LIVE_METRICS = "live-metrics"
    CANDIDATE = "candidate"  # smoke, checklist, candidate error rate
    WINDOW = "window"
    RELEASE_DAY = "release-day"  # image, snapshot, credentials
    READINESS = "readiness"


Guard = Callable[[Facts], GuardResult]


@dataclass(frozen=True)
class ActionSpec:
    """How one action is decided and carried out."""

    action: Action
    verb: str  # the command and journal name: deploy, rollback ...
    title: str  # as a heading: "Cut over"
    permission: str  # the [permissions] id that allows it
    guards: tuple[Guard, ...]
    facts: frozenset[Fact]
    moves_traffic: bool = False
    abortable: bool = False  # an abort (or a rollback) stops it while it waits
    preempts: bool = False  # never refused as busy: aborts what runs, then waits its turn
    notify_failure: bool = False
    takes_version: bool = False  # it is told which release to act on (deploy, install); others act on the one in place

    def evaluate(self, facts: Facts) -> list[GuardResult]:
        """Run this action's guards, in a stable order."""
        return [guard(facts) for guard in self.guards]


# Identity first: on a protected environment nothing else matters for an unverified caller.
_BASE = (g.guard_read_only, g.guard_identity, g.guard_role, g.guard_lock)


def _rollback(action: Action, target: Guard) -> ActionSpec:
    """Both rollbacks: they differ only in the guard that says where traffic goes back to."""
    return ActionSpec(
        action,
        "rollback",
        "Roll back",
        "rollback",
        (*_BASE, target),
        frozenset({Fact.PODS, Fact.LIVE_METRICS}),
        moves_traffic=True,
        preempts=True,
        notify_failure=True,
    )


SPECS: dict[Action, ActionSpec] = {
    Action.DEPLOY: ActionSpec(
        Action.DEPLOY,
        "deploy",
        "Deploy",
        "deploy",
        # A deploy touches only the idle color, so it may run outside a release window; the cutover may not.
        (*_BASE, g.guard_release, g.guard_image, g.guard_rollback_target, g.guard_snapshot, g.guard_credentials),
        frozenset({Fact.PODS, Fact.LIVE_METRICS, Fact.RELEASE_DAY}),
        abortable=True,
        notify_failure=True,
        takes_version=True,
    ),
    Action.SMOKE: ActionSpec(
        Action.SMOKE,
        "smoke",
        "Smoke",
        "smoke",
        (*_BASE, g.guard_candidate),
        frozenset(),
        abortable=True,
    ),
    Action.CUTOVER: ActionSpec(
        Action.CUTOVER,
        "cutover",
        "Cut over",
        "cutover",
        (
            *_BASE,
            g.guard_candidate,
            g.guard_pods,
            g.guard_smoke,
            g.guard_error_rate,
            g.guard_checklist,
            g.guard_signoff,
            g.guard_window,
            g.guard_image,
            g.guard_snapshot,
            g.guard_credentials,
            g.guard_readiness,
            g.guard_records,
        ),
        frozenset({Fact.PODS, Fact.CANDIDATE, Fact.WINDOW, Fact.RELEASE_DAY, Fact.READINESS}),
        moves_traffic=True,
        notify_failure=True,
    ),
    Action.ROLLBACK: _rollback(Action.ROLLBACK, g.guard_warm),
    Action.ROLLBACK_REVISION: _rollback(Action.ROLLBACK_REVISION, g.guard_revision),
    Action.INSTALL: ActionSpec(
        Action.INSTALL,
        "install",
        "Install",
        "install",
        (*_BASE, g.guard_release, g.guard_image),
        frozenset({Fact.RELEASE_DAY}),
        moves_traffic=True,
        notify_failure=True,
        takes_version=True,
    ),
}


def spec(action: Action) -> ActionSpec:
    """The spec of an action."""
    return SPECS[action]


def unasked_input(what: ActionSpec, version: str | None, to_revision: int | None) -> str | None:
    """Why a request names what its action does not take, or None.

    A cutover acts on the candidate and a rollback on what was live: a version handed to either would
    only change which release the guards and a break-glass approval are checked against.
    """
    if version is not None and not what.takes_version:
        return f"{what.verb} takes no version: it acts on the release in place; leave the version out"
    if to_revision is not None and what.action is not Action.ROLLBACK_REVISION:
        return f"{what.verb} takes no revision: only a rollback goes back to a revision; leave it out"
    return None


def action_for(verb: str, to_revision: int | None = None) -> Action:
    """The action a command name means (``rollback`` with a revision is a revision rollback)."""
    if verb == "rollback" and to_revision is not None:
        return Action.ROLLBACK_REVISION
    return Action(verb)
