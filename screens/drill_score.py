"""The end of a drill: whether the goal was reached, reaction times, guards, journal."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from relui.screens import SCREENS_CSS
from relui.services.drill_score import DrillScore


class DrillScoreScreen(ModalScreen[None]):
    """The drill's score over the dashboard; ``q`` ends the drill, ``esc`` goes back to look around."""

    CSS_PATH = SCREENS_CSS

    DEFAULT_CSS = """
    DrillScoreScreen { align: center middle; }
    DrillScoreScreen #drill-score { width: 90; max-width: 100%; height: auto; border: heavy $accent; padding: 1 2; }
    DrillScoreScreen #drill-score-title { text-style: bold; }
    DrillScoreScreen #drill-score-hint { color: $text-muted; margin-top: 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "app.quit", "Finish drill", id="finish-drill", tooltip="End the drill; the score is recorded"),
        Binding("escape", "dismiss", "Back", id="back", tooltip="Back to the drill's dashboard"),
    ]

    def __init__(self, score: DrillScore) -> None:
        super().__init__()
        self.score = score

    def compose(self) -> ComposeResult:
        """Title line, then one line per part of the score."""
        first, *rest = self.score.lines()
        with Vertical(id="drill-score"):
            yield Label(first, id="drill-score-title", markup=False)
            yield Static("\n".join(rest), id="drill-score-lines", markup=False)
            yield Label(
                "q: finish the drill (the score is recorded)   esc: back to the dashboard", id="drill-score-hint"
            )
