"""The k9s-style lines at the bottom of a screen: ``:`` for a command, ``/`` for a filter.

Both are an ``Input`` that hides itself when closed. The command line
completes word by word through a ``Suggester`` the screen feeds (command
names, environments, versions); what a command does is the screen's
business, which gets the text in ``CommandLine.Entered``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.message import Message
from textual.suggester import Suggester
from textual.widgets import Input

# The words that may come next, given the words typed before them.
Completer = Callable[[list[str]], Sequence[str]]


class WordSuggester(Suggester):
    """Completes the word being typed from what may come at its place; nothing after a space."""

    def __init__(self, complete: Completer) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.complete = complete

    async def get_suggestion(self, value: str) -> str | None:
        """The value with its last word completed, or None."""
        if not value or value.endswith(" "):
            return None
        *before, word = value.split(" ")
        lowered = word.lower()
        for candidate in self.complete([w for w in before if w]):
            if candidate.lower().startswith(lowered) and candidate != word:
                return value[: len(value) - len(word)] + candidate
        return None


class BottomLine(Input):
    """An input at the bottom of a screen that Escape closes; hidden until opened."""

    DEFAULT_CSS = """
    BottomLine {
        dock: bottom;
        display: none;
        border: none;
        height: 1;
        padding: 0 1;
    }
    BottomLine.-open {
        display: block;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "Close", show=False)]

    class Closed(Message):
        """Escape closed the line (a filter is cleared)."""

        def __init__(self, line: BottomLine) -> None:
            super().__init__()
            self.line = line

        @property
        def control(self) -> BottomLine:
            """The line that closed."""
            return self.line

    def __init__(self, prefix: str, *, placeholder: str, suggester: Suggester | None = None, id: str) -> None:
        super().__init__(placeholder=placeholder, suggester=suggester, id=id, compact=True)
        self.prefix = prefix

    def open(self, value: str = "") -> None:
        """Show the line and take the keys."""
        self.value = value
        self.cursor_position = len(value)
        self.add_class("-open")
        # At once, not through ``focus()`` (a callback queued behind keys already typed): a key
        # the App takes next must already go to the line, or the first typed characters are lost.
        self.screen.set_focus(self)

    def hide(self) -> None:
        """Hide the line; focus goes back to the screen."""
        self.remove_class("-open")

    @property
    def is_open(self) -> bool:
        """True while the line shows."""
        return self.has_class("-open")

    def action_close(self) -> None:
        """Escape: close and tell the screen."""
        self.value = ""
        self.hide()
        self.post_message(self.Closed(self))


class CommandLine(BottomLine):
    """``:deploy qa 1.5.1``; Tab (or right) takes the completion, Enter hands the text to the screen."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("tab", "complete", "Complete", show=False)]

    def __init__(self, complete: Completer, *, id: str = "command-line") -> None:
        super().__init__(
            ":",
            placeholder=":command  (Tab completes, Esc closes, :help lists)",
            suggester=WordSuggester(complete),
            id=id,
        )

    def action_complete(self) -> None:
        """Take the suggested word and start the next one."""
        if self._suggestion:
            self.value = self._suggestion + " "
            self.cursor_position = len(self.value)


class FilterLine(BottomLine):
    """``/text``: what it holds filters the screen's rows as it is typed."""

    def __init__(self, *, id: str = "filter-line") -> None:
        super().__init__("/", placeholder="/filter  (Enter keeps it, Esc clears)", id=id)
