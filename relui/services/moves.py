"""The bodies of the actions: what each does through the ports once it was decided.

Each body gets an ``ActionRun`` (the decided facts, the plan, progress and a
way to ask whether it should stop) and returns its one-line outcome. A body
raises ``ActionFailed`` or ``PortError`` when it did not succeed and
``Aborted`` when it was asked to stop; the service journals either.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from relui.domain import Color, SmokeResult
from relui.ports import EnvPorts, PortError
from relui.services.actions import Action
from relui.services.aftermath import Aftermath
from relui.services.checklist import Checklists
from relui.services.context import Context
from relui.services.guards import Facts, target_revision
from relui.services.journal import Journal
from relui.services.plans import Plan, revision_direct
from relui.services.problems import ServiceError
from relui.services.release_state import serving
from relui.services.rollout import Aborted, ActionFailed, Emit, Progress, RolloutWatch

__all__ = ["Aborted", "ActionRun", "body_of"]

Outcome = tuple[str, tuple[SmokeResult, ...]]
Notify = Callable[[str, str, str], list[str]]


@dataclass
class ActionRun:
    """One decided action being carried out."""

    ctx: Context
    journal: Journal
    checklists: Checklists
    facts: Facts
    plan: Plan
    action: Action
    reason: str
    emit: Emit
    notify: Notify
    stop_requested: Callable[[], str | None] = field(default=lambda: None)

    @property
    def env(self) -> str:
        """The environment's name."""
        return self.facts.env.name

    @property
    def ports(self) -> EnvPorts:
        """The environment's ports (fresh reads, not the decision's cached ones)."""
        return self.ctx.env_ports(self.env)

    def watch(self) -> RolloutWatch:
        """A watch over this environment's rollouts."""
        return RolloutWatch(self.facts.env, self.ports, self.ctx.clock, self.stop_requested)

    def describe(self, what: str) -> str:
        """The helm description of an upgrade: the cluster-side audit trail."""
        return f"relui {what} by {self.ctx.operator_on(self.env)}" + (f": {self.reason}" if self.reason else "")

    def switch_onto(self, color: Color, version: str | None, what: str, must_read: bool = True) -> None:
        """Move live traffic onto ``color``, once it still runs ``version`` with every pod ready.

        The decision's facts can be seconds old (a confirm, a slow source), and
        another machine may have changed the idle color since: a rollback from
        a second bastion, a deploy through a records store this one does not
        share. So the color is read again right before the switch. A color
        that now runs something else, or not on every pod, gets no traffic.
        A read that fails refuses a cutover; a rollback (``must_read=False``)
        goes ahead on the facts it was decided on, as it does with a dark source.
        """
        try:
            configured = self.ports.releases.values().tag(color)
            state = self.ports.cluster.color_states().get(color)
        except PortError as exc:
            if must_read:
                raise ActionFailed(
                    f"{color} could not be read again before the switch ({exc}); nothing was switched"
                ) from None
        else:
            if configured != version or not serving(state, version):
                runs = f"{state.version or '-'}, {state.ready}/{state.desired} ready" if state else "nothing"
                raise ActionFailed(
                    f"{color} changed since this was decided: it runs {runs}, not {version} on every pod ready; "
                    "nothing was switched"
                )
        self.ports.releases.set_active(color, self.describe(what))

    def where_traffic_is(self) -> str:
        """``; live traffic is now on green (1.6.0)``, read back from the cluster."""
        try:
            color = self.ports.cluster.observed_active_color()
            version = self.ports.releases.values().tag(color) if color else None
        except PortError as exc:
            return f"; where live traffic is now could not be read ({exc}): check relui status {self.env}"
        return f"; live traffic is now on {color or 'nothing'}" + (f" ({version})" if version else "")

    def restore_idle(self, color: Color, why: str) -> str:
        """Put the idle color back on the revision it had before (so a failed one is never built on)."""
        base = self.facts.release.base_revision if self.facts.release else None
        if base is None or self.facts.env.single_color:
            return ""
        self.emit(Progress("restore", f"putting {color} back on revision {base}"))
        try:
            self.ports.releases.rollback(
                base, f"relui restore revision {base} by {self.ctx.operator_on(self.env)}: {why}"
            )
        except PortError as exc:
            return f"; {color} could not be put back on revision {base}: {exc}"
        return f"; {color} put back on revision {base}"


def _smoke_and_record(run: ActionRun, color: Color, version: str) -> tuple[SmokeResult, ...]:
    stop = run.stop_requested()
    if stop:
        raise Aborted(f"{stop}; smoke of {version} on {color} not run")
    results = tuple(run.watch().smoke(color, run.emit))
    try:
        run.checklists.record_smoke(run.env, version, color, list(results))
    except ServiceError as exc:
        # Results that are not kept count for nothing (the cutover reads them): a failure, said as one.
        verdict = "passed" if all(r.passed for r in results) else "failed"
        raise ActionFailed(
            f"{version} on {color}: smoke {verdict} but its results were not saved: {exc}", results
        ) from None
    if not all(r.passed for r in results):
        failed = ", ".join(f"{r.name} ({r.detail})" for r in results if not r.passed)
        raise ActionFailed(f"{version} on {color}: smoke failed: {failed}", results)
    return results


