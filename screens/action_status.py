"""What the action dashboard knows without IO: which keys are grey, and the status line that says why.

Guards are the service's, read when an action is confirmed; this is only
what the screen itself knows for sure (an action running, a role not held,
no candidate), so a key is greyed, never hidden, and the line under the log
names the reason and the key that helps.
"""

from __future__ import annotations

from relui.screens.reading import Readings
from relui.screens.release_flows import checking_key
from relui.screens.release_locks import LockKeeping
from relui.services.context import Context

ACTIONS = ("deploy", "smoke", "cutover", "rollback", "lock", "abort")
TITLES = {
    "deploy": "Deploy to",
    "smoke": "Smoke",
    "cutover": "Cutover",
    "rollback": "Roll back",
    "lock": "Lock/unlock",
    "abort": "Abort on",
}


class ActionStatus(LockKeeping):
    """Capability and the status line, over the flows and the lock; the action dashboard runs what it allows."""

    def __init__(self, ctx: Context, readings: Readings | None = None) -> None:
        super().__init__(ctx, readings)
        self.running: tuple[str, str] | None = None
        self.rolling_back: str | None = None
        # Environments whose bake has breached, with the line shown (each breach is acted on once here).
        self.breaches: dict[str, str] = {}

    # Capability: what greys a key. Guards are the service's; this is only what
    # the screen itself knows for sure without IO.
    def blocked_reason(self, action: str, env: str) -> str | None:
        """Why ``action`` on ``env`` cannot start now, or None."""
        if action == "abort":
            ours = self.running is not None and self.running[0] == env and self.running[1] in ("deploy", "smoke")
            # One started elsewhere (the CLI, a pipeline, another bastion) is stopped the same way: the service asks it.
            last = reading.last_action if (reading := self.readings.get(env)) else None
            elsewhere = last is not None and last.status == "started" and last.action in ("deploy", "smoke")
            return None if ours or elsewhere else f"no deploy or smoke is running on {env.upper()}"
        # A rollback is never held back by a running action: the service asks it to stop first.
        if self.running is not None and action != "rollback":
            return f"{self.running[1]} running on {self.running[0].upper()}; wait for it to finish"
        if self.rolling_back is not None:
            return f"rollback running on {self.rolling_back.upper()}; wait for it to finish"
        if not self.ctx.may(env, action):
            needs = " or ".join(self.ctx.config.permissions.get(action, ("devops",)))
            held = ", ".join(self.ctx.roles_on(env)) or "none"
            return f"needs role {needs}; {self.ctx.operator_on(env)} has {held} on {env.upper()}"
        reading = self.readings.get(env)
        if reading is None:
            return f"{env.upper()} not read yet"
        if action in ("smoke", "cutover") and reading.candidate_version is None:
            return f"no candidate on {env.upper()}; {self.key_of('deploy')} deploys one"
        return None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Grey (not hide) an action that cannot start; the status line says why."""
        if action in ACTIONS:
            return None if self.blocked_reason(action, self.current_env) else True
        return True

    def status_text(self) -> str:
        """``QA: smoke, cutover: no candidate on QA; d deploys one``."""
        env = self.current_env
        before = self._before_the_answer()
        if before:
            return before
        if env in self.breaches:
            return f"{env.upper()}: {self.breaches[env]}; {self.rolls_back()}"
        if self.running is not None:
            return (
                f"{self.running[1]} on {self.running[0].upper()} in progress: "
                f"{self.key_of('abort')} aborts a deploy or smoke, {self.key_of('rollback')} rolls back"
            )
        by_reason: dict[str, list[str]] = {}
        for action in ACTIONS:
            if action == "abort":
                continue
            reason = self.blocked_reason(action, env)
            if reason:
                by_reason.setdefault(reason, []).append(action)
        if not by_reason:
            return f"{env.upper()}: keys open; guards are checked when you confirm"
        return f"{env.upper()}: " + " | ".join(f"{', '.join(acts)}: {why}" for why, acts in by_reason.items())

    def _before_the_answer(self) -> str | None:
        """What is read or asked before anything changes: a flow's versions, an action's guards, its confirm.

        A rollback is said as a deploy or a cutover is: "rollback running on
        DEV; wait for it to finish" was shown while its confirm was still open.
        """
        for flow in self.checking.values():
            if flow.before_a_chooser and not flow.finished:
                return f"{flow.title_text}: reading {flow.reading}; nothing has changed yet"
        started = [(self.rolling_back, "rollback")] if self.rolling_back is not None else []
        started += [self.running] if self.running is not None else []
        for where, action in started:
            checking = self.checking.get(checking_key(where, action))
            if checking is not None and checking.preempting:
                return f"{action} on {where.upper()}: stopping the running {checking.preempting} first"
            if checking is not None:
                return f"{action} on {where.upper()}: reading the guards; nothing has changed yet"
            if self.answering is not None and checking_key(*self.answering) == checking_key(where, action):
                return f"{action} on {where.upper()}: waiting for your answer; nothing has changed yet"
        return None
