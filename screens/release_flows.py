"""The questions an action asks before it runs: which version, how to roll back, the lock, the confirm modal.

Each flow is an async worker that asks with a modal and hands a ``Request``
to ``_launch``; blocking reads run in thread workers, and a ``CheckingScreen``
takes the keys typed while they do, as it does before a confirm. ``_decide``
is the TUI's answer to ``ReleaseService.run``: called from the action's
thread, it opens the confirm modal on the event loop and waits for the operator.

The modals and the release service's modules are imported in the flow that
first needs them, not with the dashboard: its first frame does not wait for
them (``relui.screens.warm_up`` loads them once it is on screen, so the
first key press does not either).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TYPE_CHECKING, Any

from textual import work
from textual.worker import Worker, WorkerFailed

from relui.domain import GuardResult, LockInfo, Revision
from relui.screens.dashboard import DashboardScreen
from relui.screens.reading import VersionPick, crashing_now, version_pick
from relui.services.locks import lock_now
from relui.services.release_state import ReleaseState, release_state, warm_previous

if TYPE_CHECKING:
    from relui.screens.checking import CheckingScreen
    from relui.screens.choice import ChoiceScreen
    from relui.screens.confirm import Confirmation
    from relui.services.release import Decision, Plan, Request

# The kinds of request a rollback is: it runs beside another action, so it has a place of its own to be checked in.
ROLLBACK_KINDS = ("rollback", "rollback-revision")


def checking_key(env: str, action: str) -> tuple[str, bool]:
    """Which ``CheckingScreen`` stands for a request: per environment, a rollback's apart from the rest."""
    return env, str(action) in ROLLBACK_KINDS


