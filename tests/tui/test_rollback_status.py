"""A rollback's status line says what a deploy's or a cutover's does: while it asks, nothing has changed yet."""

from __future__ import annotations

import threading
from typing import Any

from textual.app import App

from relui.screens.checking import CheckingScreen
from relui.screens.choice import ChoiceScreen
from relui.screens.confirm import ConfirmScreen
from relui.screens.release_dashboard import ReleaseDashboard
from relui.services.context import Context
from relui.services.release import ReleaseService
from tests.tui.conftest import make_app, settle
from tests.tui.test_actions import confirm
from tests.tui.test_keys_before_confirm import holding, slow_guards, stack

__all__ = ["slow_guards"]  # the fixture, used by name


def cut_over_on_qa(ctx: Context) -> None:
    """QA on 1.6.0, its 1.4.2 warm: an instant rollback is possible."""
    service = ReleaseService(ctx)
    assert service.deploy("qa", "1.6.0").ok and service.cutover("qa").ok


async def qa_focused(pilot: Any, app: App[Any]) -> ReleaseDashboard:
    """The dashboard once it has read, with QA focused."""
    await settle(pilot)
    await pilot.press("right")
    await pilot.pause()
    board = app.screen_stack[0]
    assert isinstance(board, ReleaseDashboard)
    return board


async def test_the_rollback_confirm_says_waiting_for_your_answer_not_running(
    ctx: Context, slow_guards: threading.Event
) -> None:
    cut_over_on_qa(ctx)
    app = make_app(ctx)
    async with app.run_test(size=(120, 36)) as pilot:
        board = await qa_focused(pilot, app)
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, ChoiceScreen)
        holding(slow_guards)
        await pilot.press("enter")  # instant: live back to 1.4.2
        await pilot.pause()
        assert isinstance(app.screen, CheckingScreen)
        assert board.status_text() == "rollback on QA: reading the guards; nothing has changed yet"
        slow_guards.set()
        await settle(pilot)
        assert stack(app) == ["ReleaseDashboard", "ConfirmScreen"]
        # It said "rollback running on QA; wait for it to finish" with nothing changed.
        assert board.status_text() == "rollback on QA: waiting for your answer; nothing has changed yet"
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmScreen)
        assert "waiting for your answer" not in board.status_text()
        assert board.rolling_back is None
    assert ctx.env_ports("qa").cluster.observed_active_color().value == "green"


async def test_the_line_above_the_log_says_the_rollback_ended_not_the_cutover_before_it(ctx: Context) -> None:
    """It kept "cutover QA: OK" above "QA rollback OK: ..." in the log: during an incident, the two disagreed."""
    service = ReleaseService(ctx)
    assert service.deploy("qa", "1.6.0").ok and service.smoke("qa").ok
    app = make_app(ctx)
    async with app.run_test(size=(120, 36)) as pilot:
        board = await qa_focused(pilot, app)
        await pilot.press("c")
        await confirm(pilot, app)
        assert board.action_log.status_text == "cutover QA: OK"
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, ChoiceScreen)
        await pilot.press("enter")  # instant: live back to 1.4.2
        await confirm(pilot, app)
        assert ctx.env_ports("qa").cluster.observed_active_color().value == "blue"
        assert any(" rollback OK: " in line for line in board.action_log.lines)
        assert board.action_log.status_text == "rollback QA: OK"


async def test_a_rollback_to_a_revision_says_so_on_the_line_above_the_log(ctx: Context) -> None:
    cut_over_on_qa(ctx)
    app = make_app(ctx)
    async with app.run_test(size=(120, 36)) as pilot:
        board = await qa_focused(pilot, app)
        await pilot.press("r")
        await settle(pilot)
        chooser = app.screen
        assert isinstance(chooser, ChoiceScreen)
        keys = [key for key, _ in chooser.options]
        assert keys[0] == "instant" and len(keys) > 1
        await pilot.press("down", "enter")  # the newest revision that served 1.4.2 live
        await confirm(pilot, app)
        assert ctx.env_ports("qa").cluster.observed_active_color().value == "blue"
        assert board.action_log.status_text == "rollback QA: OK"
        await pilot.press("r")
        await settle(pilot)
        await pilot.press("escape")  # nothing to roll back to now; closing it changes nothing on the line
        await settle(pilot)
        assert board.action_log.status_text == "rollback QA: OK"
