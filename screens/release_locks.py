"""The operator lock as the action dashboard keeps it: taken and released with a question, renewed while held.

A lock this session took is renewed well inside its lease while the TUI
runs, so it only expires when relui is gone (killed, the bastion lost); the
service decides who may take or release it, this only asks and tells.

The release service is built on its first use, from a worker: its modules
(guards, plans, outcomes ...) are not needed to draw the first frame.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from textual import work
from textual.message import Message

from relui.ports import PortError
from relui.screens.reading import Readings
from relui.screens.release_flows import ReleaseFlows
from relui.services.context import Context
from relui.widgets.action_log import ActionLog

if TYPE_CHECKING:
    from relui.services.release import ReleaseService

# Well inside the shortest lease (the sandbox's 300 s): one missed renewal never loses the lock.
LOCK_RENEW_SECONDS = 60.0


class LockKeeping(ReleaseFlows):
    """Taking, releasing and renewing this session's locks."""

    class LockChanged(Message):
        """The lock was taken or released."""

        def __init__(self, env: str, text: str, held: bool) -> None:
            super().__init__()
            self.env = env
            self.text = text
            self.held = held

    def __init__(self, ctx: Context, readings: Readings | None = None) -> None:
        super().__init__(ctx, readings)
        self._service: ReleaseService | None = None
        self._service_lock = threading.Lock()
        # Locks this session took; renewed while it runs so they only expire when abandoned.
        self.held_locks: set[str] = set()

    @property
    def service(self) -> ReleaseService:
        """The one release service of this screen, built by whichever worker asks first."""
        with self._service_lock:
            if self._service is None:
                from relui.services.release import ReleaseService

                self._service = ReleaseService(self.ctx)
            return self._service

    def on_mount(self) -> None:
        """Besides the dashboard's own start-up: keep held locks alive.

        Textual runs ``on_mount`` of every class in the MRO, so the
        dashboard's own is not called from here (it used to run twice).
        """
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

    @work(thread=True, exclusive=True, exit_on_error=False, group="release-lock")
    def _toggle_lock(self, env: str, take: bool) -> None:
        from relui.services.release import LockRefused

        try:
            if take:
                info = self.service.take_lock(env)
                text = f"you hold the {env.upper()} lock since {info.since:%H:%M} UTC"
            else:
                text = self.service.release_lock(env)
        except LockRefused as exc:
            text, take = self.remedies().text(str(exc), exc.remedy), env in self.held_locks
        self.post_message(self.LockChanged(env, text, take))

    def on_lock_keeping_lock_changed(self, message: LockChanged) -> None:
        """Say so, remember what to renew, and read the environment again."""
        if message.held:
            self.held_locks.add(message.env)
        else:
            self.held_locks.discard(message.env)
        self.notify(message.text, title="lock")
        self.action_log.write(f"{self._stamp()} {message.text}")
        self.column(message.env).poll()

    @property
    def action_log(self) -> ActionLog:
        """The log pane."""
        return self.query_one(ActionLog)

    def _stamp(self) -> str:
        return self.ctx.clock.now().strftime("%H:%M:%S")
