"""The status line of a rollout says how long it has waited and may wait, not only a bar at 0%."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Label

from relui.widgets.action_log import ActionLog


class LogApp(App[None]):
    def compose(self) -> ComposeResult:
        yield ActionLog()


async def test_a_stuck_rollout_shows_its_wait_and_limit() -> None:
    app = LogApp()
    async with app.run_test(size=(80, 10)) as pilot:
        log = app.query_one(ActionLog)
        log.progress("deploy QA", 0, 3, 35.0, 90.0)
        await pilot.pause()
        title = app.query_one("#action-title", Label)
        assert str(title.render()) == "deploy QA: 0/3 pods ready, 35 s of 90 s"
        log.progress("deploy QA", 3, 3, 41.0, 90.0)
        await pilot.pause()
        assert str(title.render()) == "deploy QA: 3/3 pods ready, 41 s of 90 s"
