"""A process that is told to stop (SIGTERM, SIGHUP) brings its own actions to a safe end first.

The TUI's actions run in worker threads, so a signal cannot unwind them as it
unwinds a CLI command. Instead the service is told it is stopping:

- nothing new starts: an action asked for after that is refused, and one
  whose confirm is answered after that journals ``cancelled``, not its intent;
- an action of this process still being decided, or a deploy or smoke, is
  asked to stop through the same abort request ``relui abort`` makes, so a
  deploy puts the idle color back and ends ``aborted``, its lock given back;
- a traffic switch (cutover, rollback) is never stopped midway: it ends on
  its own, as it would have.

``wait_idle`` then says when this process runs no action any more. Only the
actions of this very process are touched (its pid on this host), so the
signal needs no ``abort`` permission: another operator's action is never
stopped by it.
"""

from __future__ import annotations

import contextlib
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from typing import TYPE_CHECKING

from relui.ports import PortError

# The marker of an action still being decided (ReleaseService.run): nothing journaled or changed yet.
PENDING = "pending-"

if TYPE_CHECKING:  # the TUI imports this module before its first frame; the markers' module can wait
    from relui.services.inflight import Running
    from relui.services.release import ReleaseService

# Every release service of this process (a CLI command builds one, the TUI's dashboard one):
# a signal reaches each of them, whichever face built it.
_SERVICES: weakref.WeakSet[ReleaseService] = weakref.WeakSet()


class Stopping:
    """Whether this process is stopping, and how many ``ReleaseService.run`` calls are still going."""

    def __init__(self) -> None:
        self._state = threading.Condition()
        self.reason: str | None = None
        self.active = 0

    @contextmanager
    def counted(self) -> Iterator[None]:
        """Around one run: ``wait_idle`` waits for it to return."""
        with self._state:
            self.active += 1
        try:
            yield
        finally:
            with self._state:
                self.active -= 1
                self._state.notify_all()

    @contextmanager
    def held(self) -> Iterator[str | None]:
        """The stop reason (None while not stopping), held so a stop cannot begin in between.

        An action checks it and journals its intent inside one ``held``; ``begin``
        takes the same lock, so a stop either comes before the intent (the action
        is cancelled) or finds the action's own marker (and asks that to stop).
        """
        with self._state:
            yield self.reason

    @contextmanager
    def begin(self, reason: str) -> Iterator[None]:
        """Mark the process as stopping; the block reads the markers before an intent can follow."""
        with self._state:
            if self.reason is None:
                self.reason = reason
            yield

    def wait_idle(self, timeout: float) -> bool:
        """True once no run is going; False if ``timeout`` seconds passed first."""
        with self._state:
            return self._state.wait_for(lambda: self.active == 0, timeout)


def what_is_left(own: list[tuple[str, Running]]) -> str:
    """What the operator is told while the process waits: ``stopping the deploy on qa, then quitting``."""
    if not own:
        return "no action is running; quitting"
    parts = [
        f"closing the {r.action} confirm on {env}"
        if r.id.startswith(PENDING)
        else f"stopping the {r.action} on {env}"
        if r.abortable
        else f"letting the {r.action} on {env} finish"
        for env, r in own
    ]
    return ", ".join(parts) + ", then quitting"


def track(service: ReleaseService) -> None:
    """Called by each ReleaseService as it is built."""
    _SERVICES.add(service)


def busy() -> bool:
    """True while a release service of this process is inside ``run`` (reading an int: safe in a signal handler)."""
    return any(service.stopping.active for service in list(_SERVICES))


def stop_all(why: str) -> list[tuple[ReleaseService, list[tuple[str, Running]]]]:
    """``stop_own_actions`` on every release service of this process; not from a signal handler (it takes locks)."""
    return [(service, stop_own_actions(service, why)) for service in list(_SERVICES)]


def wait_all(timeout: float) -> bool:
    """True once no release service of this process runs anything; False if ``timeout`` passed first."""
    deadline = time.monotonic() + timeout
    return all(service.stopping.wait_idle(max(0.0, deadline - time.monotonic())) for service in list(_SERVICES))


def how_all_ended(stopped: list[tuple[ReleaseService, list[tuple[str, Running]]]]) -> str:
    """One clause per action that was running, for the line relui leaves on stderr."""
    return "; ".join(how_they_ended(service, own) for service, own in stopped if own) or "no action was running"


def stop_own_actions(service: ReleaseService, why: str) -> list[tuple[str, Running]]:
    """This process is stopping (a signal): nothing new starts, its deploys and smokes are asked to stop.

    Returns this process's running actions by environment. A traffic switch is left
    to end on its own; everything else, a confirm still open included, is asked to
    stop with the abort request ``relui abort`` makes. Another process's action is
    never touched. ``service.stopping.wait_idle`` says when they have all returned.

    A state dir that cannot be read or written (a full disk) never makes this raise:
    the action it could not ask then runs to its own end, which ``wait_idle`` waits for.
    """
    from relui.services.inflight import this_pid  # not before the TUI's first frame
    from relui.services.locks import this_host

    own: list[tuple[str, Running]] = []
    with service.stopping.begin(why):
        for name in (e.name for e in service.ctx.config.environments):
            with contextlib.suppress(OSError, PortError):
                running = service.inflight.running(name)
                if running is not None and running.pid == this_pid() and running.host == this_host():
                    own.append((name, running))
    for env, running in own:
        if not running.abortable:
            continue
        who = service.ctx.operator_on(env)
        if not running.id.startswith(PENDING):
            note = partial(service.journal.note, who, env, "abort", target=running.id)
            service.outcomes.quietly(partial(note, action_aborted=running.action, reason=why))
        with contextlib.suppress(OSError, PortError):
            service.inflight.request_abort(env, running.id, who, why, service.ctx.clock.now())
    return own


def how_it_ended(service: ReleaseService, env: str, action_id: str, verb: str) -> str:
    """``deploy on qa ended aborted: ...`` from the journal's outcome of that action."""
    entries = reversed(service.journal.entries(env))
    outcome = next((e for e in entries if e.kind == "outcome" and e.id == action_id), None)
    if outcome is None:
        return f"{verb} on {env} stopped"
    return f"{verb} on {env} ended {outcome.status}: {outcome.detail.get('message', '')}".rstrip(": ")


def how_they_ended(service: ReleaseService, own: list[tuple[str, Running]]) -> str:
    """After ``stop_own_actions``: one clause per action, for the line relui leaves on stderr."""
    said = [
        f"the {r.action} confirm on {env} was closed; nothing was changed"
        if r.id.startswith(PENDING)
        else how_it_ended(service, env, r.id, r.action)
        for env, r in own
    ]
    return "; ".join(said) or "no action was running"
