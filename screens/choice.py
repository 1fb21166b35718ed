"""A small modal: pick one of a few options, or type your own when that is allowed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from relui.screens import SCREENS_CSS


class ChoiceScreen(ModalScreen[str | None]):
    """Options by id and label; Enter picks, Esc cancels (returns None).

    With ``custom`` set, an input below the list takes a free value (a
    version not among the recent tags, say); Enter there returns its text.
    """

    CSS_PATH = SCREENS_CSS

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", id="cancel")]

    def __init__(
        self,
        title: str,
        options: Sequence[tuple[str, str]],
        *,
        custom: str | None = None,
        note: str = "",
        highlight: int = 0,
    ) -> None:
        super().__init__(classes="dialog-screen")
        self.highlight = highlight
        self.title_text = title
        self.options = list(options)
        self.custom = custom
        self.note = note

    def compose(self) -> ComposeResult:
        """Title, options, the optional free input."""
        with Vertical(classes="dialog", id="choice-dialog"):
            yield Label(self.title_text, classes="dialog-title", markup=False)
            if self.note:
                yield Label(self.note, classes="dialog-note", markup=False)
            # Text, not str: a revision's description may hold "[...]", which is not markup here.
            yield OptionList(*(Option(Text(label), id=key) for key, label in self.options), id="choices")
            if self.custom is not None:
                yield Input(placeholder=self.custom, id="custom", compact=True)

    def on_mount(self) -> None:
        """Start on the option asked for (the first by default)."""
        choices = self.query_one(OptionList)
        if self.options:
            choices.highlighted = min(self.highlight, len(self.options) - 1)
            choices.focus()
        elif self.custom is not None:
            self.query_one(Input).focus()

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    @on(Input.Submitted, "#custom")
    def _typed(self, event: Input.Submitted) -> None:
        value = event.value.strip()
        if value:
            self.dismiss(value)

    def action_cancel(self) -> None:
        """Close without a choice."""
        self.dismiss(None)
