"""The words an environment's column shows of a reading (``ColumnView``); the reading is widgets/column_data.py.

The view is what widgets/env_column.py draws and widgets/column_layout.py
fits to a size: formatted once per reading, so drawing only places lines.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from rich.text import Text

from relui.domain import Color, EnvSnapshot
from relui.widgets.column_data import ColumnData
from relui.widgets.error_rate import ErrorReading
from relui.widgets.glyphs import Glyphs
from relui.widgets.pod_health import PodRoll, summary_of
from relui.widgets.quiet import same_content

SHORT_PHASE = {"pre-release": "pre", "release-day": "day", "post-deployment": "post"}


# eq=False: views are compared with shows_the_same_as (styles included), and by identity where a cache
# asks "is this still the view drawn?" - a field-by-field == would compare every pod at every line drawn.
@dataclass(frozen=True, eq=False)
class ColorView:
    """What a column shows of one color: the summary, its pods, its error rate."""

    color: Color
    summary: Text
    pods: PodRoll
    errors: ErrorReading

    def shows_the_same_as(self, other: ColorView) -> bool:
        """True when drawing ``other`` instead would change nothing."""
        return (
            self.color == other.color
            and same_content(self.summary, other.summary)
            and self.pods.pods == other.pods.pods
            and self.errors == other.errors
        )


@dataclass(frozen=True, eq=False)
class ColumnView:
    """Everything a column draws, in words and styles, before it is fitted to a size."""

    colors: tuple[ColorView, ...]
    checklist: Text
    lock: Text
    last: Text
    problems: Text | None = None  # None: no problem line at all

    @classmethod
    def unread(cls, threshold: float) -> ColumnView:
        """The column before its first reading."""
        colors = tuple(ColorView(c, Text(f"{c} -"), PodRoll(), ErrorReading(threshold)) for c in Color)
        return cls(colors, Text("checklist -"), Text("lock -"), Text("last -"))

    def shows_the_same_as(self, other: ColumnView | None) -> bool:
        """True when drawing ``other`` instead would change nothing on screen."""
        if other is None or len(self.colors) != len(other.colors):
            return False
        if (self.problems is None) != (other.problems is None):
            return False
        texts = [(self.checklist, other.checklist), (self.lock, other.lock), (self.last, other.last)]
        if self.problems is not None and other.problems is not None:
            texts.append((self.problems, other.problems))
        return all(same_content(a, b) for a, b in texts) and all(
            a.shows_the_same_as(b) for a, b in zip(self.colors, other.colors, strict=True)
        )


def view_of(
    data: ColumnData,
    *,
    wide: bool,
    threshold: float,
    glyphs: Glyphs,
    color_styles: Mapping[Color, str | None],
    rolls_back: str = "",
    needle: str = "",
    shown: ColumnView | None = None,
) -> ColumnView:
    """The words of one reading: ``wide`` or compact, pods filtered by ``needle``.

    ``color_styles`` are the theme's colors for the color names;
    ``rolls_back`` is what the bake-breach banner says after the breach (the
    screen's rollback key); the pods' order and census are reused from
    ``shown`` (the view drawn) where its pods are the same.
    """
    snap = data.snapshot
    rolls = {view.color: view.pods for view in shown.colors} if shown is not None else {}
    colors = []
    for color in Color:
        state = snap.colors.get(color)
        rolled_back = state is not None and state.version in data.rolled_back_from
        text = summary_of(
            color,
            state,
            data.role(color),
            snap.cluster_problem,
            wide=wide,
            warm=data.warm_color == color,
            rolled_back=rolled_back,
            glyphs=glyphs,
            color_style=color_styles.get(color),
        )
        pods = state.pods if state is not None and state.enabled and not snap.cluster_problem else ()
        errors = ErrorReading.of(
            threshold, snap.error_series.get(color), snap.error_rate.get(color), snap.metrics_problem
        )
        colors.append(ColorView(color, text, PodRoll.of(pods, needle, rolls.get(color)), errors))
    last = data.last_action.text(wide) if data.last_action else "-"
    if data.journal_problem:
        last = f"unavailable: {data.journal_problem}"
    return ColumnView(
        tuple(colors),
        _checklist_text(data, wide),
        _lock_text(snap, wide),
        Text(f"last {last}"),
        _problems(data, rolls_back),
    )


def _problems(data: ColumnData, rolls_back: str) -> Text | None:
    snap = data.snapshot
    # An action cut off mid-way is the first thing to see on return: above the other problems.
    breach = data.bake_breach
    extra = [f"{breach}; {rolls_back}" if rolls_back else breach] if breach else []
    extra += [f"interrupted: {line}" for line in snap.interrupted]
    extra += [p for p in snap.problems if p not in (snap.metrics_problem, snap.cluster_problem)]
    if data.release_problem:
        extra.append(data.release_problem)
    if not extra:
        return None
    text = Text("\n".join(f"! {p}" for p in extra), "bold")
    if breach:
        text.stylize("bold reverse red", 0, len(extra[0]) + 2)  # the banner: first, and unmissable
    return text


def _checklist_text(data: ColumnData, wide: bool) -> Text:
    if data.checklist_problem:
        return Text(f"checklist unavailable: {data.checklist_problem}")
    if not data.checklist:
        return Text("checklist -")
    if wide:
        lines = [f"checklist {data.version_in_play or '-'}"]
        lines += [
            f"  {p.phase:<16} {p.done}/{p.total}" + ("  done" if p.done == p.total else "") for p in data.checklist
        ]
        return Text("\n".join(lines))
    # Narrow: "pre 1/5 day 3/5 post 0/3" fits a 24-cell column on an 80-column terminal.
    return Text(" ".join(f"{SHORT_PHASE.get(p.phase, p.phase)} {p.done}/{p.total}" for p in data.checklist))


def _lock_text(snap: EnvSnapshot, wide: bool) -> Text:
    if snap.lock is None and snap.lock_problem is not None:
        return Text("lock unknown (unreadable)", "bold")
    if snap.lock is None:
        return Text("lock free")
    since = snap.lock.since.strftime("%Y-%m-%d %H:%M UTC" if wide else "%H:%M")
    return Text(f"lock {snap.lock.holder} since {since}", "bold")
