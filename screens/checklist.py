"""The release checklist of one environment: items by phase, ticks with notes, sign-offs."""

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

from relui.ports import PortError
from relui.screens import SCREENS_CSS
from relui.screens.choice import ChoiceScreen
from relui.screens.note import NoteScreen
from relui.screens.watch import StateWatch
from relui.screens.words import READ_ONLY_WHY
from relui.services.checklist import ChecklistError, Checklists, ChecklistView, ItemStatus, SignOff
from relui.services.context import Context
from relui.services.journal import Journal
from relui.widgets.env_column import SHORT_PHASE
from relui.widgets.footer import KeyHints
from relui.widgets.plain_cells import plain_row
from relui.widgets.quiet import update_if_changed

# Below this width the who/evidence column goes under each item, and phases are shortened as on the dashboard.
WIDE_CHECKLIST = 100
# What the phase and state columns, the cell padding and the scrollbar take of a narrow screen.
NARROW_GUTTER = 22
# On a wide screen: the cell padding of four columns and the scrollbar, and the least the item column keeps.
WIDE_GUTTER = 4 * 2 + 2
MIN_ITEM = 24
STATE_WIDTH = len("auto ok")


def state_text(status: ItemStatus) -> Text:
    """``[x]`` / ``[ ]`` for manual items, ``auto ok`` / ``auto --`` for automatic ones."""
    if status.automatic:
        return Text("auto ok", "green") if status.done else Text("auto --", "bold")
    return Text("[x]", "green") if status.done else Text("[ ]", "bold")


def detail_text(status: ItemStatus) -> str:
    """Who ticked it, when and why; or the automatic check's evidence."""
    if status.automatic:
        return status.evidence or ""
    if status.by is None:
        return ""
    when = (status.at or "")[5:16].replace("T", " ")
    return f"{status.by} {when}" + (f": {status.note}" if status.note else "")


