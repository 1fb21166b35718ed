"""The one decision path: every release action, from either face, goes through ``ReleaseService.run``.

``run(request, decide, on_progress)`` takes the environment's action mutex,
gathers the facts once, evaluates the action's guards, asks ``decide(plan,
guards)`` on exactly those facts, and acts only on what decide accepted.
The intent is journaled durably before anything is touched and the outcome
after; an intent that cannot be written stops the action. The TUI's decide
opens the confirm modal; the CLI's is the typed name or ``--yes``. What an
action journals and answers is made in ``relui.services.outcomes``.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from relui.domain import GuardResult, SmokeResult
from relui.ports import PortError
from relui.services.actions import Action, ActionSpec, action_for, spec, unasked_input
from relui.services.checklist import Checklists
from relui.services.context import Context
from relui.services.facts import gather
from relui.services.guards import Facts, blocking, unforceable, with_break_glass
from relui.services.inflight import InFlight, Running, this_pid
from relui.services.journal import Entry, Journal
from relui.services.locks import holder_name, this_host
from relui.services.moves import Aborted, ActionRun, body_of
from relui.services.outcomes import Outcomes
from relui.services.plans import Plan, heading, make_plan
from relui.services.requests import ActionResult, Decide, Decision, Request, accept, force_refusal, hard_refusal
from relui.services.rollout import ActionFailed, Progress
from relui.services.service_locks import LockRefused, LockService
from relui.services.stopping import PENDING, Stopping, track
from relui.services.text import InvalidInput, one_line, validate_version
from relui.services.turns import ask_unless_preempted, await_restored, take_turn

__all__ = [
    "Action",
    "ActionFailed",
    "ActionResult",
    "Decide",
    "Decision",
    "LockRefused",
    "Plan",
    "Progress",
    "ReleaseService",
    "Request",
    "accept",
    "heading",
]

# An answer that took longer than this was given to guards that may have changed: they are read again.
STALE_AFTER_SECONDS = 10.0


class ReleaseService:
    """Guarded release actions on the environments of one Context."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.journal = Journal(ctx.state_dir, ctx.clock)
        self.checklists = Checklists(ctx)
        self.inflight = InFlight(ctx.state_dir)
        self.locks = LockService(ctx, self.journal)
        self.outcomes = Outcomes(ctx, self.journal)
        self.stopping = Stopping()
        track(self)

    # Reading without acting (the TUI's hints, `relui ... --dry-run`-like previews).
    def preview(
        self,
        action: str | Action,
        env: str,
        version: str | None = None,
        to_revision: int | None = None,
        hotfix_reason: str | None = None,
    ) -> tuple[Plan, list[GuardResult]]:
        """What the action would change and the guards it would meet now; nothing is journaled or acted on."""
        kind = action if isinstance(action, Action) else action_for(action, to_revision)
        unasked = unasked_input(spec(kind), version, to_revision)
        if unasked:
            raise InvalidInput(unasked)
        facts = gather(self.ctx, kind, env, version, to_revision, hotfix_reason)
        return make_plan(kind, facts), with_break_glass(spec(kind).evaluate(facts), facts)

    def plan(self, action: str | Action, env: str, version: str | None = None, to_revision: int | None = None) -> Plan:
        """What the action would change now."""
        return self.preview(action, env, version, to_revision)[0]

    def check(
        self,
        action: str | Action,
        env: str,
        version: str | None = None,
        to_revision: int | None = None,
        hotfix_reason: str | None = None,
    ) -> list[GuardResult]:
        """The guard outcomes the action would meet now."""
        return self.preview(action, env, version, to_revision, hotfix_reason)[1]

    # Locks (kept on the service so both faces reach them the same way).
    def take_lock(self, env: str) -> Any:
        """Take (or renew) the operator lock; raises LockHeld or LockRefused."""
        return self.locks.take(env)

    def renew_lock(self, env: str) -> Any:
        """Keep a held lock alive; not journaled."""
        return self.locks.renew(env)

    def release_lock(self, env: str, *, force: bool = False, reason: str = "") -> str:
        """Give the lock back, or take over another's with force and a reason; returns what happened."""
        return self.locks.release(env, force=force, reason=reason)

    # The one decision path.
    def run(
        self, request: Request, decide: Decide, on_progress: Callable[[Progress], None] | None = None
    ) -> ActionResult:
        """Decide and carry out one action; never raises for a refusal or a failure of an outside system."""
        emit = on_progress or (lambda _p: None)
        what = spec(request.action)
        env = self.ctx.env(request.env).name
        try:
            version = validate_version(request.version) if request.version is not None else None
        except InvalidInput as exc:
            return self.outcomes.refused(request, what, env, "input", str(exc))
        unasked = unasked_input(what, request.version, request.to_revision)
        if unasked:
            return self.outcomes.refused(request, what, env, "input", unasked)
        request = replace(request, env=env, version=version, reason=one_line(request.reason))
        with self.stopping.counted():
            if self.stopping.reason:
                message = f"relui is stopping ({self.stopping.reason}); nothing was started"
                return self.outcomes.refused(request, what, env, "stopping", message)
            return self._take_turn_and_run(request, what, env, decide, emit)

    def _take_turn_and_run(
        self, request: Request, what: ActionSpec, env: str, decide: Decide, emit: Callable[[Progress], None]
    ) -> ActionResult:
        try:
            with take_turn(self.inflight, env, what, self.ctx.operator_on(env), self.ctx.clock.now, emit) as turn:
                if not turn.held:
                    holder = self.inflight.running(env)
                    who = f" ({holder.action} by {holder.operator} on {holder.host})" if holder else ""
                    return self.outcomes.refused(
                        request, what, env, "busy", f"another relui action is running on {env}{who}; wait for it"
                    )
                if turn.preempted:
                    await_restored(self.ctx, request, emit)
                pending = f"{PENDING}{this_pid()}-{time.monotonic_ns()}"
                try:
                    return self._decide_and_act(request, what, decide, emit, pending)
                finally:
                    # The marker of a decision that changed nothing, and any abort asked of it.
                    self.inflight.unmark(env, pending)
        except OSError as exc:
            return self.outcomes.refused(
                request, what, env, "journal", f"the state dir {self.ctx.state_dir} is not usable ({exc.strerror})"
            )

    def _decide_and_act(
        self, request: Request, what: ActionSpec, decide: Decide, emit: Callable[[Progress], None], pending: str
    ) -> ActionResult:
        env_cfg = self.ctx.env(request.env)
        emit(Progress("guards", f"checking guards for {what.verb} on {request.env}"))
        facts = gather(
            self.ctx, request.action, request.env, request.version, request.to_revision, request.hotfix_reason
        )
        guards = with_break_glass(what.evaluate(facts), facts)
        plan = make_plan(request.action, facts)
        self._mark(request, what, pending, abortable=True)
        if self.stopping.reason:
            # The stop began while the guards were read, before this marker: asking now would wait for nobody.
            message = f"relui was {self.stopping.reason} before {what.verb} was asked; nothing was changed"
            return self.outcomes.closed(request, what, "cancelled", message, guards, plan, facts)
        asked = self.ctx.clock.now()
        # Asked even when blocks no answer can force stand: the TUI's modal lists why, and a hotfix
        # reason typed there may clear the window, and with it the break-glass the window alone caused.
        decision = ask_unless_preempted(self.inflight, request.env, pending, decide, plan, tuple(guards))
        hard = unforceable(guards, env_cfg)
        if hard and (decision is None or not decision.go):
            # The attempt met blocks nothing could pass: journaled as blocked, with the way out.
            refused, remedy = hard_refusal(what.verb, request.env, guards, hard)
            return self.outcomes.closed(request, what, "blocked", refused, guards, plan, facts, remedy)
        if decision is None:
            gave_way = f"relui was {self.stopping.reason}" if self.stopping.reason else "a rollback went first"
            return self.outcomes.closed(
                request, what, "cancelled", f"{gave_way}; nothing was changed", guards, plan, facts
            )
        if not decision.go:
            return self.outcomes.closed(
                request, what, "cancelled", decision.note or "cancelled; nothing was changed", guards, plan, facts
            )
        hotfix = decision.hotfix_reason or request.hotfix_reason
        if hotfix != facts.hotfix_reason:
            # Only the window guard reads the hotfix reason; everything else stays as shown.
            facts.hotfix_reason = one_line(hotfix or "") or None
            guards = with_break_glass(what.evaluate(facts), facts)
        hard = unforceable(guards, env_cfg)
        if hard:
            refused, remedy = hard_refusal(what.verb, request.env, guards, hard)
            return self.outcomes.closed(request, what, "blocked", refused, guards, plan, facts, remedy)
        if (self.ctx.clock.now() - asked).total_seconds() >= STALE_AFTER_SECONDS:
            # An answer that took this long was given to what was shown then: the window may have
            # closed, a freeze begun, an approval expired, the candidate's pods gone unready.
            fresh = gather(self.ctx, request.action, request.env, request.version, request.to_revision, hotfix)
            fresh_guards = with_break_glass(what.evaluate(fresh), fresh)
            shown = {g.name for g in blocking(guards)}
            newly = [g.name for g in blocking(fresh_guards) if g.name not in shown]
            if newly or make_plan(request.action, fresh) != plan:
                changed = ", ".join(newly) + " now blocking" if newly else "the plan changed"
                message = (
                    f"{what.verb} on {request.env}: {changed} while you were asked; nothing was changed, ask again"
                )
                return self.outcomes.closed(request, what, "blocked", message, fresh_guards, plan, fresh)
            facts, guards = fresh, fresh_guards
        reason = one_line(decision.reason) or request.reason
        blocks = blocking(guards)
        approval = None
        if blocks:
            refusal = force_refusal(what.verb, blocks, decision, reason, facts)
            if refusal:
                return self.outcomes.closed(request, what, "blocked", refusal[0], guards, plan, facts, refusal[1])
            approval = facts.approval if env_cfg.protected else None
        detail = self.outcomes.detail(request, plan, guards, facts, reason)
        if blocks:
            detail["forced_over"] = [g.name for g in blocks]
        if approval is not None:
            detail["break_glass"] = approval.id
            detail["approved_by"] = approval.approver
            detail["approved_for"] = approval.purpose
        with self.stopping.held() as stopping:
            if stopping:
                # Answered after the stop began: a stop either finds this action's marker or comes before its intent.
                message = f"relui was {stopping} before {what.verb} began; nothing was changed"
                return self.outcomes.closed(request, what, "cancelled", message, guards, plan, facts)
            try:
                intent = self.journal.intent(self.ctx.operator_on(request.env), request.env, what.verb, **detail)
            except PortError as exc:
                return ActionResult(
                    what.verb,
                    request.env,
                    "blocked",
                    str(exc) if "nothing was changed" in str(exc) else f"{exc}; nothing was changed",
                    tuple(guards),
                    plan,
                    kind=request.action,
                )
            self._mark(request, what, intent.id, abortable=what.abortable)
        return self._act(request, what, facts, plan, guards, intent, forced=bool(blocks), reason=reason, emit=emit)

    def _act(
        self,
        request: Request,
        what: ActionSpec,
        facts: Facts,
        plan: Plan,
        guards: list[GuardResult],
        intent: Entry,
        *,
        forced: bool,
        reason: str,
        emit: Callable[[Progress], None],
    ) -> ActionResult:
        env = request.env
        run = ActionRun(
            self.ctx, self.journal, self.checklists, facts, plan, request.action, reason, emit, self._notify
        )
        run.stop_requested = lambda: self._stop_reason(env, intent.id)
        took_lock = False
        smoke: tuple[SmokeResult, ...] = ()
        try:
            took_lock = self._wants_lock(facts)
            if took_lock:
                # Marked before asking: an acquire that took effect but answered late is still given back.
                self._lock_for_action(facts)
            message, smoke = body_of(request.action)(run)
        except Aborted as exc:
            return self.outcomes.ended(intent, request, what, "aborted", str(exc), guards, plan)
        except (ActionFailed, PortError) as exc:
            smoke = exc.smoke if isinstance(exc, ActionFailed) else ()
            message = str(exc)
            if what.moves_traffic:
                message += run.where_traffic_is()
            emit(Progress("failed", message))
            if what.notify_failure:
                self._notify(f"relui: {what.verb} on {env} FAILED", message, env)
            return self.outcomes.ended(intent, request, what, "failed", message, guards, plan, smoke)
        except BaseException as exc:
            died = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            self.outcomes.quietly(lambda: self.journal.outcome(intent, "interrupted", message=died))
            raise
        finally:
            if took_lock:
                self.locks.release_quietly(env, holder_name(self.ctx.operator_on(env), facts.host, this_pid()))
            self.inflight.unmark(env, intent.id)
        emit(Progress("done", message))
        return self.outcomes.ended(intent, request, what, "forced" if forced else "ok", message, guards, plan, smoke)

    def _wants_lock(self, facts: Facts) -> bool:
        """True when the action should hold the operator lock itself: nobody holds it, or a dead process did."""
        return not self.ctx.read_only and (facts.lock is None or facts.stale_lock is not None)

    def _lock_for_action(self, facts: Facts) -> None:
        """Take the operator lock for the action (taking over a dead process's lock first)."""
        cluster = self.ctx.env_ports(facts.env.name).cluster
        if facts.stale_lock is not None and facts.lock is not None:
            cluster.release_lock(facts.lock.holder)
            self.outcomes.quietly(
                lambda: self.journal.note(
                    self.ctx.operator_on(facts.env.name),
                    facts.env.name,
                    "unlock",
                    "stale",
                    holder=facts.lock.holder if facts.lock else "",
                )
            )
        cluster.acquire_lock(holder_name(self.ctx.operator_on(facts.env.name), facts.host, this_pid()))

    def _stop_reason(self, env: str, action_id: str) -> str | None:
        request = self.inflight.abort_requested(env, action_id)
        if request is None:
            return None
        return f"aborted by {request.by}" + (f": {request.reason}" if request.reason else "")

    def _mark(self, request: Request, what: ActionSpec, action_id: str, *, abortable: bool) -> None:
        running = Running(
            action_id,
            what.verb,
            self.ctx.operator_on(request.env),
            this_host(),
            this_pid(),
            self.ctx.clock.now().isoformat(),
            abortable,
            request.version,
        )
        with contextlib.suppress(OSError):  # only a hint for abort and status; the mutex itself is held
            self.inflight.mark(request.env, running)

    def _notify(self, subject: str, body: str, env: str) -> list[str]:
        """Tell people (the bake watch does too); failures are journaled, never raised."""
        return self.outcomes.notify(subject, body, env)

    # Conveniences for tests, drills and automation: run with a decide that accepts.
    def deploy(
        self,
        env: str,
        version: str,
        *,
        reason: str = "",
        force: bool = False,
        on_progress: Callable[[Progress], None] | None = None,
    ) -> ActionResult:
        """Deploy ``version`` to the idle color (accepting what the guards allow)."""
        return self.run(Request(Action.DEPLOY, env, version, reason=reason), accept(force, reason), on_progress)

    def smoke(self, env: str, *, on_progress: Callable[[Progress], None] | None = None) -> ActionResult:
        """Smoke-check the candidate."""
        return self.run(Request(Action.SMOKE, env), accept(), on_progress)

    def cutover(
        self,
        env: str,
        *,
        reason: str = "",
        force: bool = False,
        hotfix_reason: str | None = None,
        on_progress: Callable[[Progress], None] | None = None,
    ) -> ActionResult:
        """Move live traffic to the candidate."""
        request = Request(Action.CUTOVER, env, reason=reason, hotfix_reason=hotfix_reason)
        return self.run(request, accept(force, reason, hotfix_reason), on_progress)

    def rollback(
        self,
        env: str,
        *,
        to_revision: int | None = None,
        reason: str = "",
        force: bool = False,
        on_progress: Callable[[Progress], None] | None = None,
    ) -> ActionResult:
        """Roll back to the warm previous color, or to a revision."""
        request = Request(action_for("rollback", to_revision), env, to_revision=to_revision, reason=reason)
        return self.run(request, accept(force, reason), on_progress)
