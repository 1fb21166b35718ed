"""The dashboard with actions: deploy, smoke, cutover, rollback and the lock.

Every action checks capability first (``check_action`` greys the key and the
status line says why), then reads the plan and the guards in a thread worker,
asks in ``ConfirmScreen``, and runs the service call in one exclusive thread
worker whose progress comes back as messages for the log pane.
"""

from __future__ import annotations

from functools import partial
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Static
from textual.worker import Worker, WorkerFailed, WorkerState

from relui.domain import GuardResult, Revision
from relui.ports import PortError
from relui.screens.choice import ChoiceScreen
from relui.screens.commands import PaletteCommand
from relui.screens.confirm import Confirmation, ConfirmScreen, plan_title
from relui.screens.dashboard import DashboardScreen
from relui.screens.reading import deployable_versions
from relui.services.context import Context
from relui.services.guards import forceable
from relui.services.release import ActionResult, Plan, Progress, ReleaseService
from relui.widgets.action_log import ActionLog
from relui.widgets.revision_table import revision_label

ACTIONS = ("deploy", "smoke", "cutover", "rollback", "lock")
ACTION_GROUP = "release-action"
# Well inside the shortest lease (the sandbox's 300 s): one missed renewal never loses the lock.
LOCK_RENEW_SECONDS = 60.0
TITLES = {"deploy": "Deploy to", "smoke": "Smoke", "cutover": "Cutover", "rollback": "Roll back", "lock": "Lock/unlock"}


