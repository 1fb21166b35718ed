"""The dashboard: one column per environment, in config order, refreshing live.

This screen only watches; it is what ``--read-only`` shows, with no action
bindings at all. ``relui.screens.release_dashboard`` adds the actions.
"""

from __future__ import annotations

import asyncio
from functools import partial
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.events import DescendantFocus, Mount, Resize
from textual.reactive import Reactive
from textual.widget import Widget
from textual.widgets import Static

from relui import startup_heap
from relui.screens.commands import PaletteCommand, ReleaseCommands
from relui.screens.dashboard_lines import TypedLines
from relui.screens.reading import EnvReader, Readings, start_readings
from relui.screens.warm_up import SCREEN_MODULES, WARM_SECONDS, warm
from relui.screens.words import READ_ONLY_WHY
from relui.services.calendar import ReleaseCalendar
from relui.services.context import Context
from relui.widgets.env_column import ColumnData, EnvColumn
from relui.widgets.footer import KeyHints
from relui.widgets.header import ReleaseHeader
from relui.widgets.quiet import update_if_changed

if TYPE_CHECKING:
    from relui.screens.command_mode import Command  # loaded when the : line first opens (dashboard_lines.py)

BANNER_SECONDS = 20.0
# How long the first paint waits for the first readings (sandbox: about 15 ms; a cluster: more).
FIRST_FRAME_WAIT_SECONDS = 0.3
# Narrower than this, the key line leaves out the command palette's key (ctrl+p is in the help).
PALETTE_KEY_WIDTH = 100


def size_classes(width: int, height: int) -> list[str]:
    """The breakpoint classes ``DashboardScreen`` carries at ``width`` x ``height``, as Textual picks them."""
    picked = []
    for dimension, breakpoints in (
        (width, DashboardScreen.HORIZONTAL_BREAKPOINTS or []),
        (height, DashboardScreen.VERTICAL_BREAKPOINTS or []),
    ):
        picked += [name for least, name in sorted(breakpoints, reverse=True) if dimension >= least][:1]
    return picked


