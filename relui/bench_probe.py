"""Event-loop lag probe for ``make bench``; the app itself never imports this module.

``scripts/bench.py`` starts the app under test as
``python -c "from relui.bench_probe import main; main()" relui|bare ARGS``:
with ``RELUI_BENCH_STALL_LOG`` set, a 10 ms ``set_interval`` timer on the App
records how late each tick fired, and every half second the worst lateness of
that half second goes to the log as ``<monotonic seconds> <ms>``. The timer
runs on the App's event loop, so a long render, layout or handler delays it
by exactly as long as it blocks the keyboard.

``bare`` is the reference the figures are divided by: a plain Textual app
with three bordered, focusable columns, drawn the same way relui draws its
environments but with nothing to refresh, and a one-line ``Input`` at the
bottom that ``:`` shows and focuses, as relui's command line (hidden, docked,
compact, the same placeholder), so typed text is timed the same way in both.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Static

STALL_LOG_ENV = "RELUI_BENCH_STALL_LOG"
# relui's command-line placeholder: the bench waits for it to know the line is open.
COMMAND_PLACEHOLDER = ":command  (Tab completes, Esc closes, :help lists)"
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
    original: Callable[[App[Any]], Awaitable[None]] = App._ready

    async def ready(self: App[Any]) -> None:
        await original(self)
        self.set_interval(TICK_SECONDS, LagProbe(path).tick, name="bench lag probe")

    App._ready = ready  # type: ignore[method-assign]


class BareColumn(Vertical, can_focus=True):
    """A bordered, focusable column with a few fixed lines."""

    DEFAULT_CSS = """
    BareColumn {
        width: 1fr;
        height: 100%;
        border: round $panel-lighten-2;
        padding: 0 1;
    }
    BareColumn:focus {
        border: heavy $accent;
    }
    """

    def compose(self) -> ComposeResult:
        """The lines a column shows once its data is in."""
        yield Static("blue *live* 1.4.2\n 3/3 ready  0 restarts", markup=False)
        yield Static("green idle down", markup=False)
        yield Static("lock free", markup=False)
        yield Static("last -", markup=False)


class BareLine(Input):
    """A one-line input docked at the bottom, hidden until ``:`` opens it; Escape hides it."""

    DEFAULT_CSS = """
    BareLine {
        dock: bottom;
        display: none;
        border: none;
        height: 1;
        padding: 0 1;
    }
    BareLine.-open {
        display: block;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "Close", show=False)]

    def action_close(self) -> None:
        """Clear and hide; focus goes back to the first column."""
        self.value = ""
        self.remove_class("-open")
        self.app.query(BareColumn).first().focus()


class BareApp(App[None]):
    """Three columns side by side; left and right move focus, ``:`` opens the line, q quits."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit"),
        Binding("right", "app.focus_next", "Next"),
        Binding("left", "app.focus_previous", "Previous"),
        Binding("colon", "command_line", "Command"),
    ]

    def compose(self) -> ComposeResult:
        """Three columns in a row, and the hidden line."""
        with Horizontal():
            for title in ("DEV", "QA", "PROD"):
                column = BareColumn()
                column.border_title = title
                yield column
        yield BareLine(placeholder=COMMAND_PLACEHOLDER, compact=True)

    def action_command_line(self) -> None:
        """Show the line and give it the keys."""
        line = self.query_one(BareLine)
        line.add_class("-open")
        line.focus()


def main(argv: Sequence[str] | None = None) -> int:
    """``relui ARGS`` runs relui's CLI, ``bare`` the reference app; both with the probe when asked."""
    args = list(sys.argv[1:] if argv is None else argv)
    path = os.environ.get(STALL_LOG_ENV)
    if path:
        install(path)
    if args and args[0] == "bare":
        BareApp().run()
        return 0
    from relui.entry import main as relui_main

    return relui_main(args[1:] if args and args[0] == "relui" else args)


if __name__ == "__main__":
    raise SystemExit(main())
