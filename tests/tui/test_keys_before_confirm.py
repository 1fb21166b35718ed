"""Keys typed while an action's guards are read act on nothing: a key answers only a question already on screen."""

from __future__ import annotations

import time
from typing import Any

import pytest
from textual.app import App
from textual.widgets import Static

from relui.screens.checking import SHOW_AFTER_SECONDS, CheckingScreen
from relui.screens.choice import ChoiceScreen
from relui.screens.confirm import ConfirmScreen
from relui.screens.release_dashboard import ReleaseDashboard
from relui.services import release
from relui.services.context import Context
from relui.services.journal import Journal
from relui.services.release import ReleaseService
from tests.tui.conftest import make_app, settle

READ_SECONDS = 0.6  # a slow Prometheus: well past the moment the checking line shows itself


@pytest.fixture
def slow_guards(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every action's facts take READ_SECONDS to gather, as behind a slow source."""
    real = release.gather

    def slow(*args: Any, **kwargs: Any) -> Any:
        time.sleep(READ_SECONDS)
        return real(*args, **kwargs)

    monkeypatch.setattr(release, "gather", slow)


def candidate_on_qa(ctx: Context) -> None:
    service = ReleaseService(ctx)
    assert service.deploy("qa", "1.6.0").ok and service.smoke("qa").ok


@pytest.mark.usefixtures("slow_guards")
async def test_keys_typed_before_the_confirm_opens_do_not_act_on_the_dashboard(ctx: Context) -> None:
    candidate_on_qa(ctx)
    app = make_app(ctx)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("right")  # QA
        await pilot.pause()
        # c, then at once: r (a rollback chooser), l (the lock's question), tab and enter (as if confirming).
        await pilot.press("c", "r", "l", "tab", "enter")
        await pilot.pause()
        assert isinstance(app.screen, CheckingScreen)
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert [type(s).__name__ for s in app.screen_stack] == ["ReleaseDashboard", "ConfirmScreen"]
        assert not any(isinstance(s, ChoiceScreen) for s in app.screen_stack)
        # Nothing was confirmed by the keys typed ahead: traffic is where it was.
        assert ctx.env_ports("qa").cluster.observed_active_color().value == "blue"


@pytest.mark.usefixtures("slow_guards")
async def test_a_slow_check_says_so_and_escape_cancels_it_before_anything_is_asked(ctx: Context) -> None:
    candidate_on_qa(ctx)
    app = make_app(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("right", "c")
        await pilot.pause(SHOW_AFTER_SECONDS + 0.1)
        checking = app.screen
        assert isinstance(checking, CheckingScreen) and checking.has_class("-shown")
        line = str(checking.query_one("#checking-line", Static).content)
        assert line == "Cutover QA: reading the guards; nothing has changed yet. Esc cancels."
        # Beneath it, the status line does not offer keys the modal takes.
        board = app.screen_stack[0]
        assert isinstance(board, ReleaseDashboard)
        assert board.status_text() == "cutover on QA: reading the guards; nothing has changed yet"
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, (CheckingScreen, ConfirmScreen))
    assert ctx.env_ports("qa").cluster.observed_active_color().value == "blue"
    outcome = [e for e in Journal(ctx.state_dir, ctx.clock).entries("qa") if e.kind == "outcome"][-1]
    assert (outcome.action, outcome.status) == ("cutover", "cancelled")


@pytest.mark.usefixtures("slow_guards")
async def test_help_opened_while_checking_leaves_no_checking_screen_behind(ctx: Context) -> None:
    candidate_on_qa(ctx)
    app = make_app(ctx)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("right", "c", "question_mark")  # help is the app's key: it opens over the checking modal
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape")  # cancel the cutover
        await settle(pilot)
        await pilot.press("escape")  # close help
        await settle(pilot)
        assert [type(s).__name__ for s in app.screen_stack] == ["ReleaseDashboard"]
    assert ctx.env_ports("qa").cluster.observed_active_color().value == "blue"


@pytest.mark.usefixtures("slow_guards")
async def test_the_palette_opened_while_checking_is_what_closes_not_the_checking_modal(ctx: Context) -> None:
    candidate_on_qa(ctx)
    app = make_app(ctx)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("right", "c", "ctrl+p")  # the palette is a priority key: it opens over the checking modal
        await settle(pilot)
        assert [type(s).__name__ for s in app.screen_stack][-2:] == ["CommandPalette", "ConfirmScreen"]
        await pilot.press("escape")  # cancel the cutover
        await settle(pilot)
        await pilot.press("escape")  # close the palette
        await settle(pilot)
        # Dismissing from under the palette popped the palette and left the checking modal eating every key.
        assert [type(s).__name__ for s in app.screen_stack] == ["ReleaseDashboard"]


@pytest.mark.usefixtures("slow_guards")
async def test_quitting_while_the_guards_are_read_is_quitting_nothing_is_interrupted(ctx: Context) -> None:
    candidate_on_qa(ctx)
    app = make_app(ctx)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("right", "c")
        await pilot.pause()
        assert isinstance(app.screen, CheckingScreen)
        await app.action_quit()
        await pilot.pause()
        # Quit at once: not "An action is running. Quit?", whose "quit now" says the action was interrupted.
        assert not any(isinstance(s, ChoiceScreen) for s in app.screen_stack)
        assert app.return_code == 0
    assert not app.left_running  # no "quit while an action was running; it was interrupted"
    assert not [e for e in Journal(ctx.state_dir, ctx.clock).entries("qa") if e.action == "cutover"]


async def test_a_rollback_that_stops_a_running_deploy_does_not_say_nothing_changed() -> None:
    app: App[None] = App()
    async with app.run_test(size=(100, 20)) as pilot:
        screen = CheckingScreen("Roll back QA", preempting="deploy")
        await app.push_screen(screen)
        await pilot.pause(SHOW_AFTER_SECONDS + 0.1)
        line = str(screen.query_one("#checking-line", Static).content)
    assert (
        line == "Roll back QA: the running deploy is stopped first, then the guards are read. Esc cancels the rollback."
    )
    assert "nothing has changed" not in line
