"""The audit journal, newest first: who did what where, and how it ended."""

from __future__ import annotations

import json
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Input, Static
from textual.worker import Worker, WorkerState

from relui.printable import printable
from relui.screens import SCREENS_CSS
from relui.screens.watch import StateWatch
from relui.services.context import Context
from relui.services.interrupted import interrupted_actions
from relui.services.journal import Entry, Journal
from relui.widgets.command_line import BottomLine, FilterLine
from relui.widgets.footer import KeyHints
from relui.widgets.plain_cells import plain_row

SHOWN = 500
# The pane scrolls: a record's line is cut only past this many characters.
RECORD_LIMIT = 4000


def status_text(entry: Entry, unfinished: set[str]) -> Text:
    """The outcome in words; an intent that never got one is called out."""
    if entry.kind == "intent":
        return Text("NO OUTCOME", "bold red") if entry.id in unfinished else Text("started")
    style = {"ok": "green", "failed": "bold red", "blocked": "bold yellow", "forced": "bold yellow"}.get(
        entry.status, ""
    )
    return Text(entry.status, style)


def detail(entry: Entry) -> str:
    """The record's message, version or reason, whichever it has."""
    for key in ("message", "reason", "version", "item", "role"):
        value = entry.detail.get(key)
        if value:
            return f"{key}: {value}" if key != "message" else str(value)
    return ""


def row_cells(entry: Entry, unfinished: set[str]) -> tuple[str | Text, ...]:
    """The table's cells for one record."""
    return (
        entry.at[:19].replace("T", " "),
        entry.env,
        entry.action,
        entry.kind,
        status_text(entry, unfinished),
        entry.operator,
        detail(entry),
    )


def record_text(entry: Entry, unfinished: set[str]) -> str:
    """The whole record, for the pane under the table: the table's detail cell is cut at narrow widths.

    The head, the message, every guard that did not pass (with how many did),
    then the rest of the record's fields on one wrapped line.
    """
    at, status = entry.at[:19].replace("T", " "), str(status_text(entry, unfinished))
    lines = [f"{at}  {entry.env} {entry.action} {entry.kind} {status}  by {entry.operator}"]
    if entry.detail.get("message"):
        lines.append(str(entry.detail["message"]))
    guards = entry.detail.get("guards")
    if isinstance(guards, list):
        passed = [g for g in guards if isinstance(g, dict) and g.get("verdict") == "pass"]
        lines.append(f"guards: {len(passed)} of {len(guards)} pass")
        lines += [
            f"  {str(g.get('verdict', '?')).upper()} {g.get('name', '?')}: {g.get('reason', '')}"
            for g in guards
            if not (isinstance(g, dict) and g.get("verdict") == "pass")
        ]
    rest = [
        f"{key}: {json.dumps(value) if isinstance(value, (list, dict)) else value}"
        for key, value in entry.detail.items()
        if key not in ("message", "guards") and value not in ("", None)
    ]
    if rest:
        lines.append("; ".join(rest))
    return "\n".join(printable(line, RECORD_LIMIT) for line in lines)  # a hand-edited record may hold escapes


def matches(cells: tuple[str | Text, ...], needle: str) -> bool:
    """True when any cell holds ``needle`` (any case)."""
    return any(needle in str(cell).lower() for cell in cells)


class JournalScreen(Screen[None]):
    """Every record of the journal (or one environment's); ``/`` filters, ``R`` reads it again.

    It reads again by itself when another relui instance writes to the journal.
    """

    CSS_PATH = SCREENS_CSS

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back", id="back", tooltip="Back"),
        Binding("R", "reload", "Refresh", id="refresh", tooltip="Read the journal again"),
        Binding("slash", "filter", "Filter", key_display="/", id="filter", tooltip="Show only rows holding a text"),
    ]

    class Loaded(Message):
        """The journal was read."""

        def __init__(self, entries: list[Entry], unfinished: set[str]) -> None:
            super().__init__()
            self.entries = entries
            self.unfinished = unfinished

    def __init__(self, ctx: Context, env: str | None = None) -> None:
        super().__init__()
        self.ctx = ctx
        self.env = env
        self.loaded: JournalScreen.Loaded | None = None
        self.filter_text = ""

    def compose(self) -> ComposeResult:
        """Title, the table, the filter line."""
        yield Static("Journal (newest first)", id="journal-title", markup=False)
        yield DataTable(id="journal", cursor_type="row")
        # Focusable (Tab): a record longer than the pane scrolls with the arrow keys.
        with VerticalScroll(id="journal-record-pane"):
            yield Static("", id="journal-record", markup=False)
        yield KeyHints()
        yield FilterLine()

    def on_mount(self) -> None:
        """Columns, then the first read; then follow the journal file."""
        table = self.query_one(DataTable)
        table.add_columns("at (UTC)", "env", "action", "kind", "status", "operator", "detail")
        table.focus()
        self.action_reload()
        StateWatch(self, [Journal(self.ctx.state_dir, self.ctx.clock).path], self.action_reload).start()

    def action_filter(self) -> None:
        """Open the ``/`` line."""
        self.query_one(FilterLine).open(self.filter_text)

    @on(Input.Changed, "#filter-line")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.filter_text = event.value.strip()
        self._fill()

    @on(Input.Submitted, "#filter-line")
    def _filter_kept(self, event: Input.Submitted) -> None:
        self.query_one(FilterLine).hide()
        self.query_one(DataTable).focus()

    @on(BottomLine.Closed)
    def _filter_cleared(self) -> None:
        self.filter_text = ""
        self._fill()
        self.query_one(DataTable).focus()

    def action_reload(self) -> None:
        """Read the journal file again."""
        self._load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="journal-read")
    def _load(self) -> None:
        journal = Journal(self.ctx.state_dir, self.ctx.clock)
        entries = journal.entries(self.env)
        # The same rule as relui status: no outcome, nothing ended since, and not running now.
        unfinished = {i.id for i in interrupted_actions(self.ctx)}
        self.post_message(self.Loaded(entries[-SHOWN:], unfinished))

    def on_journal_screen_loaded(self, message: Loaded) -> None:
        """Keep the reading and draw it."""
        self.loaded = message
        self._fill()

    def _fill(self) -> None:
        """The table, newest first, only rows holding the filter text."""
        message = self.loaded
        if message is None:
            return
        table = self.query_one(DataTable)
        table.clear()
        needle = self.filter_text.lower()
        shown = 0
        for index in range(len(message.entries) - 1, -1, -1):
            cells = row_cells(message.entries[index], message.unfinished)
            if not needle or matches(cells, needle):
                table.add_row(*plain_row(cells), key=str(index))
                shown += 1
        if not shown:
            self.query_one("#journal-record", Static).update("")
        where = f" of {self.env.upper()}" if self.env else ""
        title = f"Journal{where} (newest first): {len(message.entries)} records"
        if needle:
            title += f", {shown} matching /{self.filter_text}"
        if message.unfinished:
            title += f", {len(message.unfinished)} without outcome (interrupted or still running)"
        self.query_one("#journal-title", Static).update(title)

    @on(DataTable.RowHighlighted, "#journal")
    def _show_record(self, event: DataTable.RowHighlighted) -> None:
        """The highlighted record in full under the table."""
        message = self.loaded
        if message is None or event.row_key.value is None:
            return
        entry = message.entries[int(event.row_key.value)]
        self.query_one("#journal-record", Static).update(record_text(entry, message.unfinished))

    @on(Worker.StateChanged)
    def _load_failed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            self.notify(f"journal unavailable: {event.worker.error}", severity="error")
