"""Deploy, smoke, cutover and rollback: the one place that acts on an environment.

Each action takes the environment's action mutex, gathers facts, runs the
guards, journals an intent, acts through the ports while reporting progress,
and journals the outcome. The TUI and the CLI call exactly these methods.
All of them block; the TUI runs them in thread workers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from relui.domain import Color, GuardResult, LockInfo, SmokeResult, Verdict
from relui.ports import PortError
from relui.services.aftermath import Aftermath
from relui.services.checklist import Checklists
from relui.services.context import Context
from relui.services.facts import gather
from relui.services.guards import UNFORCEABLE, Facts, blocking, evaluate, forceable
from relui.services.journal import Journal
from relui.services.rollout import ActionFailed, Emit, Progress, RolloutWatch
from relui.statedir import exclusive

__all__ = ["ActionFailed", "ActionResult", "Confirm", "Plan", "Progress", "ReleaseService"]


@dataclass(frozen=True)
class Plan:
    """Exactly what an action would change, for confirmation."""

    action: str
    env: str
    from_color: Color | None
    to_color: Color | None
    version: str | None
    revision: int | None
    changes: tuple[str, ...]


@dataclass(frozen=True)
class ActionResult:
    """How an action ended, with the guard outcomes it was decided on."""

    action: str
    env: str
    status: str  # ok, failed, blocked, forced
    message: str
    guards: tuple[GuardResult, ...]
    plan: Plan | None
    smoke: tuple[SmokeResult, ...] = ()

    @property
    def ok(self) -> bool:
        """True when the action did what it was asked (forced counts)."""
        return self.status in ("ok", "forced")


# Shown the plan and the guard outcomes just before acting; raises to cancel.
Confirm = Callable[[Plan, list[GuardResult]], None]


def _kind(action: str, to_revision: int | None) -> str:
    return "rollback-revision" if action == "rollback" and to_revision is not None else action


def _label(color: Color | None, version: str | None) -> str:
    return f"{color} ({version or '-'})" if color else "-"


def make_plan(kind: str, facts: Facts) -> Plan:
    """What the action would change, in lines a person reads before confirming."""
    rel = facts.release
    env = facts.env.name
    if rel is None:
        return Plan(kind, env, None, None, facts.version, facts.to_revision, ("release state unknown",))
    live, warm, warm_version = rel.live_color, rel.warm_color, rel.warm_version
    changes: tuple[str, ...]
    if kind == "deploy" and facts.env.single_color:
        changes = (f"{live}: {rel.live_version or 'off'} -> {facts.version} in place (live: one color only)",)
        return Plan("deploy", env, live, live, facts.version, None, changes)
    if kind == "deploy":
        changes = (
            f"{warm}: {warm_version or 'off'} -> {facts.version} (not live)",
            f"live traffic stays on {_label(live, rel.live_version)}",
        )
        return Plan("deploy", env, None, warm, facts.version, None, changes)
    if kind == "smoke":
        changes = (f"run smoke checks against {rel.candidate_color or warm}-preview ({rel.candidate_version or '-'})",)
        return Plan("smoke", env, None, rel.candidate_color, rel.candidate_version, None, changes)
    if kind == "cutover":
        target = rel.candidate_color
        changes = (
            f"live traffic: {_label(live, rel.live_version)} -> {_label(target, rel.candidate_version)}",
            f"{_label(live, rel.live_version)} stays up, warm for rollback",
        )
        return Plan("cutover", env, live, target, rel.candidate_version, None, changes)
    tail = (
        f"image {rel.live_version} tagged failed-{rel.live_version}-<UTC stamp>",
        "incident record written, team notified",
    )
    if kind == "rollback":
        changes = (f"live traffic: {_label(live, rel.live_version)} -> {_label(warm, warm_version)}", *tail)
        return Plan("rollback", env, live, warm, warm_version, None, changes)
    changes = (
        f"helm rollback {facts.env.release} {facts.to_revision} (live now {_label(live, rel.live_version)})",
        *tail,
    )
    return Plan("rollback", env, live, None, None, facts.to_revision, changes)


class ReleaseService:
    """Guarded release actions on the environments of one Context."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.journal = Journal(ctx.state_dir, ctx.clock)
        self.checklists = Checklists(ctx)

    def check(
        self,
        action: str,
        env: str,
        version: str | None = None,
        to_revision: int | None = None,
        hotfix_reason: str | None = None,
    ) -> list[GuardResult]:
        """The guard outcomes the action would meet now, without acting."""
        kind = _kind(action, to_revision)
        return evaluate(kind, gather(self.ctx, kind, env, version, to_revision, hotfix_reason))

    def plan(self, action: str, env: str, version: str | None = None, to_revision: int | None = None) -> Plan:
        """What the action would change now."""
        return self.preview(action, env, version, to_revision)[0]

    def preview(
        self, action: str, env: str, version: str | None = None, to_revision: int | None = None
    ) -> tuple[Plan, list[GuardResult]]:
        """What the action would change and the guards it would meet, from one look at the world."""
        kind = _kind(action, to_revision)
        facts = gather(self.ctx, kind, env, version, to_revision)
        return make_plan(kind, facts), evaluate(kind, facts)

    def take_lock(self, env: str) -> LockInfo:
        """Take (or renew) the environment's operator lock; raises LockHeld."""
        name = self.ctx.env(env).name
        info = self.ctx.env_ports(name).cluster.acquire_lock(self.ctx.operator)
        self.journal.note(self.ctx.operator, name, "lock")
        return info

    def renew_lock(self, env: str) -> LockInfo:
        """Keep a held lock alive (a running TUI does this); not journaled, raises LockHeld if lost."""
        name = self.ctx.env(env).name
        return self.ctx.env_ports(name).cluster.acquire_lock(self.ctx.operator)

    def release_lock(self, env: str) -> None:
        """Give the environment's lock back."""
        name = self.ctx.env(env).name
        self.ctx.env_ports(name).cluster.release_lock(self.ctx.operator)
        self.journal.note(self.ctx.operator, name, "unlock")

    @contextmanager
    def _mutex(self, env: str) -> Iterator[bool]:
        """One action at a time per environment, across processes sharing the state dir."""
        with exclusive(self.ctx.state_dir / "actions" / env, blocking=False) as held:
            yield held

    def _run(
        self,
        action: str,
        env_name: str,
        body: Callable[[Facts, Emit], tuple[str, tuple[SmokeResult, ...]]],
        *,
        version: str | None = None,
        to_revision: int | None = None,
        reason: str = "",
        force: bool = False,
        hotfix_reason: str | None = None,
        on_progress: Callable[[Progress], None] | None = None,
        confirm: Confirm | None = None,
    ) -> ActionResult:
        env = self.ctx.env(env_name).name
        emit: Emit = on_progress or (lambda _p: None)
        kind = _kind(action, to_revision)
        with self._mutex(env) as held:
            if not held:
                busy = GuardResult(
                    "busy", Verdict.BLOCK, f"another relui action is running on {env}; wait for it to finish"
                )
                return ActionResult(action, env, "blocked", busy.reason, (busy,), None)
            emit(Progress("guards", f"checking guards for {action} on {env}"))
            facts = gather(self.ctx, kind, env, version, to_revision, hotfix_reason)
            guards = evaluate(kind, facts)
            plan = make_plan(kind, facts)
            blocks = blocking(guards)
            detail: dict[str, object] = {
                "version": plan.version,
                "from_version": facts.release.live_version if facts.release else None,
                "from_color": str(plan.from_color) if plan.from_color else None,
                "to_color": str(plan.to_color) if plan.to_color else None,
                "revision": to_revision,
                "reason": reason or hotfix_reason or "",
                "guards": [{"name": g.name, "verdict": str(g.verdict), "reason": g.reason} for g in guards],
            }
            if blocks and not (force and reason and forceable(guards)):
                message = self._refusal(action, env, blocks, force, reason, guards)
                intent = self.journal.intent(self.ctx.operator, env, action, **detail)
                self.journal.outcome(intent, "blocked", message=message)
                return ActionResult(action, env, "blocked", message, tuple(guards), plan)
            if confirm is not None:
                # Asked under the mutex, on the very facts the action will act on; raising cancels.
                confirm(plan, guards)
            forced = bool(blocks)
            if forced:
                detail["forced_over"] = [g.name for g in blocks]
            intent = self.journal.intent(self.ctx.operator, env, action, **detail)
            took_lock = facts.lock is None and not self.ctx.read_only
            try:
                if took_lock:
                    self.ctx.env_ports(env).cluster.acquire_lock(self.ctx.operator)
                message, smoke = body(facts, emit)
            except (ActionFailed, PortError) as exc:
                self.journal.outcome(intent, "failed", message=str(exc))
                emit(Progress("failed", str(exc)))
                if action in ("deploy", "cutover", "rollback"):
                    self._notify(f"relui: {action} on {env} FAILED", str(exc), env)
                smoke_results = exc.smoke if isinstance(exc, ActionFailed) else ()
                return ActionResult(action, env, "failed", str(exc), tuple(guards), plan, smoke_results)
            except BaseException as exc:
                self.journal.outcome(intent, "interrupted", message=f"{type(exc).__name__}: {exc}")
                raise
            finally:
                if took_lock:
                    self._release_quietly(env)
            status = "forced" if forced else "ok"
            self.journal.outcome(intent, status, message=message, version=plan.version)
            emit(Progress("done", message))
            return ActionResult(action, env, status, message, tuple(guards), plan, smoke)

    def _refusal(
        self, action: str, env: str, blocks: list[GuardResult], force: bool, reason: str, guards: list[GuardResult]
    ) -> str:
        if force and not reason:
            return f"{action} on {env}: --force needs --reason saying why the blocks may be overridden"
        if force and not forceable(guards):
            names = ", ".join(g.name for g in blocks if g.name in UNFORCEABLE)
            return f"{action} on {env} blocked by {names}, which cannot be forced"
        return f"{action} on {env} blocked by {len(blocks)} guard{'s' if len(blocks) > 1 else ''}: " + ", ".join(
            g.name for g in blocks
        )

    def _release_quietly(self, env: str) -> None:
        try:
            self.ctx.env_ports(env).cluster.release_lock(self.ctx.operator)
        except PortError as exc:
            self.journal.note(self.ctx.operator, env, "unlock", "failed", message=str(exc))

    def _notify(self, subject: str, body: str, env: str) -> list[str]:
        failures = self.ctx.ports.notifier.send(subject, body)
        for failure in failures:
            self.journal.note(self.ctx.operator, env, "notify", "failed", message=failure)
        return failures

    def _describe(self, what: str, reason: str) -> str:
        return f"relui {what} by {self.ctx.operator}" + (f": {reason}" if reason else "")

    def _watch(self, env: str) -> RolloutWatch:
        return RolloutWatch(self.ctx.env(env), self.ctx.env_ports(env), self.ctx.clock)

    def deploy(
        self,
        env: str,
        version: str,
        *,
        reason: str = "",
        force: bool = False,
        on_progress: Callable[[Progress], None] | None = None,
        confirm: Confirm | None = None,
    ) -> ActionResult:
        """Put ``version`` on the idle color, wait for its pods, smoke it. Live traffic never moves."""

        def body(facts: Facts, emit: Emit) -> tuple[str, tuple[SmokeResult, ...]]:
            assert facts.release is not None
            # A single-color (Compose) environment is replaced in place; elsewhere the idle color gets it.
            color = facts.release.live_color if facts.env.single_color else facts.release.warm_color
            ports = self.ctx.env_ports(facts.env.name)
            emit(Progress("upgrade", f"upgrade {facts.env.release}: {color} -> {version}"))
            ports.releases.deploy(color, version, self._describe(f"deploy {version} to {color}", reason))
            watch = self._watch(facts.env.name)
            watch.wait_ready(color, version, emit, live=facts.release)
            results = watch.smoke(color, emit)
            self.checklists.record_smoke(facts.env.name, version, color, results)
            if not all(r.passed for r in results):
                failed = ", ".join(f"{r.name} ({r.detail})" for r in results if not r.passed)
                raise ActionFailed(f"{version} is up on {color} but smoke failed: {failed}", tuple(results))
            return (
                f"{version} is ready on {color} (not live) and passed smoke; next: relui cutover {facts.env.name}",
                tuple(results),
            )

        return self._run(
            "deploy",
            env,
            body,
            version=version,
            reason=reason,
            force=force,
            on_progress=on_progress,
            confirm=confirm,
        )

    def smoke(self, env: str, *, on_progress: Callable[[Progress], None] | None = None) -> ActionResult:
        """Run the smoke checks against the candidate color and keep the results."""

        def body(facts: Facts, emit: Emit) -> tuple[str, tuple[SmokeResult, ...]]:
            assert facts.release is not None and facts.release.candidate_color is not None
            color, version = facts.release.candidate_color, facts.release.candidate_version or ""
            results = self._watch(facts.env.name).smoke(color, emit)
            self.checklists.record_smoke(facts.env.name, version, color, results)
            if not all(r.passed for r in results):
                failed = ", ".join(f"{r.name} ({r.detail})" for r in results if not r.passed)
                raise ActionFailed(f"smoke failed for {version} on {color}: {failed}", tuple(results))
            return f"smoke passed for {version} on {color} ({len(results)} checks)", tuple(results)

        return self._run("smoke", env, body, on_progress=on_progress)

    def cutover(
        self,
        env: str,
        *,
        reason: str = "",
        force: bool = False,
        hotfix_reason: str | None = None,
        on_progress: Callable[[Progress], None] | None = None,
        confirm: Confirm | None = None,
    ) -> ActionResult:
        """Move live traffic to the candidate; the previous color stays warm."""

        def body(facts: Facts, emit: Emit) -> tuple[str, tuple[SmokeResult, ...]]:
            rel = facts.release
            assert rel is not None and rel.candidate_color is not None
            target, previous = rel.candidate_color, rel.live_color
            ports = self.ctx.env_ports(facts.env.name)
            emit(Progress("switch", f"activeColor {previous} -> {target}"))
            ports.releases.set_active(
                target, self._describe(f"cutover {previous}->{target}", reason or hotfix_reason or "")
            )
            self._watch(facts.env.name).verify_live(target, emit)
            message = (
                f"live traffic: {_label(previous, rel.live_version)} -> {_label(target, rel.candidate_version)}; "
                f"{previous} stays warm for rollback"
            )
            self._notify(f"relui: {facts.env.title} now serves {rel.candidate_version}", message, facts.env.name)
            return message, ()

        return self._run(
            "cutover",
            env,
            body,
            reason=reason,
            force=force,
            hotfix_reason=hotfix_reason,
            on_progress=on_progress,
            confirm=confirm,
        )

    def rollback(
        self,
        env: str,
        *,
        to_revision: int | None = None,
        reason: str = "",
        force: bool = False,
        on_progress: Callable[[Progress], None] | None = None,
        confirm: Confirm | None = None,
    ) -> ActionResult:
        """Switch back to the warm color, or roll the release back to a revision."""

        def body(facts: Facts, emit: Emit) -> tuple[str, tuple[SmokeResult, ...]]:
            aftermath = Aftermath(self.ctx, self.journal, facts, reason, self._notify)
            return aftermath.roll_back(to_revision, self._watch(facts.env.name), self._describe, emit), ()

        return self._run(
            "rollback",
            env,
            body,
            to_revision=to_revision,
            reason=reason,
            force=force,
            on_progress=on_progress,
            confirm=confirm,
        )