class ReleaseFlows(DashboardScreen):
    """The dashboard's asking part; the action dashboard adds the keys and runs what was asked."""

    # True while the service waits for the confirm modal's answer: the action has changed nothing yet.
    awaiting_answer = False
    # Whose answer: the request's environment and kind (a rollback can wait beside a running action).
    answering: tuple[str, str] | None = None

    # The modals standing in for confirms being prepared (``checking_key``), from key press to the confirm,
    # and for a deploy's or a rollback's chooser while its versions or history are read.
    checking: dict[tuple[str, bool], CheckingScreen]

    def end_checking(self, env: str, action: str, screen: CheckingScreen | None = None) -> bool:
        """The request's guards are read (or it ended): its ``CheckingScreen`` goes; True if Esc cancelled it.

        ``screen``: end that one only (a flow's own), not one a later request put in its place.
        """
        key = checking_key(env, action)
        checking = self.checking.get(key)
        if screen is not None and checking is not screen:
            screen.finish()
            return screen.cancelled
        if checking is None:
            return False
        del self.checking[key]
        checking.finish()
        self.show_status()
        return checking.cancelled

    def hold_keys(self, env: str, action: str, title: str, reading: str) -> CheckingScreen:
        """A ``CheckingScreen`` on top now, from the key press: keys typed before the flow's question are dropped.

        Pushed here, before the flow's worker starts, not in it: an Enter typed
        right behind ``d`` reached the dashboard (and opened the detail screen) first.
        """
        from relui.screens.checking import CheckingScreen

        key = checking_key(env, action)
        previous = self.checking.pop(key, None)
        if previous is not None:
            previous.finish()
        checking = self.checking[key] = CheckingScreen(title, reading=reading, typed_to=self.app.focused or self)
        self.app.push_screen(checking)
        self.show_status()
        return checking

    def _launch(self, request: Request) -> None:
        """Run a request (the action dashboard does)."""
        raise NotImplementedError

    def _toggle_lock(self, env: str, take: bool) -> Any:
        """Take or release a lock (the action dashboard does)."""
        raise NotImplementedError

    async def _ask_instead(self, env: str, action: str, checking: CheckingScreen, chooser: ChoiceScreen) -> str | None:
        """The chooser takes the checking modal's place, once the keys typed ahead are dropped; None on Esc.

        In one step, not with ``push_screen_wait``: it waits a turn before
        pushing, and a key typed ahead reached the dashboard in between.
        """
        await checking.keys_typed_ahead()
        if self.end_checking(env, action, checking):
            return None  # Esc before the question: nothing is asked
        return await asyncio.shield(self.app.push_screen(chooser, wait_for_dismiss=True))

    # Flows: async workers that ask the operator what to do; blocking reads go to thread workers.
    # Deploy, rollback and the lock read first: a CheckingScreen holds the keys from the key press to the question.
    def _deploy_flow(self, env: str) -> None:
        checking = self.hold_keys(env, "deploy", f"Deploy to {env.upper()}", "the versions")
        self._ask(env, "deploy", checking, self._asking_deploy)

    @work(exclusive=True, exit_on_error=False, group="release-flow")
    async def _ask(
        self, env: str, action: str, checking: CheckingScreen, asking: Callable[[str, CheckingScreen], Awaitable[None]]
    ) -> None:
        """Read what the question needs and ask it, with ``checking`` holding the keys until then."""
        try:
            await asking(env, checking)
        finally:
            self.end_checking(env, action, checking)  # a read that failed, a flow cancelled: it goes too

    async def _asking_deploy(self, env: str, checking: CheckingScreen) -> None:
        from relui.screens.choice import ChoiceScreen
        from relui.services.actions import Action
        from relui.services.release import Request

        read: Worker[VersionPick] = self._read_versions(env, crashing_now(self.readings.values()))
        try:
            pick = await read.wait()
        except WorkerFailed:
            return  # the read's failure is the worker's toast
        reading = self.readings.get(env)
        in_use = {s.version: str(s.color) for s in reading.snapshot.colors.values() if s.enabled} if reading else {}
        options = [(v, pick.label(v, in_use.get(v))) for v in pick.versions]
        chooser = ChoiceScreen(
            f"Deploy to {env.upper()}: which version?",
            options,
            custom="or type a version, Enter",
            note="selected: the newest neither rolled back nor crash-looping",
            highlight=pick.preselect,
        )
        version = await self._ask_instead(env, "deploy", checking, chooser)
        if version:
            self._launch(Request(Action.DEPLOY, env, version))

    def _rollback_flow(self, env: str) -> None:
        checking = self.hold_keys(env, "rollback", f"Roll back {env.upper()}", "the release history")
        self._ask(env, "rollback", checking, self._asking_rollback)

    async def _asking_rollback(self, env: str, checking: CheckingScreen) -> None:
        from relui.screens.choice import ChoiceScreen
        from relui.services.actions import action_for
        from relui.services.guards import revisions_to_go_back_to
        from relui.services.release import Request
        from relui.widgets.revision_table import revision_label

        read: Worker[tuple[list[Revision], ReleaseState]] = self._read_history(env)
        try:
            history, rel = await read.wait()
        except WorkerFailed:
            return  # the read's failure is the worker's toast
        reading = self.readings.get(env)
        colors = reading.snapshot.colors if reading else {}
        target = rel.rollback_target
        if rel.rolled_back:
            impossible: str | None = f"instant: not possible, already rolled back ({rel.live} is live)"
        elif target is None:
            impossible = f"instant: not possible, {rel.live} has no previous live version"
        elif warm_previous(rel, colors) is None:
            impossible = f"instant: not possible, {target} is no longer warm"
        else:
            impossible = None
        # Not possible, it is said, not offered: picked, it opened a plan of "blue -> None" tagging the good version.
        options = [] if impossible else [("instant", f"instant: live back to {target} (previous live, warm)")]
        # Nor is a revision the revision guard refuses, forced or not: the one rolled back from was, highlighted,
        # and picked it opened a confirm to put the failed version live again, BLOCKed.
        revisions, rolled_back_from = revisions_to_go_back_to(rel, history)
        options += [(str(rev.number), revision_label(rev)) for rev in revisions]
        not_offered = [f"not offered: {rolled_back_from[0]}"] if rolled_back_from else []
        note = "; ".join([impossible, *not_offered] if impossible else not_offered)
        if not options:
            why = impossible.removeprefix("instant: not possible, ") if impossible else "no instant rollback"
            no_revision = rolled_back_from[0] if rolled_back_from else "no earlier revision to go back to"
            note = f"nothing to roll back to: {why}; {no_revision} (Esc closes)"
        chooser = ChoiceScreen(f"Roll back {env.upper()}: how?", options, note=note)
        choice = await self._ask_instead(env, "rollback", checking, chooser)
        if choice is not None:
            revision = None if choice == "instant" else int(choice)
            self._launch(Request(action_for("rollback", revision), env, to_revision=revision))

    def _lock_flow(self, env: str) -> None:
        checking = self.hold_keys(env, "lock", f"Lock/unlock {env.upper()}", "the lock")
        self._ask(env, "lock", checking, self._asking_lock)

    async def _asking_lock(self, env: str, checking: CheckingScreen) -> None:
        from relui.screens.choice import ChoiceScreen

        read: Worker[tuple[LockInfo | None, bool]] = self._read_lock(env)
        try:
            holder, ours = await read.wait()
        except WorkerFailed:
            return  # the read's failure is the worker's toast
        take = not ours
        verb = "Take" if take else "Release"
        options = [("no", "Cancel"), ("yes", f"{verb} the {env.upper()} operator lock")]
        note = ""
        if take and holder is not None:
            # Asked without it, the operator learnt who holds the lock only from the refusal.
            note = (
                f"{holder.holder} holds it since {holder.since:%H:%M} UTC: taking it is refused while they do "
                f"(a take-over is a shell's: relui unlock {env} --force --reason TEXT)"
            )
        chooser = ChoiceScreen(f"{verb} the {env.upper()} lock?", options, note=note)
        if await self._ask_instead(env, "lock", checking, chooser) == "yes":
            self._toggle_lock(env, take=take)

    @work(thread=True, exclusive=True, exit_on_error=False, group="release-read")
    def _read_lock(self, env: str) -> tuple[LockInfo | None, bool]:
        return lock_now(self.ctx, env)

    @work(thread=True, exclusive=True, exit_on_error=False, group="release-read")
    def _read_versions(self, env: str, crashing_on: dict[str, tuple[str, ...]]) -> VersionPick:
        return version_pick(self.ctx, env, crashing_on=crashing_on)

    @work(thread=True, exclusive=True, exit_on_error=False, group="release-read")
    def _read_history(self, env: str) -> tuple[list[Revision], ReleaseState]:
        releases = self.ctx.env_ports(env).releases
        history = releases.history()
        return history, release_state(history, releases.values())

    def _decide(self, plan: Plan, guards: tuple[GuardResult, ...]) -> Decision:
        """The TUI's decide, called by the service from its thread: open the modal and wait for the answer."""
        from relui.screens.confirm import ConfirmScreen
        from relui.services.guards import forceable
        from relui.services.release import Decision, heading

        answer: Future[Confirmation | None] = Future()
        env = self.ctx.env(plan.env)
        title = heading(plan)

        def answered(confirmation: Confirmation | None) -> None:
            self.awaiting_answer, self.answering = False, None
            answer.set_result(confirmation)
            self.show_status()  # no longer "waiting for your answer"

        def open_modal() -> None:
            if self.end_checking(plan.env, plan.kind):
                answer.set_result(None)  # Esc before the question: nothing is asked, nothing changes
                return
            modal = ConfirmScreen(
                title,
                env.name,
                protected=env.protected,
                changes=plan.changes,
                guards=list(guards),
                forceable=forceable(guards, env),
                remedies=self.remedies(),
            )
            self.app.push_screen(modal, callback=answered)

        self.awaiting_answer, self.answering = True, (plan.env, str(plan.kind))
        try:
            self.app.call_from_thread(open_modal)
        except RuntimeError:
            self.awaiting_answer, self.answering = False, None
            return Decision(False, note="the TUI closed; nothing was changed")
        try:
            while True:
                try:
                    confirmation = answer.result(timeout=0.5)
                    break
                except FutureTimeout:
                    if not self.app.is_running:
                        return Decision(False, note="the TUI closed; nothing was changed")
        finally:
            self.awaiting_answer, self.answering = False, None
        if confirmation is None:
            return Decision(False, note=f"{title}: cancelled; it changed nothing")
        return Decision(True, confirmation.force, confirmation.reason, confirmation.hotfix_reason)
