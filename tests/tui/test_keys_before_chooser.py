"""Keys typed while a deploy's versions, a rollback's history or the lock are read act on nothing, as before a confirm.

``d`` then Enter, typed together on QA: the Enter opened QA's detail screen,
and the version chooser came up over it. ``l`` then Enter did the same with
the lock's question. A key answers only a question on screen.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from textual import events
from textual.widgets import Static

from relui.ports import PortError
from relui.screens import release_flows
from relui.screens.checking import SHOW_AFTER_SECONDS, CheckingScreen
from relui.screens.choice import ChoiceScreen
from relui.screens.environment import EnvironmentScreen
from relui.screens.release_dashboard import ReleaseDashboard
from relui.services.context import Context
from tests.tui.conftest import make_app, settle
from tests.tui.test_keys_before_confirm import HOLD_LIMIT_SECONDS, holding, stack

# What each flow's key reads before its chooser, by the name release_flows calls it.
READS = {"d": "version_pick", "r": "release_state", "l": "lock_now"}
KEYS = list(READS)


@pytest.fixture
def slow_reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """Once the test clears the event, the versions, the history and the lock are held until it sets it."""
    answered = threading.Event()
    answered.set()

    for name in READS.values():
        real = getattr(release_flows, name)

        def slow(*args: Any, _real: Any = real, **kwargs: Any) -> Any:
            answered.wait(HOLD_LIMIT_SECONDS)
            return _real(*args, **kwargs)

        monkeypatch.setattr(release_flows, name, slow)
    yield answered
    answered.set()


def board_of(app: Any) -> ReleaseDashboard:
    board = app.screen_stack[0]
    assert isinstance(board, ReleaseDashboard)
    return board


@pytest.mark.parametrize("key", KEYS)
async def test_enter_typed_right_behind_the_key_does_not_open_the_detail_screen(
    ctx: Context, slow_reads: threading.Event, key: str
) -> None:
    app = make_app(ctx)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("right")  # QA
        await pilot.pause()
        holding(slow_reads)
        await pilot.press(key, "enter")
        await pilot.pause()
        assert isinstance(app.screen, CheckingScreen)
        slow_reads.set()
        await settle(pilot)
        # The chooser stands on the dashboard itself: the Enter was dropped, not taken by QA's column.
        assert stack(app) == ["ReleaseDashboard", "ChoiceScreen"]
        assert not any(isinstance(s, EnvironmentScreen) for s in app.screen_stack)
        assert not board_of(app).checking


def burst(app: Any, *keys: tuple[str, str]) -> None:
    """Queue every key at once, as one read of the terminal delivers ``d Enter`` sent together by tmux."""
    driver = app._driver
    assert driver is not None
    for name, char in keys:
        event = events.Key(name, char)
        event.set_sender(app)
        driver.send_message(event)


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("attempt", range(3))  # a race: it was lost about one time in three
async def test_key_and_enter_in_one_read_of_the_terminal(ctx: Context, key: str, attempt: int) -> None:
    """The read not held at all: the chooser came up before the Enter had gone by, and the Enter picked in it."""
    app = make_app(ctx)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("right")
        await pilot.pause()
        burst(app, (key, key), ("enter", "\r"))
        await settle(pilot)
        assert stack(app) == ["ReleaseDashboard", "ChoiceScreen"]


@pytest.mark.parametrize(
    ("key", "line", "what"),
    [
        ("d", "Deploy to QA", "the versions"),
        ("r", "Roll back QA", "the release history"),
        ("l", "Lock/unlock QA", "the lock"),
    ],
)
async def test_a_slow_read_says_so_and_escape_cancels_the_chooser(
    ctx: Context, slow_reads: threading.Event, key: str, line: str, what: str
) -> None:
    app = make_app(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("right")
        await pilot.pause()
        holding(slow_reads)
        await pilot.press(key)
        await pilot.pause(SHOW_AFTER_SECONDS)
        checking = app.screen
        assert isinstance(checking, CheckingScreen)
        for _ in range(60):
            if checking.has_class("-shown"):
                break
            await pilot.pause(0.05)
        assert str(checking.query_one("#checking-line", Static).content) == (
            f"{line}: reading {what}; nothing has changed yet. Esc cancels."
        )
        # The status line under it does not offer keys the modal takes.
        assert board_of(app).status_text() == f"{line}: reading {what}; nothing has changed yet"
        await pilot.press("escape")
        await pilot.pause()
        assert stack(app) == ["ReleaseDashboard"]
        slow_reads.set()  # the read comes in after the Esc: nothing is asked
        await settle(pilot)
        assert stack(app) == ["ReleaseDashboard"]
        assert not board_of(app).checking
        assert board_of(app).status_text().startswith("QA: ")


@pytest.mark.parametrize("key", KEYS)
async def test_a_read_that_fails_takes_its_checking_modal_with_it(
    ctx: Context, monkeypatch: pytest.MonkeyPatch, key: str
) -> None:
    def fails(*args: Any, **kwargs: Any) -> Any:
        raise PortError("registry unreachable")

    monkeypatch.setattr(release_flows, READS[key], fails)
    app = make_app(ctx)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("right")
        await pilot.pause()
        await pilot.press(key)
        await settle(pilot)
        assert stack(app) == ["ReleaseDashboard"]
        assert not board_of(app).checking
        assert any("registry unreachable" in n.message for n in app._notifications)
        await pilot.press("enter")  # the dashboard has its keys back
        await settle(pilot)
        assert stack(app) == ["ReleaseDashboard", "EnvironmentScreen"]


async def test_the_chooser_still_deploys(ctx: Context) -> None:
    """The held keys end at the chooser: what is picked there goes on to the confirm."""
    app = make_app(ctx)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("right")
        await pilot.pause()
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, ChoiceScreen)
        await pilot.press("enter")
        await settle(pilot)
        assert stack(app) == ["ReleaseDashboard", "ConfirmScreen"]
        await pilot.press("escape")
        await settle(pilot)
        assert stack(app) == ["ReleaseDashboard"]


@pytest.fixture
def slow_attester(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """Once the test clears the event, the readiness screen's who-may-attest check is held until it sets it."""
    from relui.screens import readiness

    answered = threading.Event()
    answered.set()
    real = readiness.who_may_not_record

    def slow(*args: Any, **kwargs: Any) -> Any:
        answered.wait(HOLD_LIMIT_SECONDS)
        return real(*args, **kwargs)

    monkeypatch.setattr(readiness, "who_may_not_record", slow)
    yield answered
    answered.set()