def deploy(run: ActionRun) -> Outcome:
    """Put the version on the idle color, wait for its pods, smoke it. Live traffic never moves."""
    rel, version = run.facts.release, run.facts.version
    assert rel is not None and version is not None
    color = rel.live.color if run.facts.env.single_color else rel.idle_color
    run.emit(Progress("upgrade", f"upgrade {run.facts.env.release}: {color} -> {version}"))
    run.ports.releases.deploy(color, version, run.describe(f"deploy {version} to {color}"))
    try:
        run.watch().wait_ready(color, version, run.emit, live=rel)
    except Aborted as exc:
        raise Aborted(f"{exc}{run.restore_idle(color, f'deploy of {version} aborted')}") from None
    except (ActionFailed, PortError) as exc:
        raise ActionFailed(f"{exc}{run.restore_idle(color, f'deploy of {version} failed')}") from None
    results = _smoke_and_record(run, color, version)
    # Face-neutral: the CLI operator runs relui cutover, the TUI one presses c (each face says its own way).
    return f"{version} is ready on {color} (not live) and passed smoke; the cutover is next", results


def smoke(run: ActionRun) -> Outcome:
    """Run the smoke checks against the candidate and keep the results."""
    rel = run.facts.release
    assert rel is not None and rel.candidate is not None and rel.candidate.version is not None
    color, version = rel.candidate.color, rel.candidate.version
    results = _smoke_and_record(run, color, version)
    return f"smoke passed for {version} on {color} ({len(results)} checks)", results


def cutover(run: ActionRun) -> Outcome:
    """Move live traffic onto the candidate; the previous color stays warm."""
    rel = run.facts.release
    assert rel is not None and rel.candidate is not None
    target, previous = rel.candidate, rel.live
    run.emit(Progress("switch", f"activeColor {previous.color} -> {target.color}"))
    run.switch_onto(target.color, target.version, f"cutover {previous.color}->{target.color}")
    run.watch().verify_live(target.color, run.emit)
    message = f"live traffic: {previous} -> {target}; {previous.color} stays warm for rollback"
    run.notify(f"relui: {run.facts.env.title} now serves {target.version}", message, run.env)
    return message, ()


def rollback(run: ActionRun) -> Outcome:
    """Switch live traffic back to the warm previous color."""
    rel = run.facts.release
    assert rel is not None
    aftermath = Aftermath(run.ctx, run.journal, run.facts, run.reason, run.notify)
    if run.facts.unfinished_rollback and rel.rolled_back and rel.previous is not None:
        # The switch happened in a process that died; what is left is its record.
        method = f"finished the rollback {run.facts.unfinished_rollback} that was cut off after its switch"
        return aftermath.record(rel.live.color, rel.live.version, method, run.emit, failed=rel.previous), ()
    assert rel.rollback_target is not None
    target = rel.rollback_target
    run.emit(Progress("switch", f"activeColor {rel.live.color} -> {target.color} (instant rollback)"))
    verb = "auto-rollback" if run.reason.startswith("auto-rollback") else "rollback"
    run.switch_onto(target.color, target.version, f"{verb} {rel.live.color}->{target.color}", must_read=False)
    run.watch().verify_live(target.color, run.emit)
    method = f"instant switch {rel.live.color} -> {target.color}"
    return aftermath.record(target.color, target.version, method, run.emit), ()


def rollback_revision(run: ActionRun) -> Outcome:
    """Roll back to the version a revision served: helm rollback when that is safe, else stage it first."""
    rel, rev = run.facts.release, target_revision(run.facts)
    assert rel is not None and rev is not None and rev.values is not None
    release = run.facts.env.release
    aftermath = Aftermath(run.ctx, run.journal, run.facts, run.reason, run.notify)
    color = rev.values.active_color
    version = rev.values.tag(color)
    if revision_direct(run.facts):
        run.emit(Progress("switch", f"helm rollback {release} {rev.number}"))
        run.ports.releases.rollback(rev.number, run.describe(f"rollback to revision {rev.number}"))
        run.watch().verify_live(color, run.emit)
        return aftermath.record(color, version, f"helm rollback {release} {rev.number}", run.emit), ()
    # Revision N's color does not serve its version now: bring it up on the idle color, then switch.
    idle = rel.idle_color
    assert version is not None
    run.emit(Progress("upgrade", f"bringing {version} (revision {rev.number}) up on {idle} before switching"))
    run.ports.releases.deploy(idle, version, run.describe(f"rollback to revision {rev.number}: {version} on {idle}"))
    try:
        run.watch().wait_ready(idle, version, run.emit, live=rel, abortable=False)
    except (ActionFailed, PortError) as exc:
        raise ActionFailed(f"{exc}{run.restore_idle(idle, f'staging {version} failed')}") from None
    run.emit(Progress("switch", f"activeColor {rel.live.color} -> {idle}"))
    run.switch_onto(idle, version, f"rollback to revision {rev.number}: {rel.live.color}->{idle}", must_read=False)
    run.watch().verify_live(idle, run.emit)
    return aftermath.record(
        idle, version, f"revision {rev.number}'s {version} brought up on {idle}, then switched", run.emit
    ), ()


def install(run: ActionRun) -> Outcome:
    """Start the release: blue on the version, live."""
    version = run.facts.version
    assert version is not None
    run.emit(Progress("upgrade", f"helm upgrade --install {run.facts.env.release}: blue {version}"))
    run.ports.releases.install(Color.BLUE, version, run.describe(f"install {version} on blue"))
    run.watch().wait_ready(Color.BLUE, version, run.emit, abortable=False)
    run.watch().verify_live(Color.BLUE, run.emit)
    return f"{run.facts.env.release} installed: blue {version} is live on {run.env}", ()


BODIES: dict[Action, Callable[[ActionRun], Outcome]] = {
    Action.DEPLOY: deploy,
    Action.SMOKE: smoke,
    Action.CUTOVER: cutover,
    Action.ROLLBACK: rollback,
    Action.ROLLBACK_REVISION: rollback_revision,
    Action.INSTALL: install,
}


def body_of(action: Action) -> Callable[[ActionRun], Outcome]:
    """The body of an action."""
    return BODIES[action]
