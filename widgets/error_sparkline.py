"""A series as a sparkline with its current value; the error rate judged against its threshold."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult, RenderResult
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Label

from relui.domain import Series
from relui.widgets.glyphs import glyphs_for
from relui.widgets.quiet import update_if_changed

BLOCKS = "▁▂▃▄▅▆▇█"


def resample(values: Sequence[float], width: int) -> list[float]:
    """At most ``width`` values: each the worst (max) of the samples it stands for."""
    if len(values) <= width:
        return list(values)
    step = len(values) / width
    return [max(values[int(i * step) : max(int((i + 1) * step), int(i * step) + 1)]) for i in range(width)]


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


def bar_rows(
    data: Sequence[float],
    width: int,
    height: int,
    ceiling: float | None,
    alert: float | None,
    styles: tuple[Style, Style],
    blocks: str = BLOCKS,
) -> list[Text]:
    """``height`` rows of bars, ``width`` cells each; samples over ``alert`` in the second style.

    ``blocks`` are the eight levels, lowest first (the ASCII set under ``[ui] ascii``).
    """
    if width <= 0:
        return []
    values = resample(data, width)
    if not values:
        return []
    top = max(values) if ceiling is None else max(ceiling, max(values))
    bottom = min(values) if ceiling is None else 0.0
    span = (top - bottom) or 1.0
    levels = height * len(blocks)
    ok, over = styles
    filled = [max(1, round((v - bottom) / span * levels)) for v in values]
    rows = []
    for row in range(height):
        # Right-aligned: the newest sample always sits at the right edge, as on a time axis.
        line = Text(" " * (width - len(values)))
        base = (height - 1 - row) * len(blocks)
        for value, level in zip(values, filled, strict=True):
            cell = level - base
            char = " " if cell <= 0 else blocks[min(cell, len(blocks)) - 1]
            line.append(char, over if alert is not None and value > alert else ok)
        rows.append(line)
    return rows


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
            update_if_changed(label, _unavailable(problem))
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
        return self.verdict(current, self.threshold)

    @staticmethod
    def verdict(current: float | None, threshold: float) -> str:
        """The error rate judged against the threshold, in words."""
        if current is None:
            return "ERR -"
        return f"ERR {percent(current)} {'>' if current > threshold else '<'} {threshold * 100:g}%"


def _unavailable(problem: str) -> str:
    """``metrics unavailable: x`` reads as ``unavailable: x`` where the source is obvious."""
    _, sep, rest = problem.partition("unavailable: ")
    return f"unavailable: {rest}" if sep else f"unavailable: {problem}"


@dataclass(frozen=True)
class ErrorReading:
    """An environment column's error rate for one color: the bars and ``ERR 0.41% < 5%``, as data.

    ``over`` and ``unavailable`` mean what ``-over`` and ``-unavailable``
    mean on ErrorSparkline; the column (widgets/env_column.py) draws it.
    """

    threshold: float
    values: tuple[float, ...] = ()
    label: str = "ERR -"
    over: bool = False
    unavailable: bool = False

    @classmethod
    def of(
        cls, threshold: float, series: Series | None, current: float | None, problem: str | None = None
    ) -> ErrorReading:
        """A reading of the rate; ``problem`` (metrics unreadable) replaces the bars with its words."""
        if problem is not None:
            return cls(threshold, label=_unavailable(problem), unavailable=True)
        values = tuple(series.values) if series and len(series.points) >= 2 else ()
        over = current is not None and current > threshold
        return cls(threshold, values, ErrorSparkline.verdict(current, threshold), over)

    def rows(self, width: int, height: int, styles: tuple[Style, Style], label_style: Style, blocks: str) -> list[Text]:
        """The bars to the left of the label on the top row, the bars alone below it; the words alone when unavailable.

        ``styles`` are the bars' (within, over the threshold), ``label_style``
        the label's when over the threshold.
        """
        label = Text(self.label, label_style if self.over else "")
        if self.unavailable:
            return [label]
        room = max(0, width - len(label) - 1)
        rows = bar_rows(self.values, room, max(1, height), self.threshold, self.threshold, styles, blocks)
        rows = [row.copy() for row in rows] or [Text(" " * room)]
        rows[0].append(" ").append_text(label)
        return rows
