"""What a face asks of the release service, what it answers, and how an action ended.

A ``Request`` names the action; ``decide(plan, guards)`` answers with a
``Decision`` on exactly the facts the action will act on; ``run`` returns an
``ActionResult``. These are plain values so both faces and the journal share them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from relui.domain import GuardResult, Remedy, RemedyKind, SmokeResult
from relui.remedy_commands import with_remedy
from relui.services.actions import Action
from relui.services.guard_facts import break_glass_remedy
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
    """How an action ended, with the guard outcomes it was decided on.

    ``summary`` says what happened; when a refusal has a way out, ``remedy``
    carries it as data and each face words it (the TUI its keys, with
    ``relui.screens.remedies``). ``message`` is the summary with the CLI's
    way out: the line the CLI prints and the journal keeps.
    """

    action: str
    env: str
    status: str  # ok, forced, failed, aborted, blocked, cancelled, invalid (bad input)
    summary: str
    guards: tuple[GuardResult, ...]
    plan: Plan | None
    smoke: tuple[SmokeResult, ...] = ()
    kind: Action = Action.DEPLOY
    remedy: Remedy | None = None

    @property
    def ok(self) -> bool:
        """True when the action did what it was asked (forced counts)."""
        return self.status in ("ok", "forced")

    @property
    def message(self) -> str:
        """The summary and the CLI's way out, in one line (``...: relui approve prod --break-glass ...``)."""
        return with_remedy(self.summary, self.remedy)


# Why an action was refused, and the way out if there is one.
Refusal = tuple[str, Remedy | None]


def force_refusal(
    verb: str, blocks: list[GuardResult], decision: Decision, reason: str, facts: Facts
) -> Refusal | None:
    """Why forcing past ``blocks`` is not allowed with this decision, or None when it is."""
    names = ", ".join(g.name for g in blocks)
    env = facts.env.name
    if not decision.force:
        return f"{verb} on {env} blocked by {len(blocks)} guard{'s' if len(blocks) > 1 else ''}: {names}", None
    if not reason:
        return f"{verb} on {env}: --force needs --reason saying why the blocks may be overridden", None
    if facts.env.protected and facts.approval is None:
        why = f"{verb} on {env} blocked by {names}: on a protected environment --force needs a second person's "
        return why + "break-glass approval", break_glass_remedy(facts)
    return None


def hard_refusal(verb: str, env: str, guards: list[GuardResult], hard: list[GuardResult]) -> Refusal:
    """``cutover on prod blocked by ...``: what blocks, why no --force passes it, and a second person's way out."""
    others = [g.name for g in blocking(guards) if g not in hard]
    own = [g.name for g in hard if g.name != "break-glass"]
    if not own:
        why = f"{verb} on {env} blocked by {', '.join(others)}; forcing them on a protected environment needs "
        asked = next((g.remedy for g in guards if g.name == "break-glass" and g.remedy), None)
        return why + "a second person's approval", asked or Remedy(RemedyKind.BREAK_GLASS, env)
    also = f" (also: {', '.join(others)})" if others else ""
    return f"{verb} on {env} blocked by {', '.join(own)}, which cannot be forced{also}", None
