"""The reference app of ``make bench``: a plain Textual app drawn as relui draws its environments.

Three bordered, focusable columns with nothing to refresh, and a one-line
``Input`` at the bottom that ``:`` shows and focuses, as relui's command line
(hidden, docked, compact, the same placeholder), so typed text is timed the
same way in both. Only ``relui.bench_probe bare`` imports it: relui's own
start in the bench imports nothing of Textual before relui does.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Static

# relui's command-line placeholder: the bench waits for it to know the line is open.
COMMAND_PLACEHOLDER = ":command  (Tab completes, Esc closes, :help lists)"


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
