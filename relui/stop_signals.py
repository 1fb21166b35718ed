"""SIGTERM and SIGHUP in the TUI: its own actions are brought to a safe end, then relui quits.

An SSH session that drops sends SIGHUP; ``kill``, systemd and ``timeout``
send SIGTERM. Left to the default, either killed relui where it stood: a
deploy's intent without an outcome, its lock held until it expired, a confirm
half answered. Now the signal tells the release service it is stopping
(``stopping.stop_own_actions``): an open confirm is cancelled, a deploy
or smoke is asked to stop as ``a`` asks (the idle color put back, ``aborted``
in the journal, the lock given back), a traffic switch ends on its own. Once
no action of this process runs, relui quits as ``q`` does, with exit code
128 + the signal's number (143, 129).

The waiting happens in a thread of its own, never on the event loop: after a
hang-up the terminal is gone, and Textual's output queue blocks the loop once
it is full. So quitting is asked of the loop, and if the loop cannot answer
within ``EXIT_GRACE_SECONDS`` the process ends without it. A second signal
stops waiting: relui quits at once, as "Quit now" does, and the journal shows
what was still running as interrupted.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from functools import partial
from types import FrameType
from typing import IO, TYPE_CHECKING, Any

from relui.ports import PortError
from relui.services import stopping
from relui.services.stopping import what_is_left

if TYPE_CHECKING:
    from relui.app import ReluiApp
    from relui.services.inflight import Running
    from relui.services.release import ReleaseService

# Ended by one of these, relui exits 128 + its number (143, 129), as a shell reports it.
STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)
# A deploy asked to stop puts the idle color back first; past this, relui quits without waiting more.
STOP_WAIT_SECONDS = 120.0
EXIT_GRACE_SECONDS = 5.0


class SignalStop:
    """Installs the handlers for the app's run and carries out the stop they start."""

    def __init__(self, app: ReluiApp, exit_now: Callable[[int], None] = os._exit) -> None:
        self.app = app
        self.exit_now = exit_now
        self.signum: int | None = None
        self.said = ""
        self.previous: dict[int, Any] = {}

    def __enter__(self) -> SignalStop:
        for signum in STOP_SIGNALS:
            self.previous[signum] = signal.signal(signum, self.received)
        return self

    def __exit__(self, *_exc: object) -> None:
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)

    @property
    def code(self) -> int | None:
        """The exit code the signal asks for, once one came."""
        return None if self.signum is None else 128 + self.signum

    def received(self, signum: int, _frame: FrameType | None) -> None:
        """The handler: runs on the main thread between two steps of whatever it was doing, so it only starts."""
        if self.signum is not None:
            self.app.left_running = True
            self._quit(128 + signum)
            return
        self.signum = signum
        threading.Thread(target=self.stop, name="relui-signal-stop", daemon=True).start()

    def stop(self) -> None:
        """Stop this process's actions, wait until they have returned, then quit."""
        assert self.signum is not None
        name = signal.Signals(self.signum).name
        self._stop_and_quit(f"stopped by {name}", name, 128 + self.signum)

    def quit_safely(self, who: str) -> None:
        """The quit dialog's "stop it safely, then quit": what a first signal does, then exit 0."""
        why = f"the TUI was quit by {who}"
        threading.Thread(target=self._stop_and_quit, args=(why, "quit", 0), name="relui-quit-stop", daemon=True).start()

    def _stop_and_quit(self, why: str, title: str, code: int) -> None:
        self.said = why
        stopped = stopping.stop_all(why)
        self._tell(f"{title}: {what_is_left([item for _, own in stopped for item in own])}")
        # Waited for even when no marker could be read (a full disk): the runs are counted in memory.
        if stopping.busy():
            if stopping.wait_all(STOP_WAIT_SECONDS):
                self.said = f"{why}; {ended(stopped)}"
            else:
                self.app.left_running = True
                self.said = f"{why}; an action did not end within {STOP_WAIT_SECONDS:.0f} s"
        self._quit(code)

    def _tell(self, text: str) -> None:
        loop = self.app.main_loop
        if loop is not None:
            loop.call_soon_threadsafe(partial(self.app.notify, text, title="relui is stopping", timeout=30))

    def _quit(self, code: int) -> None:
        """Quit through the loop (the terminal is put back); without it if it cannot answer in time."""
        loop = self.app.main_loop
        if loop is None or loop.is_closed():
            self.exit_now(code)
            return
        loop.call_soon_threadsafe(self.app.exit, code)
        threading.Thread(target=self._exit_unless_quit, args=(code,), name="relui-exit-grace", daemon=True).start()

    def _exit_unless_quit(self, code: int) -> None:
        time.sleep(EXIT_GRACE_SECONDS)
        if not getattr(self.app, "is_running", True):
            return  # the loop quit; what is left of the process is its own to end
        # Still here: the loop is stuck (a terminal that hung up). The journal and the locks are already settled.
        say(f"relui: {self.said}")
        self.exit_now(code)


def say(line: str) -> None:
    """One line on stderr; a reader that has gone (``2>&1 | head -1``, a hung-up terminal) gets no traceback."""
    try:
        print(line, file=sys.stderr, flush=True)
    except (OSError, ValueError):
        silence(sys.stderr)


def silence(stream: IO[str]) -> None:
    """Point the stream's descriptor at /dev/null, so Python's flush at exit cannot fail on it (exit code 120)."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)


def ended(stopped: list[tuple[ReleaseService, list[tuple[str, Running]]]]) -> str:
    """How the stopped actions ended, from the journal; a journal that cannot be read says where to look."""
    try:
        return stopping.how_all_ended(stopped)
    except (OSError, PortError):
        return "see `relui journal` for how its actions ended"
