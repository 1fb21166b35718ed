"""A process told to stop (the TUI's SIGTERM and SIGHUP) brings its own actions to a safe end, and only its own."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from relui.services.actions import Action
from relui.services.context import Context
from relui.services.inflight import Running
from relui.services.release import ReleaseService
from relui.services.requests import Decision, Request
from relui.services.rollout import Progress
from relui.services.stopping import how_they_ended, stop_own_actions

WHY = "stopped by SIGTERM"


def records(service: ReleaseService, env: str = "qa") -> list[tuple[str, str, str]]:
    return [(e.kind, e.action, e.status) for e in service.journal.entries(env)]


def test_a_deploy_mid_rollout_is_stopped_put_back_and_its_lock_given_back(ctx: Context) -> None:
    service = ReleaseService(ctx)
    asked: list[list[tuple[str, Running]]] = []

    def progressed(progress: Progress) -> None:
        if progress.step == "rollout" and not asked:
            asked.append(stop_own_actions(service, WHY))

    result = service.run(Request(Action.DEPLOY, "qa", "1.5.1"), lambda _p, _g: Decision(True), progressed)

    assert result.status == "aborted"
    assert result.message.startswith(f"aborted by ops: {WHY}")
    assert "put back on revision" in result.message
    [(env, running)] = asked[0]
    assert (env, running.action, running.abortable) == ("qa", "deploy", True)
    assert records(service) == [
        ("intent", "deploy", "started"),
        ("note", "abort", "ok"),
        ("outcome", "deploy", "aborted"),
    ]
    assert ctx.env_ports("qa").cluster.lock() is None
    assert how_they_ended(service, asked[0]).startswith("deploy on qa ended aborted: aborted by ops")


def test_an_open_confirm_is_closed_and_nothing_is_changed(ctx: Context) -> None:
    service = ReleaseService(ctx)
    before = len(ctx.env_ports("qa").releases.history())
    opened, never = threading.Event(), threading.Event()
    results = []

    def decide(_plan: object, _guards: object) -> Decision:
        opened.set()
        never.wait(30)  # an operator who never answers
        return Decision(True)

    worker = threading.Thread(target=lambda: results.append(service.run(Request(Action.DEPLOY, "qa", "1.5.1"), decide)))
    worker.start()
    assert opened.wait(10)
    own = stop_own_actions(service, WHY)
    assert service.stopping.wait_idle(10), "the run still waits for its answer"
    worker.join(5)

    [(_, running)] = own
    assert running.id.startswith("pending-")
    assert results[0].status == "cancelled"
    assert results[0].message == f"relui was {WHY}; nothing was changed"
    assert how_they_ended(service, own) == "the deploy confirm on qa was closed; nothing was changed"
    # No abort note for an action that never began; no deploy was made.
    assert [r for r in records(service) if r[0] == "note"] == []
    assert len(ctx.env_ports("qa").releases.history()) == before
    never.set()


def test_an_answer_given_after_the_stop_began_starts_nothing(ctx: Context) -> None:
    """The window between the answer and the intent: the stop comes first, so the action is cancelled."""
    service = ReleaseService(ctx)
    before = len(ctx.env_ports("qa").releases.history())

    def decide(_plan: object, _guards: object) -> Decision:
        stop_own_actions(service, WHY)  # the signal lands while the operator presses Confirm
        return Decision(True)

    result = service.run(Request(Action.DEPLOY, "qa", "1.5.1"), decide)

    assert result.status == "cancelled"
    assert result.message == f"relui was {WHY} before deploy began; nothing was changed"
    assert len(ctx.env_ports("qa").releases.history()) == before


def test_nothing_new_starts_once_stopping(ctx: Context) -> None:
    service = ReleaseService(ctx)
    assert stop_own_actions(service, WHY) == []

    result = service.run(Request(Action.DEPLOY, "qa", "1.5.1"), lambda _p, _g: Decision(True))

    assert result.status == "blocked"
    assert result.message == f"relui is stopping ({WHY}); nothing was started"
    assert records(service) == []
    assert service.stopping.wait_idle(0)


def test_another_process_action_is_never_touched(ctx: Context, state_dir: Path) -> None:
    """No abort permission is checked, so the stop must reach only this process's own actions."""
    service = ReleaseService(ctx)
    theirs = Running("a1b2c3", "deploy", "dev1", "bastion-2", 999_999, ctx.clock.now().isoformat(), True, "1.5.1")
    service.inflight.mark("qa", theirs)

    assert stop_own_actions(service, WHY) == []
    assert service.inflight.abort_requested("qa", theirs.id) is None
    assert records(service) == []


