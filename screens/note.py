"""A small modal asking for one line of text (a checklist note, an evidence link)."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from relui.screens import SCREENS_CSS

# Why a value cannot be kept, in one line, or None when it can.
Check = Callable[[str], str | None]


class NoteScreen(ModalScreen[str | None]):
    """Enter keeps the note (an empty one is fine), Esc cancels (returns None).

    With ``check``, Enter on a value it refuses keeps the modal open with what
    was typed and says why under the field; Enter again once it is fixed keeps it.
    """

    CSS_PATH = SCREENS_CSS

    DEFAULT_CSS = """
    NoteScreen #note-problem { color: $error; width: 100%; }
    NoteScreen #note-problem.-empty { display: none; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", id="cancel")]

    def __init__(
        self,
        title: str,
        placeholder: str = "note (optional): who checked, where, ticket",
        check: Check | None = None,
    ) -> None:
        super().__init__(classes="dialog-screen")
        self.title_text = title
        self.placeholder = placeholder
        self.check = check
        self.problem = ""  # why the last value entered was refused

    def compose(self) -> ComposeResult:
        """Title, the input, why the last value was refused (hidden until one is)."""
        with Vertical(classes="dialog", id="note-dialog"):
            yield Label(self.title_text, classes="dialog-title", markup=False)
            yield Input(placeholder=self.placeholder, id="note")
            yield Label("", id="note-problem", classes="-empty", markup=False)
            yield Label("Enter to save, Esc to cancel", classes="dialog-note")

    def on_mount(self) -> None:
        """Type straight away."""
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _saved(self, event: Input.Submitted) -> None:
        value = event.value.strip()
        self.problem = (self.check(value) if self.check else None) or ""
        if self.problem:
            label = self.query_one("#note-problem", Label)
            label.update(self.problem)
            label.remove_class("-empty")
            return
        self.dismiss(value)

    def action_cancel(self) -> None:
        """Close without a note."""
        self.dismiss(None)
