"""A series as a sparkline with its current value; the error rate judged against its threshold (widgets).

The words and bars themselves are widgets/error_rate.py, which the
dashboard's columns draw without these widgets.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult, RenderResult
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Label

from relui.domain import Series
from relui.widgets.error_rate import bar_rows, percent, unavailable, verdict
from relui.widgets.glyphs import glyphs_for
from relui.widgets.quiet import update_if_changed


class Bars(Widget):
    """Block-character bars of a series, one or more rows high.

    Unlike a min-max sparkline, the scale can be anchored: with a
    ``ceiling`` the bars run from zero to max(ceiling, the highest sample),
    so an error rate of 0.4% against a 5% threshold stays a low line and
    only a real spike reaches the top. Samples above ``alert`` are drawn in
    the ``bars--over`` style.
    """

    COMPONENT_CLASSES = {"bars--ok", "bars--over"}
    DEFAULT_CSS = """
    Bars {
        height: 1;
    }
    Bars > .bars--ok {
        color: $success;
    }
    Bars > .bars--over {
        color: $error;
        text-style: bold;
    }
    """

    data: reactive[tuple[float, ...]] = reactive(tuple)

    def __init__(self, ceiling: float | None = None, alert: float | None = None) -> None:
        super().__init__()
        self.ceiling = ceiling
        self.alert = alert

    def render(self) -> RenderResult:
        """Draw the bars to the widget's size."""
        ok, over = self.get_component_rich_style("bars--ok"), self.get_component_rich_style("bars--over")
        rows = bar_rows(
            self.data,
            self.size.width,
            max(1, self.size.height),
            self.ceiling,
            self.alert,
            (ok, over),
            glyphs_for(self).blocks,
        )
        return Text("\n").join(rows) if rows else ""


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
    MetricSparkline > Bars {
        width: 1fr;
        min-width: 4;
    }
    MetricSparkline > Label {
        width: auto;
        padding-left: 1;
    }
    MetricSparkline.-unavailable > Bars, MetricSparkline.-empty > Bars {
        visibility: hidden;
    }
    MetricSparkline.-unavailable > Bars {
        display: none;
    }
    MetricSparkline.-unavailable > Label {
        width: 1fr;
        padding-left: 0;
    }
    """

    def __init__(
        self,
        name: str,
        fmt: Callable[[float], str],
        *,
        ceiling: float | None = None,
        id: str | None = None,
        classes: str = "",
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.figure = name
        self.fmt = fmt
        self.ceiling = ceiling

    def compose(self) -> ComposeResult:
        """The bars and the value label."""
        yield Bars(self.ceiling, self.ceiling)
        yield Label(f"{self.figure} -", markup=False)

    def show(self, series: Series | None, current: float | None, problem: str | None = None) -> None:
        """Draw a new reading; ``problem`` replaces the bars with its text. Unchanged parts do not repaint."""
        label = self.query_one(Label)
        self.set_class(problem is not None, "-unavailable")
        if problem is not None:
            update_if_changed(label, unavailable(problem))
            return
        values = series.values if series and len(series.points) >= 2 else []
        # An empty (or one-sample) series draws nothing worth reading; hide it instead.
        self.set_class(not values, "-empty")
        self.query_one(Bars).data = tuple(values)
        update_if_changed(label, self.describe(current))

    def describe(self, current: float | None) -> str:
        """The label text for the latest value."""
        return f"{self.figure} {self.fmt(current) if current is not None else '-'}"


class ErrorSparkline(MetricSparkline):
    """The error rate of one color over 30 minutes, judged against the threshold.

    The verdict is written out ("ERR 9.10% > 5%") so it does not depend on
    color; the bars are scaled from zero to at least the threshold, so
    normal noise stays low and samples over the threshold are drawn red.
    """

    def __init__(self, threshold: float, *, id: str | None = None, classes: str = "") -> None:
        super().__init__("ERR", percent, ceiling=threshold, id=id, classes=classes)
        self.threshold = threshold

    def show(self, series: Series | None, current: float | None, problem: str | None = None) -> None:
        """Draw the reading and mark it when over the threshold."""
        super().show(series, current, problem)
        self.set_class(problem is None and current is not None and current > self.threshold, "-over")

    def describe(self, current: float | None) -> str:
        """``ERR 0.41% < 5%``, ``ERR 9.10% > 5%`` or ``ERR -`` when the color serves nothing."""
        return verdict(current, self.threshold)
