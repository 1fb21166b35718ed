"""The release history: revision, status, when, blue/green values and the description."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual.widgets import DataTable

from relui.domain import Revision
from relui.widgets.plain_cells import plain_row


def values_text(revision: Revision) -> str:
    """``blue* 1.4.2 | green 1.6.0`` with the live color starred; ``off`` for a disabled color."""
    values = revision.values
    if values is None:
        return "-"
    parts = []
    for color in (values.active_color, values.active_color.other):
        star = "*" if color == values.active_color else ""
        version = values.tag(color) if values.enabled(color) else "off"
        parts.append(f"{color}{star} {version or '-'}")
    return " | ".join(parts)


class RevisionTable(DataTable[Text]):
    """Revisions newest first; the descriptions are helm's side of the audit trail."""

    COLUMNS = ("rev", "status", "updated (UTC)", "values", "description")

    def on_mount(self) -> None:
        """Set up the columns once."""
        self.cursor_type = "row"
        self.add_columns(*self.COLUMNS)

    def show(self, history: Iterable[Revision]) -> None:
        """Replace the rows."""
        self.clear()
        for rev in history:
            cells = (
                str(rev.number),
                rev.status,
                rev.updated.strftime("%m-%d %H:%M"),
                values_text(rev),
                rev.description,
            )
            self.add_row(*plain_row(cells), key=str(rev.number))


def revision_label(rev: Revision) -> str:
    """One line per revision for the rollback picker: number, status, values, description."""
    description = rev.description if len(rev.description) <= 48 else rev.description[:45] + "..."
    return f"revision {rev.number} ({rev.status}): {values_text(rev)}  {description}"
