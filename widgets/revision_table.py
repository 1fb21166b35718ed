"""The release history: revision, status, when, blue/green values and the description."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rich.cells import cell_len, set_cell_size
from rich.text import Text
from textual.widgets import DataTable

from relui.domain import Revision
from relui.widgets.plain_cells import plain, plain_row, wrapped

# The narrowest the description column is squeezed to before the table scrolls sideways instead.
MIN_DESCRIPTION = 12
# A description takes at most this many lines of its row; the line under the table has the highlighted one whole.
MAX_LINES = 3


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
    """Revisions newest first; the descriptions are helm's side of the audit trail.

    A description wraps inside its column (the row grows, up to ``MAX_LINES``),
    never cut at the screen's edge; ``described`` is the highlighted one whole,
    for the line under the table, as the journal has it.
    """

    COLUMNS = ("rev", "status", "updated (UTC)", "values", "description")

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.history: list[Revision] = []

    def on_mount(self) -> None:
        """Set up the columns once."""
        self.cursor_type = "row"
        self.add_columns(*self.COLUMNS)

    def show(self, history: Iterable[Revision]) -> None:
        """Replace the rows when the history changed (a refresh that finds the same one repaints nothing)."""
        history = list(history)
        if history == self.history and self.row_count:
            return
        self.history = history
        self._draw()

    def on_resize(self) -> None:
        """The descriptions wrap to the new width."""
        if self.history:
            self._draw()

    def _draw(self) -> None:
        rows = [
            (str(rev.number), rev.status, rev.updated.strftime("%m-%d %H:%M"), values_text(rev)) for rev in self.history
        ]
        # The vertical scrollbar's room is kept: taller rows can bring it in.
        room = self.size.width - self.styles.scrollbar_size_vertical
        width = description_width(room, self.COLUMNS[:-1], rows, self.cell_padding)
        cursor = self.cursor_row
        self.clear()
        for rev, cells in zip(self.history, rows, strict=True):
            lines = fitted(plain(rev.description).plain, width)
            self.add_row(*plain_row(cells), Text("\n".join(lines)), key=str(rev.number), height=len(lines))
        if self.row_count:
            self.move_cursor(row=min(cursor, self.row_count - 1))

    def described(self) -> str:
        """The highlighted revision's description, whole (``rev N: ...``); empty with no rows."""
        if not self.history or not 0 <= self.cursor_row < len(self.history):
            return ""
        rev = self.history[self.cursor_row]
        return f"rev {rev.number}: {plain(rev.description).plain}"


def fitted(description: str, width: int) -> list[str]:
    """``description`` wrapped to ``width``, at most ``MAX_LINES`` lines; a cut one ends in ``...``."""
    lines = wrapped(description, width)
    if len(lines) > MAX_LINES:
        lines = lines[:MAX_LINES]
        lines[-1] = set_cell_size(lines[-1], width - 3).rstrip() + "..."
    return lines


def description_width(total: int, headers: Sequence[str], rows: Sequence[Sequence[str]], padding: int) -> int:
    """What is left for the description once the other columns take their widest cell (and padding)."""
    widths = [
        max([cell_len(header), *(cell_len(row[i]) for row in rows)]) + 2 * padding for i, header in enumerate(headers)
    ]
    return max(MIN_DESCRIPTION, total - sum(widths) - 2 * padding)


def revision_label(rev: Revision) -> str:
    """One line per revision for the rollback picker: number, status, values, description."""
    description = rev.description if cell_len(rev.description) <= 48 else set_cell_size(rev.description, 45) + "..."
    return f"revision {rev.number} ({rev.status}): {values_text(rev)}  {description}"
