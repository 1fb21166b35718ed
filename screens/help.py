"""Every key binding of the screen underneath, with its id for ``[keymap]`` in config."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Label


@dataclass(frozen=True)
class HelpRow:
    """One binding as the help lists it."""

    key: str
    description: str
    binding_id: str
    note: str


def help_rows(screen: Screen[object]) -> list[HelpRow]:
    """The bindings active on ``screen`` (its own, its focused widget's and the app's)."""
    rows = []
    seen: set[tuple[str, str]] = set()
    for key, active in screen.active_bindings.items():
        binding = active.binding
        if binding.system or (binding.action, key) in seen:
            continue
        seen.add((binding.action, key))
        display = screen.app.get_key_display(binding)
        note = binding.tooltip if active.enabled else f"(unavailable now) {active.tooltip or binding.tooltip}"
        rows.append(HelpRow(display, binding.description or binding.action, binding.id or "", note))
    return sorted(rows, key=lambda r: (r.binding_id == "", r.description))


class HelpScreen(ModalScreen[None]):
    """The keys, what they do, and the binding ids to remap them; Esc closes."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Close", id="close-help"),
        Binding("question_mark", "dismiss", "Close", show=False),
    ]

    def __init__(self, rows: Sequence[HelpRow]) -> None:
        super().__init__(classes="dialog-screen")
        self.rows = list(rows)

    def compose(self) -> ComposeResult:
        """Title, table, a hint about remapping."""
        with Vertical(classes="dialog", id="help-dialog"):
            yield Label("Keys", classes="dialog-title")
            yield DataTable(id="help-keys", cursor_type="row")
            yield Label('Remap any key in config: [keymap] deploy = "D"  (binding id = key)', markup=False)

    def on_mount(self) -> None:
        """Fill the table."""
        table = self.query_one(DataTable)
        table.add_columns("key", "does", "id", "note")
        for row in self.rows:
            table.add_row(row.key, row.description, row.binding_id, row.note)
        table.focus()
