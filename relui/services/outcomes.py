"""How a decided action is written down and answered: journal detail, outcome, result.

``ReleaseService.run`` decides and acts; what it hands back and journals is
made here: the detail an intent carries, the outcome of an action that ran,
a decision that changed nothing (blocked, cancelled) journaled as intent and
outcome, a refusal before any fact was read, and the notifications that
never undo an action.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from relui.domain import GuardResult, Remedy, SmokeResult, Verdict
from relui.ports import PortError
from relui.services.actions import ActionSpec
from relui.services.context import Context
from relui.services.guards import Facts
from relui.services.journal import Entry, Journal
from relui.services.plans import Plan
from relui.services.requests import ActionResult, Request


class Outcomes:
    """Journals and answers the actions of one Context."""

    def __init__(self, ctx: Context, journal: Journal) -> None:
        self.ctx = ctx
        self.journal = journal

    def ended(
        self,
        intent: Entry,
        request: Request,
        what: ActionSpec,
        status: str,
        message: str,
        guards: list[GuardResult],
        plan: Plan,
        smoke: tuple[SmokeResult, ...] = (),
    ) -> ActionResult:
        """An action that ran (or was stopped), its outcome journaled against its intent."""
        try:
            self.journal.outcome(intent, status, message=message, version=plan.version)
        except PortError as exc:
            message += f" (the journal outcome could not be written: {exc}; status will show it as interrupted)"
        return ActionResult(what.verb, request.env, status, message, tuple(guards), plan, smoke, request.action)

    def closed(
        self,
        request: Request,
        what: ActionSpec,
        status: str,
        message: str,
        guards: list[GuardResult],
        plan: Plan,
        facts: Facts,
        remedy: Remedy | None = None,
    ) -> ActionResult:
        """A decision that changed nothing (blocked, cancelled), journaled as intent and outcome, with its way out."""
        result = ActionResult(
            what.verb, request.env, status, message, tuple(guards), plan, kind=request.action, remedy=remedy
        )

        def record() -> None:
            intent = self.journal.intent(
                self.ctx.operator_on(request.env),
                request.env,
                what.verb,
                **self.detail(request, plan, guards, facts, request.reason),
            )
            self.journal.outcome(intent, status, message=result.message)

        self.quietly(record)
        return result

    def refused(self, request: Request, what: ActionSpec, env: str, guard: str, message: str) -> ActionResult:
        """Refused before any fact was read: bad input (``invalid``), busy, an unusable state dir."""
        result = GuardResult(guard, Verdict.BLOCK, message)
        status = "invalid" if guard == "input" else "blocked"
        return ActionResult(what.verb, env, status, message, (result,), None, kind=request.action)

    def detail(
        self, request: Request, plan: Plan, guards: list[GuardResult], facts: Facts, reason: str
    ) -> dict[str, object]:
        """What an intent journals: the move, the guards met, the reason and who asked."""
        rel = facts.release
        detail: dict[str, object] = {
            "version": plan.version,
            "from_version": rel.live.version if rel else None,
            "from_color": str(plan.from_color) if plan.from_color else None,
            "to_color": str(plan.to_color) if plan.to_color else None,
            "revision": request.to_revision,
            "reason": reason or (facts.hotfix_reason or ""),
            "guards": [{"name": g.name, "verdict": str(g.verdict), "reason": g.reason} for g in guards],
        }
        if request.trigger:
            detail["trigger"] = request.trigger
        who = self.ctx.principal(request.env)
        detail["principal"], detail["verified_by"] = who.principal, who.how
        return detail

    def notify(self, subject: str, body: str, env: str) -> list[str]:
        """Tell people; a failure is journaled and returned, never raised."""
        try:
            failures = self.ctx.ports.notifier.send(subject, body)
        except Exception as exc:  # noqa: BLE001 - telling people never undoes an action
            failures = [f"notifier failed: {exc}"]
        for failure in failures:
            with contextlib.suppress(PortError):
                self.journal.note(self.ctx.operator_on(env), env, "notify", "failed", message=failure)
        return failures

    @staticmethod
    def quietly(write: Callable[[], object]) -> None:
        """Journal what may fail to be journaled; the action's own outcome says so where it matters."""
        with contextlib.suppress(PortError):
            write()


__all__ = ["Outcomes"]
