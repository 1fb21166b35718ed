"""Every pod of both colors as a table: name, color, phase, ready, restarts, age, reason."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from textual.widgets import DataTable

from relui.domain import PodHealth


def age(since: datetime | None, now: datetime) -> str:
    """A pod's age as kubectl prints it: 45s, 12m, 3h, 2d."""
    if since is None:
        return "-"
    seconds = max(0, int((now - since).total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size * (2 if unit != "d" else 1):
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


class PodTable(DataTable[str]):
    """The pods of an environment; rows are replaced on every refresh."""

    COLUMNS = ("name", "color", "phase", "ready", "restarts", "age", "reason")

    def on_mount(self) -> None:
        """Set up the columns once."""
        self.cursor_type = "row"
        self.add_columns(*self.COLUMNS)

    def show(self, pods: Iterable[PodHealth], now: datetime) -> None:
        """Replace the rows, keeping the cursor where it was."""
        row = self.cursor_row
        self.clear()
        for pod in pods:
            self.add_row(
                pod.name,
                str(pod.color),
                pod.phase,
                "yes" if pod.ready else "NO",
                str(pod.restarts),
                age(pod.started_at, now),
                pod.reason or "",
                key=pod.name,
            )
        if self.row_count:
            self.move_cursor(row=min(row, self.row_count - 1))
