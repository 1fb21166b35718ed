"""A breached bake is a red line on its environment's column, with the key that rolls back."""

from __future__ import annotations

from relui.clock import ManualClock
from relui.screens.release_dashboard import ReleaseDashboard
from relui.services.context import Context
from relui.services.release import ReleaseService
from tests.tui.conftest import make_app, settle


async def test_breached_bake_shows_on_the_column(ctx: Context, clock: ManualClock) -> None:
    service = ReleaseService(ctx)
    assert service.deploy("qa", "1.6.0").ok and service.cutover("qa").ok
    clock.advance(240)  # 1.6.0's error spike has been over the threshold for several samples
    app = make_app(ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        board = next(s for s in app.screen_stack if isinstance(s, ReleaseDashboard))
        problems = str(board.column("qa").query_one("#problems").render())
        assert "BAKE BREACH" in problems and "r rolls back" in problems
        assert "BAKE BREACH" not in str(board.column("prod").query_one("#problems").render())
        board._check_bakes()  # what the bake interval runs
        await settle(pilot)
        assert "qa" in board.breaches
        assert any("bake" in (n.title or "") for n in app._notifications)
