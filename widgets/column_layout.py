"""How an environment column's lines fill its box: the pure half of widgets/env_column.py.

Both colors (summary, the pods that fit, the error rate), then checklist,
lock, last action and problems. Only the pod lists take the spare height
(issue 13): each at most its pod count, what one does not need going to the
other, as ``height: 1fr; max-height: <pods>`` siblings in a vertical layout
would share it. When even the fixed lines do not fit, the bottom is cut and
the last line says so: the column never scrolls.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from math import floor
from typing import NamedTuple

from rich.console import Console
from rich.style import Style
from rich.text import Text
from textual.content import Content

from relui.widgets.column_view import ColumnView


@dataclass(frozen=True)
class Looks:
    """The column's component styles for what is drawn as spans, and the bar glyphs."""

    bars_ok: Style
    bars_over: Style
    over: Style  # the ERR label over the threshold
    blocks: str


class Row(NamedTuple):
    """One line of a column: the section it belongs to, its content, and whether it takes the problem style."""

    section: str
    line: Content
    problem: bool = False


def share(spare: int, wants: Sequence[int]) -> list[int]:
    """Lines for each pod list out of ``spare``: as Textual sizes ``height: 1fr; max-height: want`` siblings.

    A list that wants no lines is not there at all. The ones that want less
    than an equal share get what they want; the others split the rest, the
    first rounding down and the later taking the remainder.
    """
    got = [0] * len(wants)
    open_ = [i for i, want in enumerate(wants) if want > 0]
    if spare <= 0 or not open_:
        return got
    room = Fraction(spare)
    while open_:
        unit = room / len(open_)
        capped = [i for i in open_ if wants[i] < unit]
        if not capped:
            break
        for i in capped:
            got[i] = wants[i]
            room -= wants[i]
        open_ = [i for i in open_ if i not in capped]
    if open_:
        unit = room / len(open_)
        start = Fraction(0)
        for i in open_:
            got[i] = floor(start + unit) - floor(start)
            start += unit
    return got


def lay_out(
    view: ColumnView,
    width: int,
    height: int,
    *,
    tall: bool,
    two_row_errors: bool,
    looks: Looks,
    console: Console | None = None,
) -> list[Row]:
    """The column's lines for a box of ``width`` x ``height``: no more than ``height`` lines, none wider than ``width``.

    ``tall`` puts a blank line before each color's summary; ``two_row_errors``
    draws each error rate two rows high.
    """
    if width <= 0 or height <= 0:
        return []

    def wrapped(section: str, text: Text, problem: bool = False) -> list[Row]:
        # Wrapped as a Static wraps: the same Content, the same algorithm.
        return [Row(section, line, problem) for line in Content.from_rich_text(text, console).wrap(width)]

    error_height = 2 if two_row_errors else 1
    heads: list[list[Row]] = []
    errors: list[list[Row]] = []
    for color in view.colors:
        gap = [Row("", Content())] if tall else []
        heads.append(gap + wrapped(f"pods-{color.color}", color.summary))
        texts = color.errors.rows(width, error_height, (looks.bars_ok, looks.bars_over), looks.over, looks.blocks)
        rows = [row for text in texts for row in wrapped(f"errors-{color.color}", text)]
        if not color.errors.unavailable or two_row_errors:
            # A fixed height: cut, or padded with blank rows (the words of a failure grow only on short screens).
            rows = (rows + [Row(f"errors-{color.color}", Content())] * error_height)[:error_height]
        errors.append(rows)
    tail = wrapped("checklist", view.checklist) + wrapped("lock", view.lock) + wrapped("last", view.last)
    if view.problems is not None:
        tail += wrapped("problems", view.problems, problem=True)

    fixed = sum(map(len, heads)) + sum(map(len, errors)) + len(tail)
    allotted = share(height - fixed, [len(color.pods.pods) for color in view.colors])
    lines: list[Row] = []
    for color, head, error, pod_lines in zip(view.colors, heads, errors, allotted, strict=True):
        lines += head
        section = f"pod-list-{color.color}"
        for text in color.pods.lines(pod_lines, width - 1):
            # One line a pod, cut with an ellipsis, indented one cell under the summary.
            lines.append(
                Row(section, Content(" ") + Content.from_rich_text(text, console).truncate(width - 1, ellipsis=True))
            )
        lines += error
    lines += tail
    if len(lines) <= height:
        return lines
    cut = len(lines) - height + 1
    notice = Text(f"+{cut} line{'s' if cut != 1 else ''} cut (too small)", "bold")
    return [*lines[: height - 1], Row("cut", Content.from_rich_text(notice, console).truncate(width, ellipsis=True))]
