"""No typed character is lost: not while column refreshes land, not right as a line or a modal opens (issue 13).

Issue 13: "once a typed reason lost its first characters". Each test types
straight after opening, with no settle in between, and forces a deep refresh
of every column before each key so readings land mid-typing.
"""

from __future__ import annotations

import pytest
from textual import events
from textual.pilot import Pilot
from textual.widgets import Button, Input

from relui.app import ReluiApp
from relui.domain import Color, SmokeResult
from relui.screens.confirm import ConfirmScreen
from relui.screens.dashboard import DashboardScreen
from relui.services.checklist import Checklists
from relui.services.context import Context
from relui.services.release import ReleaseService
from relui.widgets.command_line import CommandLine
from relui.widgets.env_column import EnvColumn
from tests.tui.conftest import make_app, settle

TEXT = "journal prod"
REASON = "rehearsal: smoke 503 is the known healthz flake, INC-77"


def columns(app: ReluiApp) -> list[EnvColumn]:
    """The dashboard's columns, whatever modal is on top."""
    return [c for screen in app.screen_stack for c in screen.query(EnvColumn)]


async def type_while_refreshing(pilot: Pilot[object], app: ReluiApp, text: str) -> int:
    """Press ``text`` one key at a time, forcing a deep refresh of every column before each; readings that landed."""
    landed = 0
    for char in text:
        before = [c.data for c in columns(app)]
        for column in columns(app):
            column.poll(deep=True)
        await pilot.press(char)
        landed += sum(c.data is not b for c, b in zip(columns(app), before, strict=True))
    return landed


def burst(app: ReluiApp, keys: str) -> None:
    """Queue every key at once, as one read of a terminal delivers what was typed while the loop was busy."""
    driver = app._driver
    assert driver is not None
    for char in keys:
        event = events.Key({":": "colon", "/": "slash", " ": "space"}.get(char, char), char)
        event.set_sender(app)
        driver.send_message(event)


async def test_command_line_keeps_every_key_while_refreshes_land(ctx: Context) -> None:
    app = make_app(ctx)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("colon")
        landed = await type_while_refreshing(pilot, app, TEXT)
        await settle(pilot)
        line = app.screen.query_one(CommandLine)
        assert line.value == TEXT
        assert landed > 0, "no refresh landed while typing: the test proved nothing"


async def test_colon_and_text_in_one_press(ctx: Context) -> None:
    app = make_app(ctx)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        for column in columns(app):
            column.poll(deep=True)
        await pilot.press("colon", *TEXT)
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
        assert app.screen.query_one(CommandLine).value == TEXT


async def test_colon_and_text_in_one_burst(ctx: Context) -> None:
    app = make_app(ctx)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        for column in columns(app):
            column.poll(deep=True)
        burst(app, ":" + TEXT)
        await settle(pilot)
        # "j" reaching the dashboard opens the journal: the typed text both vanished and acted.
        assert isinstance(app.screen, DashboardScreen), f"a typed key acted on the dashboard: {app.screen}"
        assert app.screen.query_one(CommandLine).value == TEXT


async def open_forced_cutover(pilot: Pilot[object], app: ReluiApp) -> ConfirmScreen:
    """Press c on QA and return the confirm modal as soon as it is on screen, before anything settles."""
    board = app.screen
    assert isinstance(board, DashboardScreen)
    board.column("qa").focus()
    await settle(pilot)
    await pilot.press("c")
    for _ in range(300):
        if isinstance(app.screen, ConfirmScreen):
            return app.screen
        await pilot.pause(0.01)
    raise AssertionError("the confirm modal did not open")


@pytest.fixture
def failed_smoke(ctx: Context) -> Context:
    """QA's candidate 1.5.1 is up but its smoke failed: a cutover needs Force and a typed reason."""
    assert ReleaseService(ctx).deploy("qa", "1.5.1").ok
    Checklists(ctx).record_smoke("qa", "1.5.1", Color.GREEN, [SmokeResult("health", False, "503 from /healthz")])
    return ctx


async def test_confirm_reason_typed_straight_away_while_refreshes_land(failed_smoke: Context) -> None:
    app = make_app(failed_smoke)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = await open_forced_cutover(pilot, app)
        # Cancel has focus; shift+tab reaches the reason, typed at once with no pause.
        await pilot.press("shift+tab")
        landed = await type_while_refreshing(pilot, app, REASON)
        await settle(pilot)
        assert app.screen is screen
        assert screen.query_one("#reason", Input).value == REASON
        assert not screen.query_one("#confirm", Button).disabled
        assert landed > 0, "no refresh landed while typing: the test proved nothing"
        await pilot.press("escape")
        await settle(pilot)
        assert failed_smoke.env_ports("qa").releases.values().active_color is Color.BLUE


async def test_confirm_reason_typed_in_the_same_press_as_the_modal_opens(failed_smoke: Context) -> None:
    app = make_app(failed_smoke)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = await open_forced_cutover(pilot, app)
        for column in columns(app):
            column.poll(deep=True)
        # The moment the modal shows: focus to the reason and the whole reason, in one press.
        await pilot.press("shift+tab", *REASON)
        await settle(pilot)
        assert screen.query_one("#reason", Input).value == REASON
        await pilot.press("escape")
        await settle(pilot)


async def test_confirm_reason_typed_in_one_burst_with_the_focus_key(failed_smoke: Context) -> None:
    app = make_app(failed_smoke)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = await open_forced_cutover(pilot, app)
        for column in columns(app):
            column.poll(deep=True)
        # What a terminal delivers when shift+tab and the reason were typed while the loop was busy.
        focus_key = events.Key("shift+tab", None)
        focus_key.set_sender(app)
        assert app._driver is not None
        app._driver.send_message(focus_key)
        burst(app, REASON)
        await settle(pilot)
        assert screen.query_one("#reason", Input).value == REASON


async def test_a_colon_or_slash_typed_into_an_open_line_is_text(ctx: Context) -> None:
    """``:`` and ``/`` are priority bindings: while a line has focus they step aside and are typed."""
    app = make_app(ctx)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await pilot.pause()
        burst(app, "a:b/c")
        await settle(pilot)
        focused = app.focused
        assert isinstance(focused, Input) and focused.value == "a:b/c"
        assert not isinstance(focused, CommandLine), "the : typed into the filter did not open the command line"
