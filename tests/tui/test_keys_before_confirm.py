"""Keys typed while an action's guards are read act on nothing: a key answers only a question already on screen."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from textual.app import App
from textual.widgets import Static

from relui.app import ReluiApp
from relui.screens.checking import SHOW_AFTER_SECONDS, CheckingScreen
from relui.screens.choice import ChoiceScreen
from relui.screens.confirm import ConfirmScreen
from relui.screens.release_dashboard import ReleaseDashboard
from relui.services import release
from relui.services.context import Context
from relui.services.journal import Journal
from relui.services.release import ReleaseService
from tests.tui.conftest import make_app, settle

HOLD_LIMIT_SECONDS = 15.0


@pytest.fixture
def slow_guards(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """Once the test clears the event it gets, every action's facts are held, as behind a slow source, until it sets it.

    Held, not slept: on a loaded machine a fixed delay could be over before the test looked.
    """
    real = release.gather
    answered = threading.Event()
    answered.set()  # the set-up's own deploy and smoke are not held

    def slow(*args: Any, **kwargs: Any) -> Any:
        answered.wait(HOLD_LIMIT_SECONDS)
        return real(*args, **kwargs)

    monkeypatch.setattr(release, "gather", slow)
    yield answered
    answered.set()  # a worker still held (the app quit under it) goes on and ends


def candidate_on_qa(ctx: Context) -> None:
    service = ReleaseService(ctx)
    assert service.deploy("qa", "1.6.0").ok and service.smoke("qa").ok


@asynccontextmanager
async def qa_with_a_candidate(ctx: Context, size: tuple[int, int] = (120, 36)) -> AsyncIterator[tuple[ReluiApp, Any]]:
    """The app on QA's column, QA's candidate smoked and ready to cut over."""
    candidate_on_qa(ctx)
    app = make_app(ctx)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("right")
        await pilot.pause()
        yield app, pilot


def holding(guards: threading.Event) -> None:
    """From now on, an action's guards are read only once the test sets ``guards``."""
    guards.clear()


def stack(app: ReluiApp) -> list[str]:
    return [type(s).__name__ for s in app.screen_stack]


def blue_is_live(ctx: Context) -> bool:
    return ctx.env_ports("qa").cluster.observed_active_color().value == "blue"


async def test_keys_typed_before_the_confirm_opens_do_not_act_on_the_dashboard(
    ctx: Context, slow_guards: threading.Event
) -> None:
    async with qa_with_a_candidate(ctx) as (app, pilot):
        holding(slow_guards)
        # c, then at once: r (a rollback chooser), l (the lock's question), tab and enter (as if confirming).
        await pilot.press("c", "r", "l", "tab", "enter")
        await pilot.pause()
        assert isinstance(app.screen, CheckingScreen)
        slow_guards.set()
        await settle(pilot)
        assert stack(app) == ["ReleaseDashboard", "ConfirmScreen"]
        assert not any(isinstance(s, ChoiceScreen) for s in app.screen_stack)
        # Nothing was confirmed by the keys typed ahead: traffic is where it was.
        assert blue_is_live(ctx)


async def test_a_slow_check_says_so_and_escape_cancels_it_before_anything_is_asked(
    ctx: Context, slow_guards: threading.Event
) -> None:
    async with qa_with_a_candidate(ctx, (80, 24)) as (app, pilot):
        holding(slow_guards)
        await pilot.press("c")
        await pilot.pause(SHOW_AFTER_SECONDS)
        checking = app.screen
        assert isinstance(checking, CheckingScreen)
        for _ in range(60):  # its timer, on a loaded machine a little late
            if checking.has_class("-shown"):
                break
            await pilot.pause(0.05)
        assert checking.has_class("-shown")
        line = str(checking.query_one("#checking-line", Static).content)
        assert line == "Cutover QA: reading the guards; nothing has changed yet. Esc cancels."
        # Beneath it, the status line does not offer keys the modal takes.
        board = app.screen_stack[0]
        assert isinstance(board, ReleaseDashboard)
        assert board.status_text() == "cutover on QA: reading the guards; nothing has changed yet"
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, CheckingScreen)
        slow_guards.set()  # the guards come in after the Esc: nothing is asked
        await settle(pilot)
        assert not isinstance(app.screen, (CheckingScreen, ConfirmScreen))
    assert blue_is_live(ctx)
    outcome = [e for e in Journal(ctx.state_dir, ctx.clock).entries("qa") if e.kind == "outcome"][-1]
    assert (outcome.action, outcome.status) == ("cutover", "cancelled")


@pytest.mark.parametrize(("key", "opened"), [("question_mark", None), ("ctrl+p", "CommandPalette")])
async def test_a_key_to_another_screen_while_checking_leaves_no_checking_modal_behind(
    ctx: Context, slow_guards: threading.Event, key: str, opened: str | None
) -> None:
    async with qa_with_a_candidate(ctx) as (app, pilot):
        holding(slow_guards)
        await pilot.press("c", key)  # ? is dropped like any key; the palette is a priority key and opens over it
        await pilot.pause()
        slow_guards.set()
        await settle(pilot)
        assert stack(app)[-2:] == [opened or "ReleaseDashboard", "ConfirmScreen"]
        await pilot.press("escape")  # cancel the cutover
        await settle(pilot)
        if opened:
            await pilot.press("escape")  # close the palette
            await settle(pilot)
        # Dismissing from under the palette popped the palette and left the checking modal eating every key.
        assert stack(app) == ["ReleaseDashboard"]
    assert blue_is_live(ctx)


async def test_quitting_while_the_guards_are_read_is_quitting_nothing_is_interrupted(
    ctx: Context, slow_guards: threading.Event
) -> None:
    async with qa_with_a_candidate(ctx) as (app, pilot):
        holding(slow_guards)
        await pilot.press("c")
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
