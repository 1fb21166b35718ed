"""A drill completed by keyboard in the TUI: error-spike, from deploy to the score screen."""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Button, Static

from relui.backends import build_ports
from relui.clock import ManualClock
from relui.domain import Color
from relui.drill_app import DrillApp
from relui.screens.choice import ChoiceScreen
from relui.screens.confirm import ConfirmScreen
from relui.screens.drill_score import DrillScoreScreen
from relui.screens.release_dashboard import ReleaseDashboard
from relui.services.context import Context
from relui.services.drill_goals import CANDIDATE, LIVE
from relui.services.drill_score import score
from relui.services.drills import start
from tests.tui.conftest import settle


def dashboard(app: DrillApp) -> ReleaseDashboard:
    """The action dashboard under whatever modal is open."""
    return next(s for s in app.screen_stack if isinstance(s, ReleaseDashboard))


async def confirm(pilot: Pilot[object], app: DrillApp) -> None:
    """The confirm modal opens with Cancel focused; Tab to Confirm and press it."""
    await settle(pilot)
    screen = app.screen
    assert isinstance(screen, ConfirmScreen), type(screen)
    assert app.focused is screen.query_one("#cancel", Button)
    await pilot.press("tab", "enter")
    await settle(pilot)


async def test_error_spike_drill_by_keyboard_ends_on_the_score_screen(
    ctx: Context, clock: ManualClock, tmp_path: Path
) -> None:
    drill = start(ctx, "error-spike", build_ports, tmp_path / "drill")
    app = DrillApp(drill, check_seconds=0.1)
    app.animation_level = "none"
    ports = drill.ctx.env_ports("prod")
    async with app.run_test(size=(140, 44)) as pilot:
        await settle(pilot)
        dashboard(app).column("prod").focus()
        await settle(pilot)

        await pilot.press("d")
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, ChoiceScreen)
        assert [key for key, _ in picker.options][:2] == ["2.4.1", CANDIDATE]
        await pilot.press("down", "enter")
        await confirm(pilot, app)  # deploy: rollout and smoke on green
        assert ports.releases.values().green_tag == CANDIDATE

        await pilot.press("c")
        await confirm(pilot, app)
        assert ports.cluster.observed_active_color() is Color.GREEN
        assert not isinstance(app.screen, DrillScoreScreen)

        clock.advance(40)  # the error spike crosses the threshold
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, ChoiceScreen)
        await pilot.press("enter")  # instant: back to the warm color
        await confirm(pilot, app)
        assert ports.cluster.observed_active_color() is Color.BLUE

        for _ in range(100):
            if isinstance(app.screen, DrillScoreScreen):
                break
            await pilot.pause(0.05)
        screen = app.screen
        assert isinstance(screen, DrillScoreScreen), type(screen)
        assert app.result is not None and app.result.passed
        title = str(screen.query_one("#drill-score-title", Static).render())
        assert "drill error-spike on PROD by alice: PASSED" in title
        assert "rolled back" in str(screen.query_one("#drill-score-lines", Static).render())

        await pilot.press("q")
        await pilot.pause()
    assert app.return_value == 0
    final = score(drill)
    assert final.passed and final.points >= 90
    assert ports.releases.values().tag(Color.BLUE) == LIVE
