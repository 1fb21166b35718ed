"""The TUI gives the collector back once every column shows its first reading."""

from __future__ import annotations

import gc

from relui import startup_heap
from relui.services.context import Context
from tests.tui.conftest import make_app, settle


async def test_the_first_full_frame_turns_the_collector_back_on(ctx: Context) -> None:
    startup_heap.hold()
    try:
        app = make_app(ctx)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)  # type: ignore[arg-type]
            assert app.screen.readings.keys() == {"dev", "qa", "prod"}  # type: ignore[attr-defined]
            assert not gc.isenabled(), "not while the first frame's repaints are still going out"
            await pilot.pause(startup_heap.SETTLE_AFTER_SECONDS + 0.3)
            assert gc.isenabled()
            assert not startup_heap.held()
    finally:
        startup_heap.release()
        gc.enable()
