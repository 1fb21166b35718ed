"""The Textual app: takes a Context, applies the keymap, pushes the dashboard.

Quitting never waits for a port: thread workers run on a DaemonExecutor, so
a worker stuck in a hung source (or a running release action the operator
chose to leave) ends with the process instead of holding it open.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from typing import ClassVar

from textual import on
from textual.app import App, ScreenStackError
from textual.binding import Binding, BindingType
from textual.command import CommandPalette, SearchIcon
from textual.notifications import Notify, SeverityLevel
from textual.screen import Screen
from textual.theme import Theme
from textual.worker import WorkerState

from relui.daemon_executor import DaemonExecutor
from relui.screens.dashboard import WatchDashboard
from relui.screens.held_toasts import HeldToasts, WithdrawToast
from relui.screens.reading import Readings
from relui.screens.release_dashboard import ACTION_GROUP, ReleaseDashboard
from relui.services.context import Context
from relui.stop_signals import SignalStop, say
from relui.ui_prefs import last_theme, remember_theme, theme_order, wants_ascii
from relui.widgets.env_column import EnvColumn
from relui.widgets.glyphs import ASCII_CLASS, use_scrollbars
from relui.widgets.themes import COLOR_VARIABLES, THEMES


class ReluiApp(App[int]):
    """relui's TUI over one Context (tests pass one built on a ManualClock)."""

    CSS_PATH = "relui.tcss"
    TITLE = "relui"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit", id="quit", tooltip="Quit; asks first while an action runs"),
        # Operators press Ctrl-C out of habit, most of all when a source hangs; Textual only hints then.
        Binding("ctrl+c", "quit", "Quit", show=False, system=True),
        Binding("question_mark", "help", "Help", id="help", tooltip="Every key, with ids for [keymap]"),
        Binding("j", "journal", "Journal", show=False, id="journal", tooltip="The audit journal"),
    ]

    def __init__(self, ctx: Context, readings: Readings | None = None) -> None:
        """``readings``: the first readings, when they were started before Textual was imported."""
        super().__init__()
        self.ctx = ctx
        self.started_readings = readings
        self.left_running = False
        self.stopper: SignalStop | None = None  # run_tui's: the quit dialog's "stop it safely" goes through it
        self.main_loop: asyncio.AbstractEventLoop | None = None
        for theme in THEMES:
            self.register_theme(theme)
        ui = ctx.config.ui
        self.ascii_only = wants_ascii(ui.ascii)
        # Before anything is styled: set on mount, the class change restyled every widget once more.
        self.set_class(self.ascii_only, ASCII_CLASS, update=False)
        use_scrollbars(self.ascii_only)
        wanted = theme_order(os.environ, last_theme(ctx.state_dir), ui.theme)
        self.start_theme: str | None = next(name for name in wanted if name in self.available_themes)
        self.unknown_theme = wanted[0] if wanted[0] not in self.available_themes else None
        self.held_toasts = HeldToasts(self)

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """A toast says its text as written, whatever the caller's ``markup``: reasons and notes are typed by people."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    @on(Notify)
    def _toast_unless_a_dialog_is_open(self, event: Notify) -> None:
        """Every notification (``notify`` or a posted ``Notify``) passes here: none covers a dialog."""
        if self.held_toasts.hold(event.notification):
            event.prevent_default()  # Textual's own handler would show it now

    @on(WithdrawToast)
    def _withdraw_toast(self, event: WithdrawToast) -> None:
        self.held_toasts.withdraw(event.notification)

    def get_theme_variable_defaults(self) -> dict[str, str]:
        """Textual's own themes paint blue and green as the terminal does."""
        return dict(COLOR_VARIABLES)

    def on_load(self) -> None:
        """Before any worker starts: thread workers get daemon threads that quitting does not wait for."""
        self.main_loop = asyncio.get_running_loop()
        self.main_loop.set_default_executor(DaemonExecutor())

    def get_default_screen(self) -> Screen[None]:
        """The dashboard (without actions when read-only) is the first screen.

        Pushed over Textual's empty default screen, it was a second screen to
        compose, resume and resize at start, under one that is never seen.
        """
        board = WatchDashboard if self.ctx.read_only else ReleaseDashboard
        return board(self.ctx, self.started_readings)

    def on_mount(self) -> None:
        """Remap keys from config; the start theme and a word about an unknown one."""
        self.set_keymap(dict(self.ctx.config.keymap))
        self.theme = self.start_theme or self.theme
        if self.unknown_theme:
            self.notify(f"no theme called {self.unknown_theme!r}; using {self.theme}", severity="warning")
        self.theme_changed_signal.subscribe(self, self._keep_theme)
        changed = getattr(self, "screen_change_signal", None)  # Textual >= 8.0; before it see _refresh_notifications
        if changed is not None:
            # Immediate: the toasts go before the new dialog's first frame, not a message later.
            changed.subscribe(self, self.held_toasts.screen_changed, immediate=True)

    def _refresh_notifications(self) -> None:
        """Textual calls this as each screen resumes (6.2 to 8.x): before 8.0 it is the only word of a screen change.

        ``screen_changed`` is idempotent, so the calls it also gets on 8.x (and at each toast) change nothing more.
        """
        if not hasattr(self, "screen_change_signal"):
            with contextlib.suppress(ScreenStackError):
                self.held_toasts.screen_changed(self.screen)
        super()._refresh_notifications()

    def _keep_theme(self, theme: Theme) -> None:
        """The theme picked in the palette is the one the next run starts with.

        The theme set at start (from TEXTUAL_THEME or config) is not a pick:
        remembering it would outrank ``[ui] theme`` from then on.
        """
        if theme.name == self.start_theme:
            return
        self.start_theme = None
        if theme.name != last_theme(self.ctx.state_dir):
            remember_theme(self.ctx.state_dir, theme.name)
        for screen in self.screen_stack:
            for column in screen.query(EnvColumn):
                column.draw()

    def deliver_screenshot(
        self, filename: str | None = None, path: str | None = None, time_format: str | None = None
    ) -> str | None:
        """Screenshots go to the state dir's ``screenshots/`` (a bastion often has no ~/Downloads)."""
        folder = self.ctx.state_dir / "screenshots"
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self.notify(f"screenshot not saved: {exc}", severity="error")
            return None
        saved = self.save_screenshot(filename, str(folder), time_format)
        self.notify(f"screenshot saved: {saved}", title="screenshot")
        return saved

    @on(CommandPalette.Opened)
    def _plain_search_icon(self) -> None:
        """The palette's magnifier is an emoji; bastion terminals get plain ASCII."""
        for icon in self.screen.query(SearchIcon):
            icon.icon = ">"

    @property
    def action_running(self) -> bool:
        """True while a release action's worker is pending or running."""
        return any(
            w.group == ACTION_GROUP and w.state in (WorkerState.PENDING, WorkerState.RUNNING) for w in self.workers
        )

    def action_help(self) -> None:
        """List every key: this screen's first, then the other screens'."""
        from relui.screens.help import HelpScreen, help_rows, reference_sections

        if not isinstance(self.screen, HelpScreen):
            others = reference_sections(self.ctx.read_only, self.ctx.config.keymap, self.screen)
            self.push_screen(HelpScreen([("This screen", help_rows(self.screen)), *others]))

    def action_journal(self) -> None:
        """Open the journal."""
        from relui.screens.journal import JournalScreen

        if not isinstance(self.screen, JournalScreen):
            self.push_screen(JournalScreen(self.ctx))

    async def action_quit(self) -> None:
        """Quit at once; while an action runs, ask first (quitting then leaves the action unfinished).

        An action still reading its guards, or waiting for its confirm's answer, has changed
        nothing: quitting then is quitting, not leaving an action interrupted.
        """
        asking = any(isinstance(s, ReleaseDashboard) and s.changed_nothing_yet for s in self.screen_stack)
        if not self.action_running or asking:
            self.exit(0)
            return
        from relui.screens.choice import ChoiceScreen

        options = [
            ("stay", "No, keep watching"),
            ("stop", "Stop it safely, then quit: a deploy or smoke is aborted and put back, a switch finishes"),
            ("quit", "Quit now: the action stops where it is; the journal shows it as interrupted"),
        ]
        self.push_screen(ChoiceScreen("An action is running. Quit?", options), self._quit_while_running)

    def _quit_while_running(self, choice: str | None) -> None:
        if choice == "stop":
            # As SIGTERM would: the service layer ends this process's action safely, then the app quits.
            (self.stopper or SignalStop(self)).quit_safely(self.ctx.operator)
        elif choice == "quit":
            self.left_running = True
            self.exit(1)


def run_tui(ctx: Context, readings: Readings | None = None) -> int:
    """Run the TUI until the operator quits; the exit code for the shell."""
    app = ReluiApp(ctx, readings)
    with SignalStop(app) as stop:
        app.stopper = stop
        result = app.run()
    if stop.said:
        say(f"relui: {stop.said}")
    if app.left_running:
        # The action's daemon thread dies with the process: its intent stays without an outcome.
        say("relui: quit while an action was running; it was interrupted, check the environment and `relui journal`")
    if stop.code is not None:
        return stop.code
    return result if isinstance(result, int) else 0
