"""An executor whose threads never hold up the end of the process.

Textual runs thread workers with ``loop.run_in_executor(None, ...)``: the
loop's default ThreadPoolExecutor, which ``asyncio.run`` shuts down with
``wait=True`` and whose threads ``concurrent.futures`` joins again at exit.
A worker stuck in a port call (a hung Prometheus, a helm upgrade waiting on
its rollout) would keep ``q`` and Ctrl-C from ending relui until the call
returned. The TUI installs this executor instead: each job runs in a daemon
thread of ``relui.daemon_pool``, and shutdown does not wait for them.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from relui.daemon_pool import POOL

P = ParamSpec("P")
T = TypeVar("T")


class DaemonExecutor(ThreadPoolExecutor):
    """Each job in a daemon thread of the pool; ``shutdown`` returns at once, abandoning jobs still running.

    It subclasses ThreadPoolExecutor only because asyncio's
    ``set_default_executor`` insists on one; none of the pool's machinery
    (its worker threads, its exit hook) is used.
    """

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        """Start ``fn`` in a daemon thread; its Future."""
        future: Future[T] = Future()

        def run() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                future.set_result(fn(*args, **kwargs))
            except BaseException as exc:  # noqa: BLE001 - handed to whoever awaits the future
                future.set_exception(exc)

        POOL.run(run, f"relui worker {getattr(fn, '__name__', 'job')}")
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Nothing to wait for: a job still running is abandoned with the process."""
