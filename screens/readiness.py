"""The go-live readiness review of one environment: each criterion, its status and evidence."""

from __future__ import annotations

from typing import ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Static
from textual.worker import Worker, WorkerFailed, WorkerState

from relui.screens import SCREENS_CSS
from relui.screens.checking import CheckingScreen
from relui.screens.choice import ChoiceScreen
from relui.screens.note import NoteScreen
from relui.screens.remedies import TuiRemedies, bound_keys
from relui.screens.watch import StateWatch
from relui.services.context import Context
from relui.services.drill_records import FILE_NAME as DRILLS
from relui.services.journal import Journal
from relui.services.readiness import (
    MET,
    NOT_MET,
    RECORDS,
    Criterion,
    ReadinessError,
    evaluate,
    evidence_problem,
    record,
    who_may_not_record,
)
from relui.widgets.footer import KeyHints
from relui.widgets.plain_cells import plain, wrapped

# The status is always in words; the style only repeats it.
STATUS_STYLE = {MET: "green", NOT_MET: "bold red"}


# The widest status word ("NOT MET"), and what cell padding and the scrollbar take.
STATUS_WIDTH = 8
GUTTER = 10


def status_text(criterion: Criterion) -> Text:
    """The status as shown in the table: the word itself, styled."""
    return Text(criterion.status.upper(), STATUS_STYLE.get(criterion.status, "bold yellow"))


