"""Event-loop lag probe for ``make bench``; the app itself never imports this module.

``scripts/bench.py`` starts the app under test as
``python -c "from relui.bench_probe import main; main()" relui|bare ARGS``:
with ``RELUI_BENCH_STALL_LOG`` set, a 10 ms ``set_interval`` timer on the App
records how late each tick fired, and every half second the worst lateness of
that half second goes to the log as ``<monotonic seconds> <ms>``. The timer
runs on the App's event loop, so a long render, layout or handler delays it
by exactly as long as it blocks the keyboard.

``bare`` is the reference the figures are divided by (``relui.bench_bare``).
Nothing here imports Textual at module level: ``relui ARGS`` without a stall
log starts exactly as the ``relui`` command does, which starts its first
readings before Textual is imported.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from typing import Any

STALL_LOG_ENV = "RELUI_BENCH_STALL_LOG"
TICK_SECONDS = 0.01
REPORT_SECONDS = 0.5


class LagProbe:
    """Tracks the worst lateness of a periodic tick and appends it to a log file."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.last: float | None = None
        self.worst = 0.0
        self.window_start = time.monotonic()

    def tick(self) -> None:
        """One timer tick: how much later than ``TICK_SECONDS`` after the previous one it came."""
        now = time.monotonic()
        if self.last is not None:
            self.worst = max(self.worst, now - self.last - TICK_SECONDS)
        self.last = now
        if now - self.window_start >= REPORT_SECONDS:
            with open(self.path, "a", encoding="ascii") as log:
                log.write(f"{now:.3f} {self.worst * 1000:.1f}\n")
            self.worst = 0.0
            self.window_start = now


def install(path: str) -> None:
    """Start a ``LagProbe`` on every App once it is ready to process messages."""
    from textual.app import App  # only with a stall log: a first-frame run imports Textual when relui does

    original = App._ready

    async def ready(self: App[Any]) -> None:
        await original(self)
        self.set_interval(TICK_SECONDS, LagProbe(path).tick, name="bench lag probe")

    App._ready = ready  # type: ignore[method-assign]


def main(argv: Sequence[str] | None = None) -> int:
    """``relui ARGS`` runs relui's CLI, ``bare`` the reference app; both with the probe when asked."""
    args = list(sys.argv[1:] if argv is None else argv)
    path = os.environ.get(STALL_LOG_ENV)
    if path:
        install(path)
    if args and args[0] == "bare":
        from relui.bench_bare import BareApp

        BareApp().run()
        return 0
    from relui.entry import main as relui_main

    return relui_main(args[1:] if args and args[0] == "relui" else args)


if __name__ == "__main__":
    raise SystemExit(main())
