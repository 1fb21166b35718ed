"""Whose turn it is on an environment: the action mutex, preemption by a rollback, asking in time.

One action at a time per environment (an flock in the state dir). A rollback
is never refused because something else runs: it asks an abortable action
(a deploy, a smoke, or any action still waiting for its confirmation) to stop,
then waits its turn. A face's decide is asked in a helper thread so that such
a request is noticed even while a person is still looking at the plan.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from relui.domain import GuardResult
from relui.services.actions import ActionSpec
from relui.services.inflight import InFlight
from relui.services.plans import Plan
from relui.services.requests import Decide, Decision
from relui.services.rollout import Progress
from relui.statedir import exclusive

# How long a rollback waits for a running action to notice its abort (or finish a traffic switch).
PREEMPT_SECONDS = 90.0
DECIDE_POLL_SECONDS = 0.2


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
    while True:
        with exclusive(inflight.mutex_path(env), blocking=False) as held:
            if held:
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