class ReleaseDashboard(DashboardScreen):
    """The dashboard an operator acts from; one action at a time."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("d", "deploy", "Deploy", id="deploy", tooltip="Deploy a version to the idle color"),
        Binding("s", "smoke", "Smoke", id="smoke", tooltip="Run the smoke checks against the candidate"),
        Binding("c", "cutover", "Cutover", id="cutover", tooltip="Move live traffic to the candidate"),
        Binding("r", "rollback", "Rollback", id="rollback", tooltip="Back to the warm color, or to a revision"),
        Binding("l", "lock", "Lock", id="lock", tooltip="Take or release this environment's operator lock"),
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

    class LockChanged(Message):
        """The lock was taken or released."""

        def __init__(self, env: str, text: str, held: bool) -> None:
            super().__init__()
            self.env = env
            self.text = text
            self.held = held

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.service = ReleaseService(ctx)
        self.running: tuple[str, str] | None = None
        # Locks this session took; renewed while it runs so they only expire when abandoned.
        self.held_locks: set[str] = set()

    def on_mount(self) -> None:
        """Besides the dashboard's own start-up: keep held locks alive."""
        super().on_mount()
        self.set_interval(LOCK_RENEW_SECONDS, self._renew_locks)

    def _renew_locks(self) -> None:
        if self.held_locks:
            self._renew(sorted(self.held_locks))

    @work(thread=True, exclusive=True, exit_on_error=False, group="release-lock-renew")
    def _renew(self, envs: list[str]) -> None:
        for env in envs:
            try:
                self.service.renew_lock(env)
            except PortError as exc:
                self.post_message(self.LockChanged(env, f"could not renew the {env.upper()} lock: {exc}", False))

    def compose_below(self) -> ComposeResult:
        """The log pane, then the status line."""
        yield ActionLog(id="action-log")
        yield Static("", id="status-line", markup=False)

    @property
    def action_log(self) -> ActionLog:
        """The log pane."""
        return self.query_one(ActionLog)

    # Capability: what greys a key. Guards are the service's; this is only what
    # the screen itself knows for sure without IO.
    def blocked_reason(self, action: str, env: str) -> str | None:
        """Why ``action`` on ``env`` cannot start now, or None."""
        if self.running is not None:
            return f"{self.running[1]} running on {self.running[0].upper()}; wait for it to finish"
        if not self.ctx.config.may(self.ctx.operator, action):
            needs = " or ".join(self.ctx.config.permissions.get(action, ("devops",)))
            return f"needs role {needs}; {self.ctx.operator} has {', '.join(self.ctx.operator_roles) or 'none'}"
        reading = self.readings.get(env)
        if reading is None:
            return f"{env.upper()} not read yet"
        if action in ("smoke", "cutover") and reading.candidate_version is None:
            return f"no candidate on {env.upper()}; deploy a version first"
        return None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Grey (not hide) an action that cannot start; the status line says why."""
        if action in ACTIONS:
            return None if self.blocked_reason(action, self.current_env) else True
        return True

    def status_text(self) -> str:
        """``QA: smoke, cutover: no candidate on QA; deploy a version first``."""
        env = self.current_env
        if self.running is not None:
            return f"{self.running[1]} running on {self.running[0].upper()}: actions wait until it ends"
        by_reason: dict[str, list[str]] = {}
        for action in ACTIONS:
            reason = self.blocked_reason(action, env)
            if reason:
                by_reason.setdefault(reason, []).append(action)
        if not by_reason:
            return f"{env.upper()}: all actions available; guards are checked when you confirm"
        return f"{env.upper()}: " + " | ".join(f"{', '.join(acts)}: {why}" for why, acts in by_reason.items())

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
            holder = self.readings[env].snapshot.lock
            self._toggle_lock(env, take=holder is None or holder.holder.split("@")[0] != self.ctx.operator)
        else:
            self._confirm_flow(action, env)

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

    # Flows: async workers that ask the operator; blocking reads go to thread workers.
    @work(exclusive=True, exit_on_error=False, group="release-flow")
    async def _deploy_flow(self, env: str) -> None:
        read: Worker[list[str]] = self._read_versions(env)
        try:
            versions = await read.wait()
        except WorkerFailed:
            return
        reading = self.readings.get(env)
        in_use = {s.version: str(s.color) for s in reading.snapshot.colors.values() if s.enabled} if reading else {}
        options = [(v, f"{v}  (on {in_use[v]})" if v in in_use else v) for v in versions]
        version = await self.app.push_screen_wait(
            ChoiceScreen(
                f"Deploy to {env.upper()}: which version?",
                options,
                custom="or type a version, Enter",
                note="recent registry tags, newest first (failed-* never offered)",
            )
        )
        if version:
            await self._confirm_and_run("deploy", env, version=version)

    @work(exclusive=True, exit_on_error=False, group="release-flow")
    async def _rollback_flow(self, env: str) -> None:
        read: Worker[list[Revision]] = self._read_history(env)
        try:
            history = await read.wait()
        except WorkerFailed:
            return
        reading = self.readings.get(env)
        warm = reading.snapshot.idle_color if reading else None
        state = reading.snapshot.colors.get(warm) if reading and warm else None
        warm_text = f"{warm} {state.version} ({'warm' if state.all_ready else 'NOT ready'})" if state else "none"
        options = [("instant", f"instant: live back to {warm_text}")]
        options += [(str(r.number), revision_label(r)) for r in history if r.status != "deployed"]
        choice = await self.app.push_screen_wait(ChoiceScreen(f"Roll back {env.upper()}: how?", options))
        if choice is not None:
            await self._confirm_and_run("rollback", env, to_revision=None if choice == "instant" else int(choice))

    @work(exclusive=True, exit_on_error=False, group="release-flow")
    async def _confirm_flow(self, action: str, env: str) -> None:
        await self._confirm_and_run(action, env)

    async def _confirm_and_run(
        self, action: str, env: str, version: str | None = None, to_revision: int | None = None
    ) -> None:
        read: Worker[tuple[Plan, list[GuardResult]]] = self._prepare(action, env, version, to_revision)
        try:
            plan, guards = await read.wait()
        except WorkerFailed:
            return
        title = plan_title(action, env, plan)
        decision = await self.app.push_screen_wait(
            ConfirmScreen(
                title,
                env,
                protected=self.ctx.env(env).protected,
                changes=plan.changes,
                guards=guards,
                forceable=forceable(guards),
            )
        )
        if decision is None:
            self.action_log.write(f"{self._stamp()} {title}: cancelled, nothing changed")
            return
        if self.running is not None:
            self.notify(f"{self.running[1]} is already running on {self.running[0].upper()}", severity="warning")
            return
        self.running = (env, action)
        self.refresh_bindings()
        self.show_status()
        self.action_log.begin(f"{self._stamp()} {title}" + (" (FORCED)" if decision.force else ""))
        self._run_action(action, env, decision, version, to_revision)

    @work(thread=True, exclusive=True, exit_on_error=False, group="release-read")
    def _read_versions(self, env: str) -> list[str]:
        return deployable_versions(self.ctx, env)

    @work(thread=True, exclusive=True, exit_on_error=False, group="release-read")
    def _read_history(self, env: str) -> list[Revision]:
        return self.ctx.env_ports(env).releases.history()

    @work(thread=True, exclusive=True, exit_on_error=False, group="release-read")
    def _prepare(
        self, action: str, env: str, version: str | None, to_revision: int | None
    ) -> tuple[Plan, list[GuardResult]]:
        return self.service.preview(action, env, version=version, to_revision=to_revision)

    @work(thread=True, exclusive=True, exit_on_error=False, group=ACTION_GROUP)
    def _run_action(
        self, action: str, env: str, decision: Confirmation, version: str | None, to_revision: int | None
    ) -> None:
        def progressed(progress: Progress) -> None:
            self.post_message(self.ActionProgressed(env, action, progress))

        reason, force = decision.reason, decision.force
        if action == "deploy":
            assert version is not None
            result = self.service.deploy(env, version, reason=reason, force=force, on_progress=progressed)
        elif action == "smoke":
            result = self.service.smoke(env, on_progress=progressed)
        elif action == "cutover":
            result = self.service.cutover(
                env, reason=reason, force=force, hotfix_reason=decision.hotfix_reason, on_progress=progressed
            )
        else:
            result = self.service.rollback(
                env, to_revision=to_revision, reason=reason, force=force, on_progress=progressed
            )
        self.post_message(self.ActionFinished(result))

    @work(thread=True, exclusive=True, exit_on_error=False, group="release-lock")
    def _toggle_lock(self, env: str, take: bool) -> None:
        if take:
            info = self.service.take_lock(env)
            text = f"you hold the {env.upper()} lock since {info.since:%H:%M} UTC"
        else:
            self.service.release_lock(env)
            text = f"released the {env.upper()} lock"
        self.post_message(self.LockChanged(env, text, take))

    # Results come back here, on the event loop.
    def on_release_dashboard_action_progressed(self, message: ActionProgressed) -> None:
        """One log line per step; rollout counts also drive the bar."""
        progress = message.progress
        self.action_log.write(f"{self._stamp()} {message.env.upper()} {progress.step}: {progress.message}")
        if progress.total:
            self.action_log.progress(f"{message.action} {message.env.upper()}", progress.done, progress.total)

    def on_release_dashboard_action_finished(self, message: ActionFinished) -> None:
        """Outcome in the log; a failure or a block also as a notification with the reason."""
        result = message.result
        self._action_ended(result.ok)
        env = result.env.upper()
        self.action_log.write(
            f"{self._stamp()} {env} {result.action} {result.status.upper()}: {result.message}", "bold"
        )
        for guard in result.guards:
            if guard.blocks:
                self.action_log.write(f"    {guard.verdict.value.upper()} {guard.name}: {guard.reason}")
        title = f"{result.action} {env} {result.status}"
        if result.status == "ok":
            self.notify(result.message, title=title)
        elif result.status == "forced":
            self.notify(result.message, title=title, severity="warning")
        else:
            self.notify(result.message, title=title, severity="error", timeout=15)
        self.column(result.env).poll(deep=True)

    def on_release_dashboard_lock_changed(self, message: LockChanged) -> None:
        """Say so, remember what to renew, and read the environment again."""
        if message.held:
            self.held_locks.add(message.env)
        else:
            self.held_locks.discard(message.env)
        self.notify(message.text, title="lock")
        self.action_log.write(f"{self._stamp()} {message.text}")
        self.column(message.env).poll()

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        """The one place a worker failure becomes a notification (and ends a running action)."""
        if event.state is not WorkerState.ERROR:
            if event.state is WorkerState.CANCELLED and event.worker.group == ACTION_GROUP:
                self._action_ended(False)
            return
        error = event.worker.error
        text = str(error) if isinstance(error, PortError) else f"{type(error).__name__}: {error}"
        if event.worker.group == ACTION_GROUP and self.running is not None:
            env, action = self.running
            self.action_log.write(f"{self._stamp()} {env.upper()} {action} FAILED: {text}", "bold")
            self.column(env).poll(deep=True)
            self._action_ended(False)
        self.notify(text, title=event.worker.group, severity="error", timeout=15)

    def _action_ended(self, ok: bool) -> None:
        if self.running is not None:
            env, action = self.running
            self.action_log.finish(f"{action} {env.upper()}", ok)
        self.running = None
        self.refresh_bindings()
        self.show_status()

    @property
    def action_running(self) -> bool:
        """True while an action's worker runs (the app asks before quitting)."""
        return self.running is not None

    def _stamp(self) -> str:
        return self.ctx.clock.now().strftime("%H:%M:%S")