def test_a_state_dir_that_cannot_be_written_never_makes_the_stop_fail(
    ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk as the signal comes: the deploy cannot be asked to stop, so it runs to its end, and is waited for."""
    service = ReleaseService(ctx)
    asked: list[list[tuple[str, Running]]] = []
    idle_while_running: list[bool] = []

    def full(*_args: object, **_kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    def progressed(progress: Progress) -> None:
        if progress.step == "rollout" and not asked:
            monkeypatch.setattr(service.inflight, "request_abort", full)
            asked.append(stop_own_actions(service, WHY))
            idle_while_running.append(service.stopping.wait_idle(0))

    result = service.run(Request(Action.DEPLOY, "qa", "1.5.1"), lambda _p, _g: Decision(True), progressed)

    assert [(env, r.action) for env, r in asked[0]] == [("qa", "deploy")]
    assert idle_while_running == [False], "the deploy is still running: the stop must wait for it"
    assert result.status == "ok", "not asked to stop, it ran to its own end"
    assert service.stopping.wait_idle(0)
    assert ctx.env_ports("qa").cluster.lock() is None


def test_a_stop_while_the_guards_are_read_never_opens_the_confirm(ctx: Context) -> None:
    """Before: the stop found no marker yet, the confirm then opened, and the stopping TUI waited for an answer."""
    service = ReleaseService(ctx)
    asked: list[bool] = []

    def progressed(progress: Progress) -> None:
        if progress.step == "guards":
            assert stop_own_actions(service, WHY) == []  # nothing marked yet

    def decide(_plan: object, _guards: object) -> Decision:
        asked.append(True)
        return Decision(True)

    result = service.run(Request(Action.DEPLOY, "qa", "1.5.1"), decide, progressed)

    assert asked == []
    assert result.status == "cancelled"
    assert result.message == f"relui was {WHY} before deploy was asked; nothing was changed"


def test_the_tui_quits_at_once_on_a_second_signal(monkeypatch: pytest.MonkeyPatch) -> None:
    """The first signal waits for the action; a second one quits without waiting, as "Quit now" does."""
    import signal
    from types import SimpleNamespace

    from relui import stop_signals
    from relui.services import stopping

    released = threading.Event()
    monkeypatch.setattr(stopping, "stop_all", lambda why: [])
    monkeypatch.setattr(stopping, "busy", lambda: True)
    monkeypatch.setattr(stopping, "wait_all", lambda timeout: released.wait(timeout))
    app = SimpleNamespace(main_loop=None, left_running=False, notify=lambda *a, **k: None)
    exits: list[int] = []
    stop = stop_signals.SignalStop(app, exit_now=exits.append)  # type: ignore[arg-type]

    stop.received(signal.SIGTERM, None)
    time.sleep(0.2)
    assert exits == [], "the first signal waits while an action runs"
    stop.received(signal.SIGTERM, None)
    assert exits == [143] and app.left_running, "the second quits at once; the action is left interrupted"
    released.set()


def test_the_quit_dialogs_stop_safely_ends_the_deploy_as_a_signal_would_then_exits_0(ctx: Context) -> None:
    """ "Quit now" left a deploy half done with the lock held, exit 0; "stop it safely" aborts it first."""
    from types import SimpleNamespace

    from relui import stop_signals

    service = ReleaseService(ctx)
    app = SimpleNamespace(main_loop=None, left_running=False, notify=lambda *a, **k: None, is_running=True)
    exits: list[int] = []
    stop = stop_signals.SignalStop(app, exit_now=exits.append)  # type: ignore[arg-type]

    def progressed(progress: Progress) -> None:
        if progress.step == "rollout" and not stop.said:
            stop.quit_safely("ops")
            time.sleep(0.3)  # the stop asks from its own thread, as it does from the dialog

    result = service.run(Request(Action.DEPLOY, "qa", "1.5.1"), lambda _p, _g: Decision(True), progressed)
    for _ in range(100):
        if exits:
            break
        time.sleep(0.05)

    assert result.status == "aborted" and result.message.startswith("aborted by ops: the TUI was quit by ops")
    assert exits == [0] and not app.left_running
    assert stop.said.startswith("the TUI was quit by ops; deploy on qa ended aborted")
    assert ctx.env_ports("qa").cluster.lock() is None