class ChecklistScreen(Screen[None]):
    """Space ticks or unticks (asking for a note), ``s`` signs off in a role you hold."""

    CSS_PATH = SCREENS_CSS

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "tick", "Tick/untick", id="tick", tooltip="Tick or untick the item, with a note"),
        Binding("s", "sign_off", "Sign off", id="sign-off", tooltip="Sign this version off in a role you hold"),
        Binding("R", "reload", "Refresh", id="refresh", tooltip="Evaluate the automatic checks again"),
        Binding("escape", "app.pop_screen", "Back", id="back", tooltip="Back to the dashboard"),
    ]

    class Loaded(Message):
        """The checklist was read."""

        def __init__(self, view: ChecklistView) -> None:
            super().__init__()
            self.view = view

    def __init__(self, ctx: Context, env: str) -> None:
        super().__init__()
        self.ctx = ctx
        self.env = ctx.env(env)
        self.view: ChecklistView | None = None
        self.narrow: bool | None = None
        self.widths: tuple[int, int] | None = None  # item, who/evidence on a wide screen, once the items are read

    def compose(self) -> ComposeResult:
        """Title, the items, the sign-offs."""
        yield Static(f"{self.env.title} checklist", id="checklist-title", markup=False)
        yield DataTable(id="checklist-items", cursor_type="row", zebra_stripes=False)
        yield Static("", id="checklist-detail", markup=False)
        yield Static("sign-offs: -", id="signoffs", markup=False)
        yield KeyHints()

    def on_mount(self) -> None:
        """Columns, then the first read."""
        table = self.query_one(DataTable)
        self._columns()
        table.focus()
        self.action_reload()
        # A tick or sign-off made in another relui shows without R.
        paths = [Journal(self.ctx.state_dir, self.ctx.clock).path, self.ctx.state_dir / "checklists" / self.env.name]
        StateWatch(self, paths, self._load).start()

    def _columns(self, view: ChecklistView | None = None) -> bool:
        """Four columns on a wide screen; on a narrow one who/evidence is the item's second line, never cut off.

        On a wide screen who/evidence is as wide as its longest cell, up to what leaves the item
        ``MIN_ITEM``; the item takes the rest and wraps, so neither runs past the right edge (at 120
        columns the evidence did). Returns whether the columns changed, which clears the rows.
        """
        narrow = self.size.width < WIDE_CHECKLIST
        widths = None if narrow or view is None else self._wide_widths(view)
        if (narrow, widths) == (self.narrow, self.widths):
            return False
        self.narrow, self.widths = narrow, widths
        table = self.query_one(DataTable)
        table.clear(columns=True)
        if narrow:
            table.add_columns("phase", "state", "item / who, evidence")
        elif widths is None:
            table.add_columns("phase", "state", "item", "who / evidence")
        else:
            item, evidence = widths
            table.add_columns("phase", "state")
            table.add_column("item", width=item)
            table.add_column("who / evidence", width=evidence)
        return True

    def _wide_widths(self, view: ChecklistView) -> tuple[int, int]:
        """The item and who/evidence widths that fill the screen beside the phase and state columns.

        Widths are terminal cells, not characters: an operator's CJK name or an emoji in a note takes two.
        """
        phase = max([cell_len("phase"), *(cell_len(s.item.phase) for s in view.items)])
        room = self.size.width - WIDE_GUTTER - phase - STATE_WIDTH
        needed = max([cell_len("who / evidence"), *(cell_len(detail_text(s)) for s in view.items)])
        evidence = max(min(needed, room - MIN_ITEM), cell_len("who / evidence"))
        return max(room - evidence, MIN_ITEM), evidence

    def on_resize(self) -> None:
        """A width that changes the layout draws the items again."""
        if self._columns(self.view) and self.view is not None:
            self._draw(self.view)

    def _refused_read_only(self) -> bool:
        if self.ctx.read_only:
            self.notify(READ_ONLY_WHY, title="checklist", severity="warning")
        return self.ctx.read_only

    def action_reload(self) -> None:
        """Read the checklist again, automatic checks evaluated now."""
        self._load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="checklist-read")
    def _load(self) -> None:
        self.post_message(self.Loaded(Checklists(self.ctx).view(self.env.name)))

    def on_checklist_screen_loaded(self, message: Loaded) -> None:
        """Draw the items grouped by phase, and the sign-offs."""
        self.view = message.view
        self._draw(message.view)

    def _draw(self, view: ChecklistView) -> None:
        self.query_one("#checklist-title", Static).update(
            f"{self.env.title} checklist for {view.version or 'nothing deployed'}: {view.done}/{len(view.items)} done"
        )
        table = self.query_one(DataTable)
        row = table.cursor_row
        self._columns(view)
        table.clear()
        for phase in dict.fromkeys(s.item.phase for s in view.items):
            for i, status in enumerate(view.phase(phase)):
                label = (SHORT_PHASE.get(phase, phase) if self.narrow else phase) if i == 0 else ""
                if self.narrow:
                    cells = plain_row((label, state_text(status), self._two_lines(status)))
                    table.add_row(*cells, key=status.item.id, height=None)
                else:
                    cells = plain_row((label, state_text(status), status.item.title, detail_text(status)))
                    table.add_row(*cells, key=status.item.id, height=None)
        if table.row_count:
            table.move_cursor(row=min(row, table.row_count - 1))
        self._describe()
        self.query_one("#signoffs", Static).update(self._signoffs_text(view.signoffs))

    @on(DataTable.RowHighlighted, "#checklist-items")
    def _describe(self) -> None:
        """The highlighted item whole, under the table: a cell cuts a long note or evidence at its edge."""
        status = self._selected()
        detail = detail_text(status) if status else ""
        update_if_changed(
            self.query_one("#checklist-detail", Static), f"{status.item.title}: {detail}" if detail and status else ""
        )

    def _two_lines(self, status: ItemStatus) -> Text:
        """The item, and under it who ticked it or the check's evidence, each cut to the screen's width."""
        width = max(self.size.width - NARROW_GUTTER, 20)
        lines = [Text(status.item.title)]
        detail = detail_text(status)
        if detail:
            lines.append(Text(detail, "dim"))
        for line in lines:
            line.truncate(width, overflow="ellipsis")
        return Text("\n").join(lines)

    def _signoffs_text(self, signoffs: tuple[SignOff, ...]) -> str:
        done = "; ".join(f"{s.role} {s.user} {s.at[5:16].replace('T', ' ')}" for s in signoffs) or "none yet"
        roles = ", ".join(self.ctx.roles_on(self.env.name)) or "none"
        return f"sign-offs: {done}    (you: {self.ctx.operator_on(self.env.name)}, roles {roles})"

    def _selected(self) -> ItemStatus | None:
        if self.view is None or not self.query_one(DataTable).row_count:
            return None
        table = self.query_one(DataTable)
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((s for s in self.view.items if s.item.id == key), None)

    def action_tick(self) -> None:
        """Tick or untick the selected manual item, after asking for a note."""
        if self._refused_read_only():
            return
        status = self._selected()
        if status is None:
            return
        if status.automatic:
            self.notify(f"{status.item.id} is checked automatically ({status.item.auto})", severity="warning")
            return
        self._tick_flow(status)

    @work(exclusive=True, exit_on_error=False, group="checklist-flow")
    async def _tick_flow(self, status: ItemStatus) -> None:
        version = self.view.version if self.view else None  # what the screen shows the tick is for
        if status.done:
            screen = NoteScreen(f"Untick: {status.item.title}", "note (optional): why it is not done after all")
        else:
            screen = NoteScreen(f"Tick: {status.item.title}")
        note = await self.app.push_screen_wait(screen)
        if note is None:
            return
        try:
            await self._tick(status.item.id, note, not status.done, version).wait()
        except WorkerFailed:
            self._load()  # the failure handler said why; a release deployed since is shown now
            return
        self._load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="checklist-write")
    def _tick(self, item_id: str, note: str, done: bool, shown: str | None) -> None:
        # For the release shown, or for nothing: a deploy since the screen was read is refused, not ticked unseen.
        Checklists(self.ctx).tick(self.env.name, item_id, note=note, done=done, expect=shown or "")

    def action_sign_off(self) -> None:
        """Sign off the version shown, in one of your roles."""
        if self.view is None:
            self.notify("the checklist is still being read; sign off once it shows its release", severity="warning")
        elif not self._refused_read_only():
            self._sign_off_flow()

    @work(exclusive=True, exit_on_error=False, group="checklist-flow")
    async def _sign_off_flow(self) -> None:
        version = self.view.version if self.view else None
        roles = self.ctx.operator_roles or ("product_owner",)
        role = await self.app.push_screen_wait(
            ChoiceScreen(
                f"Sign off {version or '?'} on {self.env.title} as",
                [(r, r) for r in roles],
                note="relui refuses a role you do not hold, or a release you deployed yourself",
            )
        )
        if role is None:
            return
        try:
            await self._sign(role, version).wait()
        except WorkerFailed:
            self._load()  # the failure handler said why; a release deployed since is shown now
            return
        self.notify(f"signed off {version} on {self.env.title} as {role}")
        self._load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="checklist-write")
    def _sign(self, role: str, shown: str | None) -> None:
        # The release the chooser named: it said "signed off 1.4.2" of a sign-off recorded for a 1.5.1 deployed since.
        Checklists(self.ctx).sign_off(self.env.name, role, expect=shown or "")

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        """Refusals (ChecklistError, PortError) are shown as they are worded; anything else with its type."""
        if event.state is not WorkerState.ERROR:
            return
        error = event.worker.error
        if isinstance(error, ChecklistError | PortError):
            self.notify(str(error), title="checklist", severity="error")
        else:
            self.notify(f"{type(error).__name__}: {error}", title="checklist", severity="error")
