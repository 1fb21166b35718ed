"""Whose turn it is on an environment: the action mutex, preemption by a rollback, asking in time.

One action at a time per environment: the lease of its records store (an
flock in the state dir, or a lease object on S3 renewed while the action runs,
so two machines never act at once). A rollback
is never refused because something else runs: it asks an abortable action
(a deploy, a smoke, or any action still waiting for its confirmation) to stop,
then waits its turn. A face's decide is asked in a helper thread so that such
a request is noticed even while a person is still looking at the plan.
"""

from __future__ import annotations

import contextlib
import errno
import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from relui.domain import GuardResult
from relui.ports import Lease, PortError, RecordConflict, Records
from relui.services.actions import Action, ActionSpec
from relui.services.context import Context
from relui.services.facts import gather
from relui.services.inflight import InFlight, this_pid
from relui.services.locks import this_host
from relui.services.plans import Plan
from relui.services.release_state import warm_previous
from relui.services.requests import Decide, Decision, Request
from relui.services.rollout import POLL_SECONDS, Progress

# How long a rollback waits for a running action to notice its abort (or finish a traffic switch).
PREEMPT_SECONDS = 90.0
DECIDE_POLL_SECONDS = 0.2
RENEW_MIN_SECONDS = 1.0


@dataclass
class Turn:
    """Whether the mutex is held, and whether a running action was asked to give way for it."""

    held: bool
    preempted: bool = False


@contextmanager
def take_turn(
    inflight: InFlight,
    env: str,
    what: ActionSpec,
    operator: str,
    now: Callable[[], datetime],
    emit: Callable[[Progress], None],
) -> Iterator[Turn]:
    """Hold the environment's mutex for the block, or yield a Turn that does not hold it when busy."""
    deadline = time.monotonic() + (PREEMPT_SECONDS if what.preempts else 0.0)
    asked = False
    store = inflight.store(env)
    while True:
        try:
            lease = store.acquire_lease(env, operator, this_host(), this_pid())
        except PortError as exc:
            # The service refuses an OSError before anything was read or journaled.
            raise OSError(errno.EIO, f"records of {env}: {exc}") from None
        if lease is not None:
            with _renewed(store, lease):
                yield Turn(True, asked)
            return
        if time.monotonic() >= deadline:
            yield Turn(False, asked)
            return
        running = inflight.running(env)
        if running and running.abortable and not asked:
            inflight.request_abort(env, running.id, operator, f"{what.verb} goes first", now())
            emit(Progress("preempt", f"asked the running {running.action} by {running.operator} to stop"))
            asked = True
        time.sleep(0.1)


@contextmanager
def _renewed(store: Records, lease: Lease) -> Iterator[None]:
    """Keep a lease that expires alive while the block runs, then give it back."""
    stop = threading.Event()
    held = [lease]

    def renew() -> None:
        while not stop.wait(max(RENEW_MIN_SECONDS, (held[0].expiry - time.time()) / 3)):
            try:
                held[0] = store.renew_lease(held[0])
            except RecordConflict:
                return  # taken over after it expired: nothing left to renew
            except PortError:
                continue  # the store blinked; the next try may reach it before the lease runs out

    renewer = None
    if math.isfinite(lease.expiry):
        renewer = threading.Thread(target=renew, name=f"relui-lease-{lease.env}", daemon=True)
        renewer.start()
    try:
        yield
    finally:
        stop.set()
        if renewer is not None:
            renewer.join(timeout=5)
        with contextlib.suppress(PortError):
            store.release_lease(held[0])


def ask_unless_preempted(
    inflight: InFlight, env: str, pending: str, decide: Decide, plan: Plan, guards: tuple[GuardResult, ...]
) -> Decision | None:
    """Ask decide; None when a rollback asked this action to give way while it was being decided."""
    answer: list[Decision] = []
    failure: list[BaseException] = []

    def ask() -> None:
        try:
            answer.append(decide(plan, guards))
        except BaseException as exc:  # noqa: BLE001 - re-raised on the caller's thread
            failure.append(exc)

    thread = threading.Thread(target=ask, name="relui-decide", daemon=True)
    thread.start()
    while thread.is_alive():
        thread.join(DECIDE_POLL_SECONDS)
        if thread.is_alive() and inflight.abort_requested(env, pending):
            return None
    if failure:
        raise failure[0]
    return answer[0]


def await_restored(ctx: Context, request: Request, emit: Callable[[Progress], None]) -> None:
    """After stopping a deploy onto the previous color, wait (bounded) until it serves again."""
    env = ctx.env(request.env)
    if request.action is not Action.ROLLBACK:
        return
    deadline = ctx.clock.now() + timedelta(seconds=env.deploy_timeout_seconds)
    while ctx.clock.now() < deadline:
        facts = gather(ctx, request.action, request.env)
        rel = facts.release
        target = rel.rollback_target if rel else None
        if rel is None or target is None or warm_previous(rel, facts.colors) is not None:
            return
        if rel.idle_version != target.version:
            return  # the previous version is not coming back on its own: the guard says what to do
        emit(Progress("wait", f"waiting for {target} to be ready again after the stopped deploy"))
        ctx.clock.sleep(POLL_SECONDS)
