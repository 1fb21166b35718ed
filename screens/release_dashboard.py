"""The dashboard with actions: deploy, smoke, cutover, rollback and the lock.

Every action checks capability first (``relui.screens.action_status``: the
key is greyed and the status line says why), then reads the plan and the
guards in a thread worker, asks in ``ConfirmScreen``, and runs the service
call in one exclusive thread worker whose progress comes back as messages
for the log pane.

What only an action needs (the release service, its guards and plans, the
modals, the bake watch) is imported where it is first used, so the first
frame does not wait for it; ``relui.screens.warm_up`` loads it once that
frame is on screen, so the first key press does not wait either.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.notifications import Notification, Notify
from textual.widgets import Static
from textual.worker import Worker, WorkerState

from relui.ports import PortError
from relui.screens.action_status import ACTIONS, TITLES, ActionStatus
from relui.screens.commands import PaletteCommand
from relui.screens.held_toasts import WithdrawToast
from relui.screens.reading import Readings
from relui.screens.release_flows import checking_key
from relui.screens.warm_up import ACTION_MODULES, SCREEN_MODULES, WARM_SECONDS, warm
from relui.services.context import Context
from relui.widgets.action_log import ActionLog
from relui.widgets.env_column import ColumnData

if TYPE_CHECKING:
    from relui.screens.remedies import TuiRemedies
    from relui.services.release import ActionResult, Progress, Request

ACTION_GROUP = "release-action"
# A rollback runs beside whatever it preempts (the service asks that to stop), never in its group.
ROLLBACK_GROUP = "release-rollback"
# What a failed worker's toast is titled: what the operator was doing, not the worker group's id.
WORKER_TITLES = {
    ACTION_GROUP: "release action",
    ROLLBACK_GROUP: "rollback",
    "release-read": "reading versions, history or the lock",
    "release-flow": "asking",
    "release-bake": "bake watch",
    "release-abort": "abort",
    "release-lock": "lock",
    "release-lock-renew": "lock renewal",
}


def _request(action: str, env: str, version: str | None = None) -> Request:
    """The service's request for an action key (or ``:deploy ENV VERSION``)."""
    from relui.services.actions import Action
    from relui.services.release import Request

    return Request(Action(action), env, version)


