"""Each environment's first reading starts with the dashboard, before its widgets are built, and is read once."""

from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import Future

import pytest
from textual.screen import Screen
from textual.widgets import Static

from relui.app import ReluiApp
from relui.screens.dashboard import FIRST_FRAME_WAIT_SECONDS, DashboardScreen
from relui.screens.reading import EnvReader, Readings
from relui.services.context import Context
from relui.widgets.env_column import ColumnData, EnvColumn
from relui.widgets.footer import KeyHint, KeyHints
from tests.tui.conftest import make_app, settle


async def test_every_environment_is_read_once_at_start_and_drawn(ctx: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: Counter[tuple[str, bool]] = Counter()
    real = EnvReader.__call__

    def counting(self: EnvReader, deep: bool = False) -> object:
        calls[(self.env.name, deep)] += 1
        return real(self, deep)

    monkeypatch.setattr(EnvReader, "__call__", counting)
    app = make_app(ctx)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)  # type: ignore[arg-type]
        columns = list(app.screen.query(EnvColumn))
        assert all(column.data is not None for column in columns)
        # One deep reading each: the one started with the screen; the columns did not start another.
        assert calls == Counter({("dev", True): 1, ("qa", True): 1, ("prod", True): 1})


async def test_a_first_reading_that_fails_is_read_again_and_shown_in_place(
    ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = EnvReader.__call__

    def failing_qa(self: EnvReader, deep: bool = False) -> object:
        if self.env.name == "qa":
            raise OSError("qa cluster unreachable")
        return real(self, deep)

    monkeypatch.setattr(EnvReader, "__call__", failing_qa)
    app = make_app(ctx)
    async with app.run_test(size=(120, 36)) as pilot:
        qa = app.screen.query_one("#env-qa", EnvColumn)
        for _ in range(200):  # the worker's re-read fails too; settle() would wait for a reading forever
            await pilot.pause(0.02)
            if qa.failure is not None:
                break
        await pilot.pause()
        assert qa.failure == "refresh failed: OSError: qa cluster unreachable"
        assert "qa cluster unreachable" in qa.section("problems")
        assert app.screen.query_one("#env-dev", EnvColumn).data is not None


Frame = tuple[str, tuple[KeyHint, ...], dict[str, list[str]]]


def what_is_shown(board: DashboardScreen) -> Frame:
    """The status line, the key line and every column's lines, as drawn."""
    status = str(board.query_one("#status-line", Static).content)
    return status, board.query_one(KeyHints).keys, {column.env: column.lines() for column in board.columns}


def first_frame(app: ReluiApp) -> list[Frame]:
    """Fills, at the app's first paint of the dashboard, with what that paint showed."""
    first: list[Frame] = []
    display = app._display

    def shown(screen: Screen[object], renderable: object) -> None:
        if renderable is not None and not first and isinstance(screen, DashboardScreen):
            first.append(what_is_shown(screen))
        display(screen, renderable)  # type: ignore[arg-type]

    app._display = shown  # type: ignore[method-assign]
    return first


async def test_the_first_frame_is_the_full_one(ctx: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    """Readings in before the first paint are in it: the columns, the status line and the keys, not a tick later.

    Taken from the columns' messages, which are handled after the first paint, the
    first frame said nothing about greyed actions, and a second one followed.
    """

    def read_already(ctx: Context) -> Readings:
        readers = {env.name: EnvReader(ctx, env.name) for env in ctx.config.environments}
        first: dict[str, Future[ColumnData]] = {}
        for env, reader in readers.items():
            first[env] = Future()
            first[env].set_result(reader(True))
        return Readings(readers, first)

    monkeypatch.setattr(DashboardScreen, "_start_readings", staticmethod(read_already))
    app = make_app(ctx)
    first = first_frame(app)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)  # type: ignore[arg-type]
        board = app.screen
        assert isinstance(board, DashboardScreen)
        final = what_is_shown(board)
    assert final[0].startswith("DEV: ") and final[1]
    assert any(line.startswith("blue") and "live" in line for line in final[2]["prod"])
    assert first == [final]


async def test_the_first_paint_waits_for_readings_still_under_way(
    ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Readings that take a moment (as a cluster's do) are waited for: the first frame is still the full one.

    Painted first, the frame showed every column unread, and the full one
    followed: every cell of the screen sent twice.
    """
    real = EnvReader.__call__

    def slow(self: EnvReader, deep: bool = False) -> ColumnData:
        time.sleep(0.1)
        return real(self, deep)

    monkeypatch.setattr(EnvReader, "__call__", slow)
    app = make_app(ctx)
    first = first_frame(app)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)  # type: ignore[arg-type]
        assert isinstance(app.screen, DashboardScreen)
        final = what_is_shown(app.screen)
    assert first == [final]


async def test_a_hung_source_holds_the_first_paint_only_briefly(ctx: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    """QA's reading hangs: the dashboard paints after FIRST_FRAME_WAIT_SECONDS, QA loading, and fills QA in later."""
    released = threading.Event()
    real = EnvReader.__call__

    def qa_hangs(self: EnvReader, deep: bool = False) -> ColumnData:
        if self.env.name == "qa":
            released.wait(10)
        return real(self, deep)

    monkeypatch.setattr(EnvReader, "__call__", qa_hangs)
    app = make_app(ctx)
    first = first_frame(app)
    started = time.monotonic()
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            while not first and time.monotonic() - started < 5:
                await pilot.pause(0.02)
            assert first, "the dashboard never painted while QA's reading hung"
            assert time.monotonic() - started < FIRST_FRAME_WAIT_SECONDS + 2.0
            _, _, columns = first[0]
            qa = app.screen.query_one("#env-qa", EnvColumn)
            assert qa.data is None and qa.border_subtitle == "loading"
            assert any("live" in line for line in columns["dev"]), columns["dev"]
            assert not any("live" in line for line in columns["qa"]), columns["qa"]
            released.set()
            await settle(pilot)  # type: ignore[arg-type]
            assert any("live" in line for line in qa.lines())
            assert qa.border_subtitle == ""
    finally:
        released.set()