async def open_readiness(app: Any, pilot: Any) -> None:
    from relui.screens.readiness import ReadinessScreen

    app.push_screen(ReadinessScreen(app.ctx, "prod"))
    await settle(pilot)
    assert isinstance(app.screen, ReadinessScreen)


async def test_enter_typed_behind_the_record_key_does_not_pick_evidence_unread(
    ctx: Context, slow_attester: threading.Event
) -> None:
    """``e`` Enter on the readiness review, the check slow: the Enter is dropped, the chooser waits to be read."""
    app = make_app(ctx)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await open_readiness(app, pilot)
        holding(slow_attester)
        await pilot.press("e", "enter")
        await pilot.pause()
        assert isinstance(app.screen, CheckingScreen)
        slow_attester.set()
        await settle(pilot)
        # The chooser waits for an answer the operator gives having read it; no link is asked yet.
        assert stack(app) == ["ReleaseDashboard", "ReadinessScreen", "ChoiceScreen"]
        await pilot.press("enter")
        await settle(pilot)
        assert stack(app) == ["ReleaseDashboard", "ReadinessScreen", "NoteScreen"]


async def test_escape_while_the_attester_is_checked_asks_nothing(ctx: Context, slow_attester: threading.Event) -> None:
    """The operator changes their mind during a slow check: Esc closed the whole review, not the record."""
    app = make_app(ctx)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await open_readiness(app, pilot)
        holding(slow_attester)
        await pilot.press("e")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        slow_attester.set()  # the answer comes in after the Esc: nothing is asked, the review stays
        await settle(pilot)
        assert stack(app) == ["ReleaseDashboard", "ReadinessScreen"]


async def test_a_slow_attester_check_says_what_it_reads(ctx: Context, slow_attester: threading.Event) -> None:
    app = make_app(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await open_readiness(app, pilot)
        holding(slow_attester)
        await pilot.press("e")
        await pilot.pause(SHOW_AFTER_SECONDS)
        checking = app.screen
        assert isinstance(checking, CheckingScreen)
        for _ in range(60):
            if checking.has_class("-shown"):
                break
            await pilot.pause(0.05)
        assert str(checking.query_one("#checking-line", Static).content) == (
            "Record readiness evidence on PROD: reading who may attest; nothing has changed yet. Esc cancels."
        )
        slow_attester.set()
        await settle(pilot)
        assert stack(app) == ["ReleaseDashboard", "ReadinessScreen", "ChoiceScreen"]
