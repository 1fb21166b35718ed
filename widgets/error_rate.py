"""An error rate as the dashboard words and draws it: the verdict, the bars as text, a column's reading.

Nothing here is a widget: the environment columns (widgets/env_column.py)
draw these lines themselves, so the dashboard's first frame loads no
sparkline widget. The widgets that show the same on the detail screen are
widgets/error_sparkline.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.style import Style
from rich.text import Text

from relui.domain import Series

BLOCKS = "▁▂▃▄▅▆▇█"


def resample(values: Sequence[float], width: int) -> list[float]:
    """At most ``width`` values: each the worst (max) of the samples it stands for."""
    if len(values) <= width:
        return list(values)
    step = len(values) / width
    return [max(values[int(i * step) : max(int((i + 1) * step), int(i * step) + 1)]) for i in range(width)]


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


def verdict(current: float | None, threshold: float) -> str:
    """The error rate judged against the threshold, in words: ``ERR 0.41% < 5%``, ``ERR 9.10% > 5%``, ``ERR -``."""
    if current is None:
        return "ERR -"
    return f"ERR {percent(current)} {'>' if current > threshold else '<'} {threshold * 100:g}%"


def unavailable(problem: str) -> str:
    """``metrics unavailable: x`` reads as ``unavailable: x`` where the source is obvious."""
    _, sep, rest = problem.partition("unavailable: ")
    return f"unavailable: {rest}" if sep else f"unavailable: {problem}"


@dataclass(frozen=True)
class ErrorReading:
    """An environment column's error rate for one color: the bars and ``ERR 0.41% < 5%``, as data.

    ``over`` and ``unavailable`` mean what ``-over`` and ``-unavailable``
    mean on widgets/error_sparkline.py's ErrorSparkline; the column (widgets/env_column.py) draws it.
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
            return cls(threshold, label=unavailable(problem), unavailable=True)
        values = tuple(series.values) if series and len(series.points) >= 2 else ()
        over = current is not None and current > threshold
        return cls(threshold, values, verdict(current, threshold), over)

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
