"""The TUI on a drill's world: the normal relui app that also watches the drill's goal.

Every second a thread worker judges the goal from the drill's journal and
world; once it is reached (or failed for good) the score screen opens. The
caller scores the drill again when the app exits, so quitting early still
gives an honest score.
"""

from __future__ import annotations

from textual import on, work
from textual.message import Message
from textual.worker import Worker, WorkerState

from relui.app import ReluiApp
from relui.screens.drill_score import DrillScoreScreen
from relui.services.drill_score import DrillScore, check_goal, score
from relui.services.drills import DrillRun
from relui.stop_signals import SignalStop

GOAL_CHECK_SECONDS = 1.0


class DrillApp(ReluiApp):
    """ReluiApp on a drill's Context, with the goal watched and the score shown when it is over."""

    class DrillOver(Message):
        """The drill's goal was reached or failed for good; the score so far."""

        def __init__(self, result: DrillScore) -> None:
            super().__init__()
            self.result = result

    def __init__(self, drill: DrillRun, check_seconds: float = GOAL_CHECK_SECONDS) -> None:
        super().__init__(drill.ctx)
        self.drill = drill
        self.check_seconds = check_seconds
        self.result: DrillScore | None = None

    def on_mount(self) -> None:
        """Start watching the goal; ReluiApp's own on_mount (the dashboard) runs too, along the MRO."""
        self.sub_title = f"DRILL {self.drill.scenario.name}"
        self.notify(self.drill.briefing, title=f"Drill: {self.drill.scenario.name}", timeout=30)
        self.set_interval(self.check_seconds, self._watch_goal)

    def _watch_goal(self) -> None:
        if self.result is None:
            self._check_goal()

    @work(thread=True, exclusive=True, exit_on_error=False, group="drill-goal")
    def _check_goal(self) -> None:
        if check_goal(self.drill).over:
            self.post_message(self.DrillOver(score(self.drill, final=False)))

    def on_drill_app_drill_over(self, message: DrillOver) -> None:
        """Show the score once."""
        if self.result is None:
            self.result = message.result
            self.push_screen(DrillScoreScreen(message.result))

    @on(Worker.StateChanged)
    def _goal_check_failed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "drill-goal" and event.state is WorkerState.ERROR:
            self.notify(f"drill goal unavailable: {event.worker.error}", severity="warning")


def run_drill_tui(drill: DrillRun) -> DrillScore:
    """Play the drill in the TUI until the operator quits; the final score.

    SIGTERM or SIGHUP ends it as it ends the TUI (relui/stop_signals.py), so the score is still given.
    """
    app = DrillApp(drill)
    with SignalStop(app):
        app.run()
    return score(drill, final=True)
