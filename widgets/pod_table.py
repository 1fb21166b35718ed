"""Every pod of both colors as a table: name, color, phase, ready, restarts, age, reason."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from rich.text import Text
from textual.widgets import DataTable

from relui.domain import PodHealth
from relui.widgets.plain_cells import plain, plain_row


def age(since: datetime | None, now: datetime) -> str:
    """A pod's age as kubectl prints it: 45s, 12m, 3h, 2d."""
    if since is None:
        return "-"
    seconds = max(0, int((now - since).total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size * (2 if unit != "d" else 1):
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


class PodTable(DataTable[Text]):
    """The pods of an environment; a refresh touches only the cells that changed."""

    COLUMNS = ("name", "color", "phase", "ready", "restarts", "age", "reason")

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._shown: list[tuple[str, ...]] = []
        self._pods: tuple[PodHealth, ...] = ()
        self._now: datetime | None = None
        self.filter_text = ""

    def set_filter(self, text: str) -> None:
        """Show only pods whose row holds ``text`` (any case); empty shows all."""
        if text != self.filter_text:
            self.filter_text = text
            if self._now is not None:
                self.show(self._pods, self._now)

    def on_mount(self) -> None:
        """Set up the columns once."""
        self.cursor_type = "row"
        self.add_columns(*self.COLUMNS)

    def show(self, pods: Iterable[PodHealth], now: datetime) -> None:
        """Show the pods, keeping the cursor where it was.

        The same pods in the same order update their changed cells in place
        (usually an age); only a different set of pods rebuilds the table.
        """
        self._pods, self._now = tuple(pods), now
        needle = self.filter_text.lower()
        rows: list[tuple[str, ...]] = [
            (
                pod.name,
                str(pod.color),
                pod.phase,
                "yes" if pod.ready else "NO",
                str(pod.restarts),
                age(pod.started_at, now),
                pod.reason or "",
            )
            for pod in self._pods
        ]
        if needle:
            rows = [r for r in rows if any(needle in cell.lower() for cell in r)]
        if rows == self._shown:
            return
        if [r[0] for r in rows] == [r[0] for r in self._shown]:
            keys = self.ordered_columns
            for old, new in zip(self._shown, rows, strict=True):
                for column, (before, after) in enumerate(zip(old, new, strict=True)):
                    if before != after:
                        self.update_cell(new[0], keys[column].key, plain(after))
            self._shown = rows
            return
        row = self.cursor_row
        self.clear()
        for cells in rows:
            self.add_row(*plain_row(cells), key=cells[0])
        self._shown = rows
        if self.row_count:
            self.move_cursor(row=min(row, self.row_count - 1))
