"""The audit journal, newest first: who did what where, and how it ended."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static
from textual.worker import Worker, WorkerState

from relui.services.context import Context
from relui.services.interrupted import interrupted_actions
from relui.services.journal import Entry, Journal

SHOWN = 500


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


class JournalScreen(Screen[None]):
    """Every record of the journal; ``R`` reads it again."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back", id="back", tooltip="Back"),
        Binding("R", "reload", "Refresh", id="refresh", tooltip="Read the journal again"),
    ]

    class Loaded(Message):
        """The journal was read."""

        def __init__(self, entries: list[Entry], unfinished: set[str]) -> None:
            super().__init__()
            self.entries = entries
            self.unfinished = unfinished

    def __init__(self, ctx: Context) -> None:
        super().__init__()
        self.ctx = ctx

    def compose(self) -> ComposeResult:
        """Title, the table."""
        yield Static("Journal (newest first)", id="journal-title", markup=False)
        yield DataTable(id="journal", cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        """Columns, then the first read."""
        table = self.query_one(DataTable)
        table.add_columns("at (UTC)", "env", "action", "kind", "status", "operator", "detail")
        table.focus()
        self.action_reload()

    def action_reload(self) -> None:
        """Read the journal file again."""
        self._load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="journal-read")
    def _load(self) -> None:
        journal = Journal(self.ctx.state_dir, self.ctx.clock)
        entries = journal.entries()
        # The same rule as relui status: no outcome, nothing ended since, and not running now.
        unfinished = {i.id for i in interrupted_actions(self.ctx)}
        self.post_message(self.Loaded(entries[-SHOWN:], unfinished))

    def on_journal_screen_loaded(self, message: Loaded) -> None:
        """Fill the table, newest first."""
        table = self.query_one(DataTable)
        table.clear()
        for entry in reversed(message.entries):
            table.add_row(
                entry.at[:19].replace("T", " "),
                entry.env,
                entry.action,
                entry.kind,
                status_text(entry, message.unfinished),
                entry.operator,
                detail(entry),
            )
        title = f"Journal (newest first): {len(message.entries)} records"
        if message.unfinished:
            title += f", {len(message.unfinished)} without outcome (interrupted or still running)"
        self.query_one("#journal-title", Static).update(title)

    @on(Worker.StateChanged)
    def _load_failed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            self.notify(f"journal unavailable: {event.worker.error}", severity="error")