class ReadinessScreen(Screen[None]):
    """Go-live criteria of one environment, evaluated in a thread; ``R`` evaluates again."""

    CSS_PATH = SCREENS_CSS

    DEFAULT_CSS = """
    ReadinessScreen #readiness-title { height: auto; padding: 0 1; text-style: bold; }
    ReadinessScreen #readiness-hint { height: auto; padding: 0 1; color: $text-muted; }
    ReadinessScreen DataTable { height: 1fr; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back", id="back", tooltip="Back"),
        Binding("R", "reload", "Refresh", id="refresh", tooltip="Evaluate every criterion again"),
        Binding(
            "e",
            "record",
            "Record evidence",
            id="record-evidence",
            tooltip="Attest a security review or restore test with a link to its evidence",
        ),
    ]

    class Evaluated(Message):
        """Every criterion was evaluated."""

        def __init__(self, criteria: list[Criterion]) -> None:
            super().__init__()
            self.criteria = criteria

    def __init__(self, ctx: Context, env: str, remedies: TuiRemedies | None = None) -> None:
        super().__init__()
        self.ctx = ctx
        self.env = ctx.env(env)
        # The dashboard passes the keys it and its screens bind; alone, this screen reads its own.
        self._remedies = remedies
        self.criteria: list[Criterion] = []

    @property
    def remedies(self) -> TuiRemedies:
        """How a criterion's way out reads here: the keys bound now ([keymap] applied)."""
        if self._remedies is None:
            keys = bound_keys((type(self),), self.ctx.config.keymap, self.app.get_key_display)
            self._remedies = TuiRemedies(keys)
        return self._remedies

    def compose(self) -> ComposeResult:
        """Title, the criteria table, how to record an attestation."""
        yield Static(f"{self.env.title} go-live readiness: evaluating ...", id="readiness-title", markup=False)
        yield DataTable(id="readiness", cursor_type="row")
        key = self.remedies.keys.get("record-evidence", "e")
        hint = (
            "read-only mode: evidence is recorded from a relui started without --read-only"
            if self.ctx.read_only
            else f"{key} records a security review or restore test with a link to its evidence"
        )
        yield Static(hint, id="readiness-hint", markup=False)
        yield KeyHints()

    def on_mount(self) -> None:
        """Columns, then the first evaluation."""
        table = self.query_one(DataTable)
        table.add_columns("criterion", "status", "evidence")
        table.focus()
        self.action_reload()
        # Team training reads the drill history, which a drill scored from a shell appends to.
        state = self.ctx.state_dir
        paths = [Journal(state, self.ctx.clock).path, state / "readiness", state / DRILLS, state / "drills"]
        StateWatch(self, paths, self.action_reload).start()

    def action_reload(self) -> None:
        """Evaluate every criterion again (reads the ports: in a thread)."""
        self._evaluate()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Recording evidence is an action: read-only mode has none."""
        return not (action == "record" and self.ctx.read_only)

    def action_record(self) -> None:
        """First whether this operator may attest at all (in a thread); then what, the link and a note.

        A ``CheckingScreen`` holds the keys from the key press to the question,
        as before a confirm: ``e`` then Enter, typed together, picked the first
        kind of evidence unread once the identity check came back.
        """
        title = f"Record readiness evidence on {self.env.title}"
        checking = CheckingScreen(title, reading="who may attest", typed_to=self.app.focused or self)
        self.app.push_screen(checking)
        self._may_record(checking)

    @work(exclusive=True, exit_on_error=False, group="readiness-record")
    async def _may_record(self, checking: CheckingScreen) -> None:
        try:
            try:
                refused = await self._who_may_not_record().wait()
            except WorkerFailed:
                return  # the read's failure is the worker's own error
            await checking.keys_typed_ahead()
            if checking.cancelled:
                return  # Esc before the question: nothing is asked
            checking.finish()
            if refused is not None:
                self.notify(str(refused), severity="error")
                return
            self._ask_what()
        finally:
            checking.finish()

    @work(thread=True, exit_on_error=False, group="readiness-who")
    def _who_may_not_record(self) -> ReadinessError | None:
        return who_may_not_record(self.ctx, self.env.name)

    def _ask_what(self) -> None:
        """Pick what to attest, then ask for the evidence link."""
        options = [(item, f"{label} ({criterion})") for item, (criterion, label) in RECORDS.items()]

        def picked(item: str | None) -> None:
            if item is None:
                return
            title = f"Evidence for {RECORDS[item][1]} on {self.env.title}: a link to the review, ticket or report"

            def linked(link: str | None) -> None:
                if not link:
                    return
                ask = f"A note kept with the {RECORDS[item][1]} record (optional: Enter records it without one)"

                def noted(note: str | None) -> None:
                    if note is not None:
                        self._record(item, link, note)

                self.app.push_screen(NoteScreen(ask, placeholder="who did it, where, what it showed"), noted)

            # A link that is no link is said under the field, which keeps what was typed.
            self.app.push_screen(NoteScreen(title, placeholder="https://...", check=evidence_problem), linked)

        self.app.push_screen(ChoiceScreen(f"Record readiness evidence on {self.env.title}", options), picked)

    @work(thread=True, exclusive=True, exit_on_error=False, group="readiness-record")
    def _record(self, item: str, evidence: str, note: str = "") -> None:
        try:
            entry = record(self.ctx, self.env.name, item, evidence, note)
        except ReadinessError as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error")
            return
        self.app.call_from_thread(self.notify, f"recorded {RECORDS[item][1]} by {entry.by}")
        self.post_message(self.Evaluated(evaluate(self.ctx, self.env.name)))

    @work(thread=True, exclusive=True, exit_on_error=False, group="readiness-evaluate")
    def _evaluate(self) -> None:
        self.post_message(self.Evaluated(evaluate(self.ctx, self.env.name)))

    def on_readiness_screen_evaluated(self, message: Evaluated) -> None:
        """Fill the table and say whether the environment may go live."""
        self.criteria = message.criteria
        self._draw()
        met = sum(c.met for c in message.criteria)
        verdict = "READY to go live" if met == len(message.criteria) else "NOT READY: cutover is blocked"
        if not self.env.protected and met < len(message.criteria):
            verdict = "not ready (unprotected: cutover only warns)"
        title = f"{self.env.title} go-live readiness: {met}/{len(message.criteria)} met, {verdict}"
        self.query_one("#readiness-title", Static).update(title)

    def _draw(self) -> None:
        """One row per criterion; the evidence wraps in its column, so nothing goes off the right edge."""
        table = self.query_one(DataTable)
        table.clear()
        titles = max((cell_len(c.title) for c in self.criteria), default=0)
        width = max(self.size.width - titles - STATUS_WIDTH - GUTTER, 20)
        for criterion in self.criteria:
            evidence = self.remedies.text(criterion.detail, criterion.remedy)
            lines = wrapped(evidence, width)
            cell = Text("\n".join(lines))
            table.add_row(plain(criterion.title), status_text(criterion), cell, key=criterion.name, height=len(lines))

    def on_resize(self) -> None:
        """The evidence wraps to the new width."""
        if self.criteria:
            self._draw()

    @on(Worker.StateChanged)
    def _evaluation_failed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            self.notify(f"readiness unavailable: {event.worker.error}", severity="error")
