"""The log pane: each action's progress lines, a pods-ready bar, and the outcome.

Two widgets while nothing has run: the status line (which draws its own
bar) and an empty body of the log's height. The scrolling log replaces the
body when the first line is written, so a dashboard that never acts never
builds it (nor imports rich's pretty-printer, which Textual's RichLog
pulls in), and the start-up frame has three fewer widgets to style and lay
out than with a Label, a ProgressBar and a RichLog.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult, RenderResult
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Static

from relui.widgets.glyphs import ASCII, glyphs_for

if TYPE_CHECKING:
    from textual.widgets import RichLog

IDLE = "no action running"
BAR_CELLS = 20
MAX_LINES = 1000


class ActionStatus(Widget):
    """``deploy QA: 2/3 pods ready, 35 s of 90 s`` and, while pods come up, a bar at the right."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"action-status--done", "action-status--todo"}
    DEFAULT_CSS = """
    ActionStatus {
        height: 1;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    ActionStatus > .action-status--done {
        color: $accent;
    }
    ActionStatus > .action-status--todo {
        color: $panel-lighten-2;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.words = IDLE
        self.pods: tuple[int, int] | None = None  # ready, desired: the bar shows while set

    def show(self, words: str, pods: tuple[int, int] | None = None) -> None:
        """New words (and bar); repaints only when they differ from what is shown."""
        if (words, pods) != (self.words, self.pods):
            self.words, self.pods = words, pods
            self.refresh()

    def render(self) -> RenderResult:
        """The words, cut to leave room for the bar and its percentage."""
        line = Text(self.words)
        if self.pods is None:
            return line
        done, total = self.pods
        share = min(max(done / total, 0.0), 1.0) if total > 0 else 0.0
        filled = round(share * BAR_CELLS)
        percent = f" {share * 100:3.0f}%"
        if glyphs_for(self) is ASCII:
            bar = Text.assemble("[", "#" * filled, "-" * (BAR_CELLS - filled), "]", percent)
        else:
            bar = Text.assemble(
                ("━" * filled, self.get_component_rich_style("action-status--done")),
                ("━" * (BAR_CELLS - filled), self.get_component_rich_style("action-status--todo")),
                percent,
            )
        room = self.size.width - len(bar) - 1
        if room < 10:
            return line  # the words say it all; a bar would leave no room for them
        line.truncate(room, overflow="ellipsis", pad=True)
        return line.append(" ").append_text(bar)


class ActionLog(Vertical):
    """What the running (and earlier) actions did, newest at the bottom.

    The bar shows only while a rollout reports pods ready x/y.
    """

    DEFAULT_CSS = """
    ActionLog {
        height: auto;
    }
    ActionLog > .action-lines {
        height: 4;
        background: $surface;
        /* The room for the scrollbar is kept from the first line: a line wrapped before the bar
           appeared lost its last characters under it ("blue stay", "8.06", "put back o"). */
        scrollbar-gutter: stable;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._log: RichLog | None = None
        # Every line as written, so a new width wraps them again (RichLog wraps once, when written).
        self._written: list[Text] = []
        self._width = 0

    def compose(self) -> ComposeResult:
        """The status line, and the log's room, empty until something is written."""
        yield ActionStatus(id="action-title")
        yield Static("", id="action-lines-empty", classes="action-lines")

    @property
    def status(self) -> ActionStatus:
        """The one-line status above the log."""
        return self.query_one(ActionStatus)

    @property
    def status_text(self) -> str:
        """The status line's words (without the bar)."""
        return self.status.words

    @property
    def lines(self) -> list[str]:
        """The log's lines as plain text (what tests and screen readers see)."""
        return [strip.text for strip in self._log.lines] if self._log is not None else []

    def begin(self, title: str) -> None:
        """An action started: name it on the status line."""
        self.status.show(title)
        self.write(title, "bold")

    def write(self, line: str, style: str = "") -> None:
        """Append one line; the first builds the scrolling log in the empty body's place."""
        if self._log is None:
            from textual.widgets import RichLog

            # min_width: RichLog's default (78) rendered every line 78 cells wide, however narrow the log.
            self._log = RichLog(
                max_lines=MAX_LINES, wrap=True, markup=False, min_width=1, id="action-lines", classes="action-lines"
            )
            self.query_one("#action-lines-empty").remove()
            self.mount(self._log)
        text = Text(line, style)
        self._written = [*self._written[-(MAX_LINES - 1) :], text]
        self._log.write(text)

    def on_resize(self) -> None:
        """A new width wraps every line again: kept as first wrapped, a narrower pane cut their middles off."""
        width = self.size.width
        if self._log is not None and self._width and width != self._width:
            self.call_after_refresh(self._wrap_again)  # once the log itself has its new width
        self._width = width

    def _wrap_again(self) -> None:
        if self._log is not None:
            self._log.clear()
            for text in self._written:
                self._log.write(text)

    def progress(self, title: str, done: int, total: int, elapsed: float = 0.0, timeout: float = 0.0) -> None:
        """Rollout progress: pods ready ``done`` of ``total``, after ``elapsed`` of at most ``timeout`` seconds."""
        waited = f", {elapsed:.0f} s of {timeout:.0f} s" if timeout else ""
        self.status.show(f"{title}: {done}/{total} pods ready{waited}", (done, max(total, 1)))

    def finish(self, title: str, outcome: str) -> None:
        """The action ended; the status line keeps its outcome in words (``OK``, ``CANCELLED``, ``BLOCKED`` ...)."""
        self.status.show(f"{title}: {outcome.upper()}")
