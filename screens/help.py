"""Every key binding: what works on this screen now, then every other screen's keys.

Each row carries the binding id, which is what ``[keymap]`` in config remaps.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, ClassVar

from rich.cells import cell_len
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Label, Static

from relui.screens import SCREENS_CSS
from relui.screens.checklist import ChecklistScreen
from relui.screens.command_mode import COMMAND_HELP
from relui.screens.confirm import ConfirmScreen
from relui.screens.dashboard import WatchDashboard
from relui.screens.environment import EnvironmentScreen
from relui.screens.journal import JournalScreen
from relui.screens.readiness import ReadinessScreen
from relui.screens.release_dashboard import ReleaseDashboard

Section = tuple[str, Sequence["HelpRow"]]


@dataclass(frozen=True)
class HelpRow:
    """One binding as the help lists it."""

    key: str
    description: str
    binding_id: str
    note: str


def help_rows(screen: Screen[Any]) -> list[HelpRow]:
    """relui's bindings active on ``screen`` now (keymap applied), greyed ones marked."""
    rows = []
    for key, active in screen.active_bindings.items():
        binding = active.binding
        if not binding.id:
            continue  # a widget's own navigation keys (cursor, scrolling), not relui's
        display = screen.app.get_key_display(binding)
        note = binding.tooltip if active.enabled else f"(unavailable now) {binding.tooltip}"
        rows.append(HelpRow(display or key, binding.description or binding.action, binding.id, note))
    rows.append(HelpRow("ctrl+p", "Command palette", "", "the same actions by name"))
    return sorted(rows, key=lambda r: r.description)


def class_rows(
    screen: type[Screen[Any]], keymap: Mapping[str, str], display: Callable[[Binding], str] | None = None
) -> list[HelpRow]:
    """A screen class's bindings (its own and inherited) with config's keymap applied.

    ``display`` shows a key as the footer does (``/``, not ``slash``): the app's ``get_key_display``.
    """
    rows = []
    for cls in reversed(screen.__mro__):
        for binding in cls.__dict__.get("BINDINGS", ()):
            if isinstance(binding, Binding) and binding.id:
                key = keymap.get(binding.id, binding.key)
                shown = display(replace(binding, key=key)) if display else key
                rows.append(HelpRow(shown or key, binding.description or binding.action, binding.id, binding.tooltip))
    return rows


def reference_sections(read_only: bool, keymap: Mapping[str, str], current: Screen[Any]) -> list[Section]:
    """Every other screen's keys; read-only lists the dashboard without actions."""
    screens: list[tuple[str, type[Screen[Any]]]] = [
        ("Dashboard", WatchDashboard if read_only else ReleaseDashboard),
        ("Detail", EnvironmentScreen),
        ("Checklist", ChecklistScreen),
        ("Journal", JournalScreen),
        ("Readiness", ReadinessScreen),
        ("Confirm", ConfirmScreen),
    ]
    display = current.app.get_key_display
    sections = [(title, class_rows(cls, keymap, display)) for title, cls in screens if type(current) is not cls]
    # ':help' lists what ':' understands (it named only three examples); Tab completes each.
    commands = [HelpRow(typed, does, "", "") for typed, does in COMMAND_HELP]
    return [*sections, ("Command line (:, Tab completes)", commands)]


# Below this width a long key wraps at NARROW_KEY_WIDTH: on one line, ``:readiness|env|checklist ENV`` left
# "does" and "note" a few cells each at 80x24, and they cut words with an ellipsis.
WIDE_HELP = 100
NARROW_KEY_WIDTH = 16


def wrapped_key(key: str, width: int) -> str:
    """``key`` in lines of at most ``width`` cells, broken after a ``|`` or at a space, never inside a word.

    Rich breaks only at spaces, so ``:readiness|env|checklist ENV`` folded mid-word at 16 cells. A
    token wider than ``width`` is left whole, for the column to fold.
    """
    lines = [""]
    for token in re.split(r"(?<=[| ])", key):
        if lines[-1] and cell_len((lines[-1] + token).rstrip()) > width:
            lines.append("")
        lines[-1] += token
    return "\n".join(line.rstrip() for line in lines)


def keys_table(sections: Sequence[Section], key_width: int | None = None) -> Table:
    """Every section's keys as one table whose ``does`` and ``note`` columns wrap to the width.

    Every cell is a ``Text``: binding tooltips say things like ``[keymap]``,
    which as a plain string would be read as markup and vanish.
    """
    table = Table(box=None, expand=True, padding=(0, 1), show_edge=False, header_style="bold")
    # With a key_width a longer key wraps; a word longer than its column folds, not cut with an ellipsis.
    table.add_column("key", no_wrap=key_width is None, max_width=key_width, overflow="fold")
    table.add_column("does", ratio=2, overflow="fold")
    table.add_column("id", no_wrap=True, style="dim")
    table.add_column("note", ratio=3, overflow="fold")
    for title, rows in sections:
        table.add_row(Text(""), Text(title, "bold underline"), Text(""), Text(""))
        for row in rows:
            key = row.key if key_width is None else wrapped_key(row.key, key_width)
            table.add_row(Text(key), Text(row.description), Text(row.binding_id), Text(row.note))
    return table


class HelpScreen(ModalScreen[None]):
    """The keys, what they do, and the binding ids to remap them; arrows scroll, Esc closes."""

    CSS_PATH = SCREENS_CSS

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Close", id="close-help"),
        Binding("question_mark", "dismiss", "Close", show=False),
    ]

    def __init__(self, sections: Sequence[Section]) -> None:
        super().__init__(classes="dialog-screen")
        self.sections = list(sections)
        self.key_width: int | None = None  # set at compose, from the terminal width

    def compose(self) -> ComposeResult:
        """Title, the keys (scrolling; long notes wrap), a hint about remapping."""
        self.key_width = self._key_width()
        with Vertical(classes="dialog", id="help-dialog"):
            yield Label("Keys", classes="dialog-title")
            with VerticalScroll(id="help-keys"):
                yield Static(keys_table(self.sections, self.key_width), id="help-table")
            yield Label('Remap in config: [keymap] deploy = "D"  (binding id = key)', markup=False)

    def _key_width(self) -> int | None:
        """How wide a key may be before it wraps: on a wide screen, as wide as it is."""
        return None if self.app.size.width >= WIDE_HELP else NARROW_KEY_WIDTH

    def on_mount(self) -> None:
        """Arrows and page keys scroll the keys."""
        self.query_one("#help-keys", VerticalScroll).focus()

    def on_resize(self) -> None:
        """Crossing WIDE_HELP lets the keys run on one line again, or wrap."""
        if self._key_width() != self.key_width:
            self.key_width = self._key_width()
            self.query_one("#help-table", Static).update(keys_table(self.sections, self.key_width))
