"""Where the confirm modal will open, held from the key press until the guards are read.

Reading the guards takes from milliseconds (the sandbox) to seconds (a slow
Prometheus). Keys typed in that time used to act on the dashboard under the
coming modal: ``c`` then ``r`` left a rollback chooser waiting beneath the
cutover's confirm. This modal takes those keys instead, and drops them: a
key must answer a question the operator has seen. It shows itself only if
the reading is slow (``SHOW_AFTER_SECONDS``), so a fast one does not flash.
Escape cancels: the action then asks nothing and changes nothing.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

SHOW_AFTER_SECONDS = 0.3


class CheckingScreen(ModalScreen[None]):
    """``Cutover QA: reading the guards ...``; the action's confirm replaces it."""

    DEFAULT_CSS = """
    CheckingScreen {
        background: transparent;
    }
    CheckingScreen > .dialog {
        display: none;
        width: auto;
        max-width: 90%;
    }
    CheckingScreen.-shown > .dialog {
        display: block;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, preempting: str | None = None) -> None:
        """``preempting``: the running action a rollback stops first (it is stopped before the guards are read)."""
        super().__init__()
        self.title_text = title
        self.preempting = preempting
        self.cancelled = False
        self.finished = False
        self.gone = False

    def compose(self) -> ComposeResult:
        """One line: what is being checked, and that nothing has changed."""
        with Vertical(classes="dialog"):
            if self.preempting:
                line = f"{self.title_text}: the running {self.preempting} is stopped first, then the guards are read."
                line += " Esc cancels the rollback."
            else:
                line = f"{self.title_text}: reading the guards; nothing has changed yet. Esc cancels."
            yield Static(line, id="checking-line", markup=False)

    def on_mount(self) -> None:
        """Shown only once the reading is slow enough to be noticed."""
        self.set_timer(SHOW_AFTER_SECONDS, lambda: self.add_class("-shown"))

    def action_cancel(self) -> None:
        """The operator changed their mind before being asked: the action will ask nothing."""
        self.cancelled = True
        self.finish()

    def finish(self) -> None:
        """The confirm is opening, or the action ended without asking: go, now or once back on top."""
        self.finished = True
        self._go()

    def on_screen_resume(self) -> None:
        """Back on top (a help screen opened over it has closed) after it finished: go."""
        if self.finished:
            self._go()

    def _go(self) -> None:
        # The top screen, not ``is_current`` (also true under a modal): dismissing pops the top,
        # so from under the palette it closed the palette and stayed, taking every key from then on.
        if self.app.screen is self and not self.gone:
            self.gone = True
            self.dismiss(None)