class ReleaseDashboard(ActionStatus):
    """The dashboard an operator acts from; one action at a time."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("d", "deploy", "Deploy", id="deploy", tooltip="Deploy a version to the idle color"),
        Binding("s", "smoke", "Smoke", id="smoke", tooltip="Run the smoke checks against the candidate"),
        Binding("c", "cutover", "Cutover", id="cutover", tooltip="Move live traffic to the candidate"),
        Binding("r", "rollback", "Rollback", id="rollback", tooltip="Back to the warm color, or to a revision"),
        Binding("l", "lock", "Lock", id="lock", tooltip="Take or release this environment's operator lock (asks)"),
        Binding(
            "a", "abort", "Abort", id="abort", tooltip="Stop the running deploy or smoke; the idle color goes back"
        ),
    ]

    class ActionProgressed(Message):
        """A running action reported a step."""

        def __init__(self, env: str, action: str, progress: Progress) -> None:
            super().__init__()
            self.env = env
            self.action = action
            self.progress = progress

        def can_replace(self, message: Message) -> bool:
            """A burst of rollout counts collapses to the newest; other lines all stay."""
            return (
                isinstance(message, ReleaseDashboard.ActionProgressed)
                and message.env == self.env
                and self.progress.step == message.progress.step == "rollout"
            )

    class ActionFinished(Message):
        """An action ended (ok, failed, blocked or forced)."""

        def __init__(self, result: ActionResult) -> None:
            super().__init__()
            self.result = result

    def __init__(self, ctx: Context, readings: Readings | None = None) -> None:
        super().__init__(ctx, readings)
        self.checking = {}
        self.breach_alerts: dict[str, Notification] = {}  # the toast each breach raised, withdrawn when it ends

    def on_mount(self) -> None:
        """Besides the dashboard's own start-up (Textual calls it too): warm the action imports once it is drawn."""
        self.set_timer(WARM_SECONDS, partial(warm, ACTION_MODULES + SCREEN_MODULES))

    def compose_below(self) -> ComposeResult:
        """The log pane, then the status line."""
        yield ActionLog(id="action-log")
        yield Static("", id="status-line", markup=False)

    def palette_commands(self) -> list[PaletteCommand]:
        """The actions per environment, then the dashboard's own commands."""
        commands = []
        for env in self.ctx.config.environments:
            for action in ACTIONS:
                reason = self.blocked_reason(action, env.name)
                help_text = f"unavailable: {reason}" if reason else "checks guards and asks before acting"
                run = partial(self.start_action, action, env.name)
                commands.append(PaletteCommand(f"{TITLES[action]} {env.title}", help_text, run))
        return commands + super().palette_commands()

    def start_action(self, action: str, env: str) -> None:
        """Start an action's flow on an environment, or say why it cannot start."""
        reason = self.blocked_reason(action, env)
        if reason:
            self.notify(reason, title=f"{TITLES[action]} {env.upper()}", severity="warning")
            return
        if action == "deploy":
            self._deploy_flow(env)
        elif action == "rollback":
            self._rollback_flow(env)
        elif action == "lock":
            self._lock_flow(env)
        elif action == "abort":
            self._abort(env)
        else:
            self._launch(_request(action, env))

    def command_action(self, action: str, env: str, version: str | None) -> None:
        """An action typed at ``:``: as its key, or straight to the confirm modal for ``:deploy ENV VERSION``."""
        reason = self.blocked_reason(action, env)
        if action != "deploy" or version is None or reason:
            self.start_action(action, env)
        else:
            self._launch(_request(action, env, version))

    def action_deploy(self) -> None:
        """Deploy a version to the focused environment's idle color."""
        self.start_action("deploy", self.current_env)

    def action_smoke(self) -> None:
        """Smoke-check the focused environment's candidate."""
        self.start_action("smoke", self.current_env)

    def action_cutover(self) -> None:
        """Move the focused environment's live traffic to the candidate."""
        self.start_action("cutover", self.current_env)

    def action_rollback(self) -> None:
        """Roll the focused environment back."""
        self.start_action("rollback", self.current_env)

    def action_lock(self) -> None:
        """Take or release the focused environment's lock."""
        self.start_action("lock", self.current_env)

    def action_abort(self) -> None:
        """Stop this TUI's running deploy or smoke on the focused environment."""
        self.start_action("abort", self.current_env)

    def _launch(self, request: Request) -> None:
        """Run one request through the service in a thread worker; its decide opens the modal.

        Until it does, a ``CheckingScreen`` stands where the modal will be, so
        keys typed while the guards are read act on nothing.
        """
        from relui.screens.checking import CheckingScreen
        from relui.services.actions import Action

        key = checking_key(request.env, request.action)
        checking = self.checking.pop(key, None)
        if checking is not None:
            checking.finish()
        verb = "rollback" if key[1] else str(request.action)
        preempting = self.running[1] if key[1] and self.running and self.running[0] == request.env else None
        title = f"{TITLES.get(verb, verb.capitalize())} {request.env.upper()}"
        self.checking[key] = CheckingScreen(title, preempting)
        self.app.push_screen(self.checking[key])
        if request.action in (Action.ROLLBACK, Action.ROLLBACK_REVISION):
            self.rolling_back = request.env
            self._run_rollback(request)
        else:
            self.running = (request.env, str(request.action))
            self._run_action(request)
        self.refresh_bindings()
        self.show_status()

    def _progress_to(self, request: Request) -> Callable[[Progress], None]:
        def progressed(progress: Progress) -> None:
            self.post_message(self.ActionProgressed(request.env, str(request.action), progress))

        return progressed

    @work(thread=True, exclusive=True, exit_on_error=False, group=ACTION_GROUP, description="release action")
    def _run_action(self, request: Request) -> None:
        result = self.service.run(request, self._decide, self._progress_to(request))
        self.post_message(self.ActionFinished(result))

    @work(thread=True, exclusive=True, exit_on_error=False, group=ROLLBACK_GROUP, description="rollback")
    def _run_rollback(self, request: Request) -> None:
        result = self.service.run(request, self._decide, self._progress_to(request))
        self.post_message(self.ActionFinished(result))

    @work(thread=True, exclusive=True, exit_on_error=False, group="release-abort", description="abort")
    def _abort(self, env: str) -> None:
        from relui.services.intervene import InterventionRefused, abort

        try:
            text = abort(self.service, env, "abort key in the TUI")
        except InterventionRefused as exc:
            text = str(exc)
        self.app.call_from_thread(self._aborted, env, text)

    def _aborted(self, env: str, text: str) -> None:
        """Say what the abort did (under its own title, not the lock's), and read the environment again."""
        self.notify(text, title=f"{env.upper()} abort")
        self.action_log.write(f"{self._stamp()} {text}")
        self.column(env).poll()

    def reading_in(self, data: ColumnData) -> None:
        """Besides keeping the reading: a bake that breached is said once, and acted on once."""
        super().reading_in(data)
        env, breach = data.env, data.bake_breach
        if breach is None:
            if self.breaches.pop(env, None) is not None:
                self._withdraw_breach_alert(env)
                self.show_status()
            return
        if self.breaches.get(env) == breach:
            return
        first = env not in self.breaches
        self.breaches[env] = breach
        self.show_status()
        if first:
            line = f"{breach}; on {env.upper()}, {self.rolls_back()}"  # the toast shows whatever is focused
            # Its own toast, so it goes when the breach does: a rollback's outcome must not sit under it.
            alert = Notification(line, f"{env.upper()} bake", "error", 60, markup=False)
            self.breach_alerts[env] = alert
            self.app.post_message(Notify(alert))
            self.action_log.write(f"{self._stamp()} {env.upper()} {breach}", "bold")
            self._act_on_breach(env, self.remedies())

    def _withdraw_breach_alert(self, env: str) -> None:
        """Take down the toast of a breach that has ended (rolled back, or the errors fell back)."""
        alert = self.breach_alerts.pop(env, None)
        if alert is not None:
            self.app.post_message(WithdrawToast(alert))  # shown, or still waiting for a dialog to close

    @work(thread=True, exclusive=False, exit_on_error=False, group="release-bake", description="bake breach")
    def _act_on_breach(self, env: str, remedies: TuiRemedies) -> None:
        """Tell the team once per cutover (naming this TUI's rollback key); with auto_rollback, roll back once."""
        from relui.services.actions import Action
        from relui.services.bake_watch import BakeWatch
        from relui.services.release import Request

        watch = BakeWatch(self.service, env, remedies.text)
        try:
            bake = watch.current()
        except PortError:
            return
        if bake is None or not bake.breached:
            return
        if self.ctx.env(env).auto_rollback and self.rolling_back is None:
            result = watch.handle(bake, self._progress_to(Request(Action.ROLLBACK, env)))
            if result is not None:
                self.post_message(self.ActionFinished(result))
        else:
            watch.handle(bake)

    # Results come back here, on the event loop.
    def on_release_dashboard_action_progressed(self, message: ActionProgressed) -> None:
        """One log line per step; rollout counts also drive the bar."""
        progress = message.progress
        self.action_log.write(f"{self._stamp()} {message.env.upper()} {progress.step}: {progress.message}")
        if progress.total:
            title = f"{message.action} {message.env.upper()}"
            self.action_log.progress(title, progress.done, progress.total, progress.elapsed, progress.timeout)
            # The column reads the pods again, so the panel never lags the bar by a refresh.
            self.column(message.env).poll()

    def on_release_dashboard_action_finished(self, message: ActionFinished) -> None:
        """Outcome in the log; a failure or a block also as a notification with the reason."""
        from relui.screens.confirm import ConfirmScreen
        from relui.services.actions import Action

        result = message.result
        self.end_checking(result.env, result.kind)  # ended without asking (refused before a plan)
        if result.kind in (Action.ROLLBACK, Action.ROLLBACK_REVISION):
            if self.rolling_back == result.env:
                self.rolling_back = None
                if result.ok:
                    self.breaches.pop(result.env, None)
                    self._withdraw_breach_alert(result.env)
                self.refresh_bindings()
                self.show_status()
            # Said as a deploy's or a cutover's end is: the line above the log kept "cutover PROD: OK" after it.
            self.action_log.finish(f"{result.action} {result.env.upper()}", result.status)
        else:
            self._action_ended(result.status)
        modal = self.app.screen
        if result.status == "cancelled" and isinstance(modal, ConfirmScreen) and modal.env == result.env:
            modal.dismiss(None)  # a rollback went first: this confirmation is moot
        env, remedies = result.env.upper(), self.remedies()
        text = remedies.text(result.summary, result.remedy)  # the way out in this TUI's keys, not the CLI's
        self.action_log.write(f"{self._stamp()} {env} {result.action} {result.status.upper()}: {text}", "bold")
        for guard in result.guards:
            if guard.blocks:
                self.action_log.write(f"    {guard.verdict.value.upper()} {guard.name}: {remedies.guard_text(guard)}")
        title = f"{result.action} {env} {result.status}"
        if result.status == "ok":
            self.notify(text, title=title)
        elif result.status == "forced":
            self.notify(text, title=title, severity="warning")
        else:
            self.notify(text, title=title, severity="error", timeout=15)
        self.column(result.env).poll(deep=True)

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        """The one place a worker failure becomes a notification (and ends a running action)."""
        if event.state is not WorkerState.ERROR:
            if event.state is WorkerState.CANCELLED and event.worker.group == ACTION_GROUP:
                self._action_ended("interrupted")
            return
        error = event.worker.error
        text = str(error) if isinstance(error, PortError) else f"{type(error).__name__}: {error}"
        if event.worker.group == ROLLBACK_GROUP:
            if self.rolling_back is not None:
                self.end_checking(self.rolling_back, "rollback")
            self.rolling_back = None
            self.refresh_bindings()
            self.show_status()
        if event.worker.group == ACTION_GROUP and self.running is not None:
            env, action = self.running
            self.end_checking(env, action)
            self.action_log.write(f"{self._stamp()} {env.upper()} {action} FAILED: {text}", "bold")
            self.column(env).poll(deep=True)
            self._action_ended("failed")
        self.notify(text, title=WORKER_TITLES.get(event.worker.group, event.worker.group), severity="error", timeout=15)

    def _action_ended(self, outcome: str) -> None:
        """``outcome`` is the result's status word: a cancel or a block is not called a failure."""
        if self.running is not None:
            env, action = self.running
            self.action_log.finish(f"{action} {env.upper()}", outcome)
        self.running = None
        self.refresh_bindings()
        self.show_status()

    @property
    def action_running(self) -> bool:
        """True while an action's worker runs (the app asks before quitting)."""
        return self.running is not None or self.rolling_back is not None

    @property
    def changed_nothing_yet(self) -> bool:
        """True when the running actions are all still before their confirm: reading guards, or asking.

        Quitting then is quitting: nothing is left interrupted.
        """
        if self.awaiting_answer:
            return True
        pending = [checking_key(*self.running)] if self.running is not None else []
        pending += [checking_key(self.rolling_back, "rollback")] if self.rolling_back is not None else []
        return bool(pending) and all(key in self.checking for key in pending)
