"""Daemon threads that are kept and used again: a port call no longer starts a thread of its own.

Every port call runs in a daemon thread (the deadline guard), and so does
every thread worker of the TUI. Starting a thread is a handshake between two
threads that also trade the GIL: a dashboard reading makes about 20 port
calls, and starting 20 threads was most of its time on the sandbox.

A job goes to a thread that is waiting for one, or to a new thread when none
is waiting, so a call that hangs never holds up another: it keeps its thread,
and the pool grows by one. A thread left waiting for ``IDLE_SECONDS`` ends.
The threads are daemons: none keeps the process alive at exit, and a job
still running then is abandoned with the process, as before.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable

IDLE_SECONDS = 30.0
IDLE_NAME = "relui idle"


class DaemonPool:
    """Runs each job in a waiting daemon thread, else in a new one."""

    def __init__(self, idle_seconds: float = IDLE_SECONDS) -> None:
        self._idle_seconds = idle_seconds
        self._jobs: queue.SimpleQueue[tuple[Callable[[], object], str]] = queue.SimpleQueue()
        # One token per thread waiting for a job: a job takes one, or starts a thread.
        self._waiting = threading.Semaphore(0)

    def run(self, job: Callable[[], object], name: str) -> None:
        """Run ``job`` (which handles its own errors) in a daemon thread named ``name`` while it runs."""
        self._jobs.put((job, name))
        if not self._waiting.acquire(blocking=False):
            threading.Thread(target=self._serve, name=name, daemon=True).start()

    def _serve(self) -> None:
        me = threading.current_thread()
        while True:
            try:
                job, name = self._jobs.get(timeout=self._idle_seconds)
            except queue.Empty:
                # Leave only if no job counted on this thread meanwhile: take back its token.
                if self._waiting.acquire(blocking=False):
                    return
                continue
            me.name = name
            with contextlib.suppress(BaseException):  # a job reports its own errors; the thread serves on
                job()
            me.name = IDLE_NAME
            self._waiting.release()


POOL = DaemonPool()