class DashboardScreen(TypedLines):
    """DEV | QA | PROD side by side; Enter opens the focused environment."""

    COMMANDS = {ReleaseCommands}
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (36, "-tall")]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "enter",
            "detail",
            "Detail",
            key_display="enter",
            show=False,
            id="detail",
            tooltip="Pods, history, metrics and guards of this environment",
        ),
        Binding("k", "checklist", "Checklist", id="checklist", tooltip="The release checklist of this environment"),
        Binding("g", "readiness", "Readiness", show=False, id="readiness", tooltip="Go-live readiness review"),
        Binding("R", "refresh", "Refresh", show=False, id="refresh", tooltip="Refresh every environment now"),
        Binding("left", "focus_column(-1)", "Previous env", key_display="left", show=False, id="previous-env"),
        Binding("right", "focus_column(1)", "Next env", key_display="right", show=False, id="next-env"),
    ]

    # Screen's own ``focused`` repaints the whole screen at every focus move; the columns that
    # gain and lose focus repaint themselves (their border), so the rest of the frame is left alone.
    focused: Reactive[Widget | None] = Reactive(None, repaint=False)

    def __init__(self, ctx: Context, readings: Readings | None = None) -> None:
        """``readings``: the readers and first readings the TUI started before Textual loaded, if it did."""
        # Born with the classes of the terminal's size: Textual sets them on the first resize, after a
        # first layout without them, and that class change restyles and lays out every widget again.
        super().__init__(ctx, classes=" ".join(size_classes(self.app.size.width, self.app.size.height)))
        self.readings: dict[str, ColumnData] = {}
        self.current_env = ctx.config.environments[0].name
        self.calendar = ReleaseCalendar(ctx.config.calendar)
        if readings is None:
            readings = self._start_readings(ctx)
        self.readers = readings.readers
        self.first_readings = readings.first

    @staticmethod
    def _start_readings(ctx: Context) -> Readings:
        """The readers, and their first readings started now (none outside a running app: nothing to read for)."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return Readings({env.name: EnvReader(ctx, env.name) for env in ctx.config.environments}, {})
        return start_readings(ctx)

    def compose(self) -> ComposeResult:
        """Header, the columns, then what the subclass adds below, then the footer."""
        operator, roles, where = self.who_on(self.current_env)
        yield ReleaseHeader(operator, roles, self.ctx.read_only, where=where, id="header")
        environments = self.ctx.config.environments
        with Horizontal(id="columns"):
            for index, env in enumerate(environments):
                yield EnvColumn(
                    env.name,
                    title=env.title,
                    protected=env.protected,
                    threshold=env.error_threshold,
                    refresh_seconds=env.refresh_seconds,
                    reader=self.readers[env.name],
                    first_reading=self.first_readings.get(env.name),
                    now=self.ctx.clock.now,
                    poll_offset=index * env.refresh_seconds / len(environments),
                    rolls_back=self.rolls_back(),
                )
        yield from self.compose_below()
        # Compact, so all actions fit on 80 columns; Enter and R are in the help (?).
        yield KeyHints(show_command_palette=self.app.size.width >= PALETTE_KEY_WIDTH)
        # The ``:`` and ``/`` lines are mounted when first opened (``_bottom_line``), not here: an
        # Input's styles and set-up were about a sixth of what the first frame cost beyond a bare app.

    def compose_below(self) -> ComposeResult:
        """Room under the columns; the watching dashboard has only a status line."""
        yield Static("", id="status-line", markup=False)

    @on(Mount)
    async def _start(self) -> None:
        """Focus the first environment and keep the calendar banner current; the first paint waits for the readings.

        A handler of its own, not ``on_mount``: it awaits, and the subclasses'
        ``on_mount`` (run before it, as Textual calls every class's) need not.
        """
        self.query_one(f"#env-{self.current_env}", EnvColumn).focus()
        # A source that hangs must not keep the collector off: the heap settles without its reading.
        self.set_timer(startup_heap.HOLD_LIMIT_SECONDS, startup_heap.settle)
        self.show_banner()
        self.set_interval(BANNER_SECONDS, self.show_banner)
        await self._first_readings_in()

    def on_resize(self, event: Resize) -> None:
        """Under 100 columns the key line keeps its room for the actions (ctrl+p is in the help)."""
        self.query_one(KeyHints).set_command_palette(event.size.width >= PALETTE_KEY_WIDTH)

    def show_banner(self) -> None:
        """The release window as the header's last words (pure computation, no IO)."""
        try:
            banner = self.calendar.banner(self.ctx.clock.now())
        except Exception as exc:  # noqa: BLE001 - a calendar bug must not take the dashboard down
            banner = f"calendar unavailable: {exc}"
        self.query_one(ReleaseHeader).show_banner(banner)

    @property
    def columns(self) -> list[EnvColumn]:
        """The environment columns in config order."""
        return list(self.query(EnvColumn))

    def column(self, env: str) -> EnvColumn:
        """The column of one environment."""
        return self.query_one(f"#env-{env}", EnvColumn)

    def who_on(self, env: str) -> tuple[str, tuple[str, ...], str]:
        """The operator's name and roles on ``env``, and ``env`` itself where environments tell them apart."""
        seen = {e.name: (self.ctx.operator_on(e.name), self.ctx.roles_on(e.name)) for e in self.ctx.config.environments}
        name, roles = seen[self.ctx.env(env).name]
        return name, roles, "" if len(set(seen.values())) == 1 else env.upper()

    @on(DescendantFocus)
    def _remember_env(self, event: DescendantFocus) -> None:
        if isinstance(event.widget, EnvColumn):
            self.current_env = event.widget.env
            self.query_one(ReleaseHeader).show_operator(*self.who_on(self.current_env))
            self.refresh_bindings()
            self.show_status()

    def on_env_column_refreshed(self, message: EnvColumn.Refreshed) -> None:
        """A column drew a new reading: the screen takes it too."""
        self.reading_in(message.data)

    async def _first_readings_in(self) -> None:
        """Wait a little for the first readings, then draw and take those in, before the first paint.

        Painted before they were in, the first frame was empty and the full one
        followed: every cell sent twice. The wait holds this screen's messages
        (its first layout among them), not the event loop, for at most
        ``FIRST_FRAME_WAIT_SECONDS``: a slow source's column says ``loading``
        until its reading comes. Its column's message later changes nothing.
        """
        pending = [asyncio.wrap_future(reading) for reading in self.first_readings.values() if not reading.done()]
        if pending:
            await asyncio.wait(pending, timeout=FIRST_FRAME_WAIT_SECONDS)
        for column in self.columns:
            column.take_first_reading()
        for reading in self.first_readings.values():
            if reading.done() and not reading.cancelled() and reading.exception() is None:
                self.reading_in(reading.result())

    def reading_in(self, data: ColumnData) -> None:
        """Keep the newest reading per environment; what is possible may have changed.

        A reading that shows the same as the last one changes no binding: the
        footer is left alone, since refreshing bindings redraws it.
        """
        unchanged = data.shows_the_same_as(self.readings.get(data.env))
        first_full = len(self.readings) < len(self.ctx.config.environments)
        self.readings[data.env] = data
        if first_full and len(self.readings) == len(self.ctx.config.environments):
            # Once that frame is on screen and the start has quietened: the start-up garbage collected
            # (one full collection, about 10 ms), the start-up heap frozen.
            self.set_timer(startup_heap.SETTLE_AFTER_SECONDS, startup_heap.settle)
        if data.env == self.current_env and not unchanged:
            self.refresh_bindings()
            self.show_status()

    def show_status(self) -> None:
        """The status line under the columns; the action dashboard says why actions are greyed."""
        update_if_changed(self.query_one("#status-line", Static), self.status_text())

    def status_text(self) -> str:
        """Read-only: say so, and how to act."""
        if self.ctx.read_only:
            return "READ-ONLY: relui only watches; start without --read-only to act"
        return ""

    def palette_commands(self) -> list[PaletteCommand]:
        """Every screen (detail, checklist, readiness per environment; journal; help), and refresh."""
        commands = [
            PaletteCommand("Refresh all environments", "read every environment now", self.action_refresh),
            PaletteCommand("Journal", "the audit journal, every environment", partial(self.open_journal, None)),
            PaletteCommand(
                "Help: keys",
                "every key with its [keymap] id",
                partial(self.app.call_later, self.app.run_action, "app.help"),
            ),
        ]
        screens = (
            ("Detail", "pods, history, metrics, guards", self.open_detail),
            ("Checklist", "items, ticks, sign-offs", self.open_checklist),
            ("Readiness", "go-live criteria and evidence", self.open_readiness),
            ("Journal", "this environment's records", self.open_journal),
        )
        for env in self.ctx.config.environments:
            for title, help_text, open_screen in screens:
                commands.append(PaletteCommand(f"{title} {env.title}", help_text, partial(open_screen, env.name)))
        return commands

    def run_command(self, command: Command) -> None:
        """Run a parsed ``:`` command as its key or palette entry would."""
        from relui.screens.command_mode import ACTION_COMMANDS

        env = command.env
        if command.name in ACTION_COMMANDS and env is not None:
            self.command_action(command.name, env, command.version)
        elif command.name == "journal":
            self.open_journal(env)
        elif command.name == "readiness" and env:
            self.open_readiness(env)
        elif command.name == "env" and env:
            self.open_detail(env)
        elif command.name == "checklist" and env:
            self.open_checklist(env)
        elif command.name == "refresh":
            self.action_refresh()
        elif command.name == "help":
            self.app.call_later(self.app.run_action, "app.help")
        elif command.name == "quit":
            self.app.call_later(self.app.run_action, "app.quit")

    def command_action(self, action: str, env: str, version: str | None) -> None:
        """An action typed at ``:``: the watching dashboard says why it does nothing."""
        self.notify(READ_ONLY_WHY, title=f":{action} {env.upper()}", severity="warning")

    def action_focus_column(self, step: int) -> None:
        """Move focus to the previous or next environment."""
        columns = self.columns
        names = [c.env for c in columns]
        index = (names.index(self.current_env) + step) % len(columns)
        # Focus lands a moment later; a key typed right after must already act on the new column.
        self.current_env = names[index]
        columns[index].focus()

    def rolls_back(self) -> str:
        """How a bake breach's banner says to roll back from here."""
        return f"{self.key_of('rollback')} rolls back"

    def action_refresh(self) -> None:
        """Refresh every environment now, automatic checklist items included."""
        for column in self.columns:
            column.poll(deep=True)
        self.notify("refreshing every environment", timeout=2)


class WatchDashboard(DashboardScreen):
    """The read-only dashboard: the action keys are there only to say why they do nothing."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(key, f"read_only('{action}')", action.capitalize(), show=False, id=action, tooltip=READ_ONLY_WHY)
        for key, action in (
            ("d", "deploy"),
            ("s", "smoke"),
            ("c", "cutover"),
            ("r", "rollback"),
            ("l", "lock"),
            ("a", "abort"),
        )
    ]

    def on_mount(self) -> None:
        """Besides the dashboard's own start-up (Textual calls it too): warm the screens opened from here."""
        self.set_timer(WARM_SECONDS, partial(warm, SCREEN_MODULES))

    def rolls_back(self) -> str:
        """Nothing rolls back from a watching relui: say where it is done."""
        return "roll back from a relui started without --read-only"

    def action_read_only(self, action: str) -> None:
        """Say, in one line, why nothing happens."""
        self.command_action(action, self.current_env, None)
