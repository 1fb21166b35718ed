"""Each environment's first reading starts with the dashboard, before its widgets are built, and is read once."""

from __future__ import annotations

from collections import Counter

import pytest

from relui.screens.reading import EnvReader
from relui.services.context import Context
from relui.widgets.env_column import EnvColumn
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
