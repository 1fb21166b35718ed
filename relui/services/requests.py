"""What a face asks of the release service, what it answers, and how an action ended.

A ``Request`` names the action; ``decide(plan, guards)`` answers with a
``Decision`` on exactly the facts the action will act on; ``run`` returns an
``ActionResult``. These are plain values so both faces and the journal share them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from relui.domain import GuardResult, SmokeResult
from relui.services.actions import Action
from relui.services.guards import Facts, blocking
from relui.services.plans import Plan


@dataclass(frozen=True)
class Request:
    """What someone asks relui to do."""

    action: Action
    env: str
    version: str | None = None
    to_revision: int | None = None
    reason: str = ""
    hotfix_reason: str | None = None
    trigger: str = ""  # "auto-rollback" when relui itself asks


@dataclass(frozen=True)
class Decision:
    """The answer of a face's decide: go or not, forced or not, and why."""

    go: bool
    force: bool = False
    reason: str = ""
    hotfix_reason: str | None = None
    note: str = ""  # why not, when go is False


Decide = Callable[[Plan, tuple[GuardResult, ...]], Decision]


def accept(force: bool = False, reason: str = "", hotfix_reason: str | None = None) -> Decide:
    """A decide that says yes to whatever it is shown (pipelines with --yes, tests, automation)."""
    return lambda _plan, _guards: Decision(True, force, reason, hotfix_reason)


@dataclass(frozen=True)
class ActionResult:
    """How an action ended, with the guard outcomes it was decided on."""

    action: str
    env: str
    status: str  # ok, forced, failed, aborted, blocked, cancelled, invalid (bad input)
    message: str
    guards: tuple[GuardResult, ...]
    plan: Plan | None
    smoke: tuple[SmokeResult, ...] = ()
    kind: Action = Action.DEPLOY

    @property
    def ok(self) -> bool:
        """True when the action did what it was asked (forced counts)."""
        return self.status in ("ok", "forced")


def force_refusal(verb: str, blocks: list[GuardResult], decision: Decision, reason: str, facts: Facts) -> str | None:
    """Why forcing past ``blocks`` is not allowed with this decision, or None when it is."""
    names = ", ".join(g.name for g in blocks)
    env = facts.env.name
    if not decision.force:
        return f"{verb} on {env} blocked by {len(blocks)} guard{'s' if len(blocks) > 1 else ''}: {names}"
    if not reason:
        return f"{verb} on {env}: --force needs --reason saying why the blocks may be overridden"
    if facts.env.protected and facts.approval is None:
        return (
            f"{verb} on {env} blocked by {names}: on a protected environment --force needs a second person's "
            f"break-glass approval: relui approve {env} --break-glass --reason TEXT"
        )
    return None


def hard_refusal(verb: str, env: str, guards: list[GuardResult], hard: list[GuardResult]) -> str:
    """``cutover on prod blocked by ...``: what blocks, and why no --force passes it."""
    others = [g.name for g in blocking(guards) if g not in hard]
    own = [g.name for g in hard if g.name != "break-glass"]
    if not own:
        return (
            f"{verb} on {env} blocked by {', '.join(others)}; forcing them on a protected environment needs "
            f"a second person's approval: relui approve {env} --break-glass --reason TEXT"
        )
    return f"{verb} on {env} blocked by {', '.join(own)}, which cannot be forced" + (
        f" (also: {', '.join(others)})" if others else ""
    )
