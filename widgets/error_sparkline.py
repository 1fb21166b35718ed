"""A series as a sparkline with its current value; the error rate judged against its threshold."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label, Sparkline

from relui.domain import Series


def percent(rate: float) -> str:
    """An error rate as operators read it: 0.42%."""
    return f"{rate * 100:.2f}%"


class MetricSparkline(Horizontal):
    """One figure over time: the bars, then a label with the latest value.

    When the source failed the bars go away and the label says
    ``unavailable: <reason>`` in their place.
    """

    DEFAULT_CSS = """
    MetricSparkline {
        height: auto;
        width: 1fr;
    }
    MetricSparkline > Sparkline {
        width: 1fr;
        min-width: 4;
    }
    MetricSparkline > Label {
        width: auto;
        padding-left: 1;
    }
    MetricSparkline.-unavailable > Sparkline, MetricSparkline.-empty > Sparkline {
        visibility: hidden;
    }
    MetricSparkline.-unavailable > Sparkline {
        display: none;
    }
    MetricSparkline.-unavailable > Label {
        width: 1fr;
        padding-left: 0;
    }
    """

    def __init__(self, name: str, fmt: Callable[[float], str], *, id: str | None = None, classes: str = "") -> None:
        super().__init__(id=id, classes=classes)
        self.figure = name
        self.fmt = fmt

    def compose(self) -> ComposeResult:
        """The bars and the value label."""
        yield Sparkline([])
        yield Label(f"{self.figure} -", markup=False)

    def show(self, series: Series | None, current: float | None, problem: str | None = None) -> None:
        """Draw a new reading; ``problem`` replaces the bars with its text."""
        label = self.query_one(Label)
        self.set_class(problem is not None, "-unavailable")
        if problem is not None:
            label.update(_unavailable(problem))
            return
        values = series.values if series and len(series.points) >= 2 else []
        # An empty (or one-sample) Sparkline draws a flat floor or a full wall; hide it instead.
        self.set_class(not values, "-empty")
        self.query_one(Sparkline).data = values
        label.update(self.describe(current))

    def describe(self, current: float | None) -> str:
        """The label text for the latest value."""
        return f"{self.figure} {self.fmt(current) if current is not None else '-'}"


class ErrorSparkline(MetricSparkline):
    """The error rate of one color over 30 minutes, judged against the threshold.

    The verdict is written out ("ERR 9.10% > 5%") so it does not depend on
    color; the class ``-over`` additionally turns the bars red.
    """

    def __init__(self, threshold: float, *, id: str | None = None, classes: str = "") -> None:
        super().__init__("ERR", percent, id=id, classes=classes)
        self.threshold = threshold

    def show(self, series: Series | None, current: float | None, problem: str | None = None) -> None:
        """Draw the reading and mark it when over the threshold."""
        super().show(series, current, problem)
        self.set_class(problem is None and current is not None and current > self.threshold, "-over")

    def describe(self, current: float | None) -> str:
        """``ERR 0.41% < 5%``, ``ERR 9.10% > 5%`` or ``ERR -`` when the color serves nothing."""
        limit = f"{self.threshold * 100:g}%"
        if current is None:
            return "ERR -"
        return f"ERR {percent(current)} {'>' if current > self.threshold else '<'} {limit}"


def _unavailable(problem: str) -> str:
    """``metrics unavailable: x`` reads as ``unavailable: x`` where the source is obvious."""
    _, sep, rest = problem.partition("unavailable: ")
    return f"unavailable: {rest}" if sep else f"unavailable: {problem}"
