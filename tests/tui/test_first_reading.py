"""Each environment's first reading starts with the dashboard, before its widgets are built, and is read once."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from textual.screen import Screen
from textual.widgets import Static

from relui.screens.dashboard import DashboardScreen
from relui.screens.reading import EnvReader
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


async def test_the_first_frame_already_says_what_the_first_readings_mean(
    ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Readings that are in before the first paint are in it: the status line and the keys, not a tick later.

    The columns' messages reach the screen after its first paint; taken from them, the
    first frame said nothing about greyed actions, and a second one followed.
    """

    def read_already(self: DashboardScreen) -> dict[str, asyncio.Future[ColumnData]]:
        loop = asyncio.get_running_loop()
        readings = {}
        for env, reader in self.readers.items():
            readings[env] = loop.create_future()
            readings[env].set_result(reader(True))
        return readings

    monkeypatch.setattr(DashboardScreen, "_start_first_readings", read_already)
    app = make_app(ctx)
    first: list[tuple[str, tuple[KeyHint, ...]]] = []
    display = app._display

    def shown(screen: Screen[object], renderable: object) -> None:
        if renderable is not None and not first and isinstance(screen, DashboardScreen):
            first.append((str(screen.query_one("#status-line", Static).content), screen.query_one(KeyHints).keys))
        display(screen, renderable)  # type: ignore[arg-type]

    app._display = shown  # type: ignore[method-assign]
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)  # type: ignore[arg-type]
        board = app.screen
        assert isinstance(board, DashboardScreen)
        final = (str(board.query_one("#status-line", Static).content), board.query_one(KeyHints).keys)
    assert final[0].startswith("DEV: ") and final[1]
    assert first == [final]
