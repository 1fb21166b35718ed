"""The log pane: each action's progress lines, a pods-ready bar, and the outcome."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Label, ProgressBar, RichLog


class ActionLog(Vertical):
    """What the running (and earlier) actions did, newest at the bottom.

    The progress bar shows only while a rollout reports pods ready x/y.
    """

    DEFAULT_CSS = """
    ActionLog {
        height: auto;
    }
    ActionLog > #action-status {
        height: 1;
    }
    ActionLog > #action-status > Label {
        width: 1fr;
    }
    ActionLog > #action-status > ProgressBar {
        width: auto;
        display: none;
    }
    ActionLog.-rolling > #action-status > ProgressBar {
        display: block;
    }
    ActionLog > RichLog {
        height: 4;
        background: $surface;
    }
    """

    def compose(self) -> ComposeResult:
        """A status line with the bar, and the scrolling log."""
        with Horizontal(id="action-status"):
            yield Label("no action running", id="action-title", markup=False)
            # A total from the start: an indeterminate bar animates at 15 Hz even while hidden.
            yield ProgressBar(total=1, show_eta=False, id="rollout-bar")
        yield RichLog(max_lines=1000, wrap=True, markup=False, id="action-lines")

    @property
    def lines(self) -> list[str]:
        """The log's lines as plain text (what tests and screen readers see)."""
        return [strip.text for strip in self.query_one(RichLog).lines]

    def begin(self, title: str) -> None:
        """An action started: name it on the status line."""
        self.query_one("#action-title", Label).update(title)
        self.write(title, "bold")

    def write(self, line: str, style: str = "") -> None:
        """Append one line."""
        self.query_one(RichLog).write(Text(line, style))

    def progress(self, title: str, done: int, total: int, elapsed: float = 0.0, timeout: float = 0.0) -> None:
        """Rollout progress: pods ready ``done`` of ``total``, after ``elapsed`` of at most ``timeout`` seconds."""
        bar = self.query_one(ProgressBar)
        self.add_class("-rolling")
        bar.update(total=max(total, 1), progress=done)
        waited = f", {elapsed:.0f} s of {timeout:.0f} s" if timeout else ""
        self.query_one("#action-title", Label).update(f"{title}: {done}/{total} pods ready{waited}")

    def finish(self, title: str, ok: bool) -> None:
        """The action ended; the status line keeps its outcome in words."""
        self.remove_class("-rolling")
        self.query_one("#action-title", Label).update(f"{title}: {'OK' if ok else 'FAILED'}")
