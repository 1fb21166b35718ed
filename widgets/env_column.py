"""One environment's column on the dashboard, refreshing itself from a reader.

The column owns its poll: a timer every ``refresh_seconds`` starts one
exclusive thread worker that calls the reader it was given (the dashboard
builds it from the services), and the reading comes back as a ``Refreshed``
message. The column never does IO on the event loop and never knows where the
data comes from.

It is one widget with no children and draws every line itself: the reading
is put into words once (widgets/column_view.py) and fitted to the column's
size (widgets/column_layout.py) only when the words, the size, the screen's
breakpoints or the theme change.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import replace
from datetime import datetime
from typing import ClassVar

from rich.segment import Segment
from rich.text import Text
from textual import on, work
from textual.binding import Binding, BindingType
from textual.geometry import Region
from textual.message import Message
from textual.selection import Selection
from textual.strip import Strip
from textual.style import Style as VisualStyle
from textual.widget import Widget
from textual.worker import Worker, WorkerState, get_current_worker

from relui.domain import Color
from relui.widgets.column_data import ColumnData, LastAction, PhaseProgress
from relui.widgets.column_layout import Looks, Row, lay_out
from relui.widgets.column_view import SHORT_PHASE, ColumnView, view_of
from relui.widgets.glyphs import glyphs_for

# The reading's types are part of this module's API (screens build and read them here).
__all__ = [
    "SHORT_PHASE",
    "WIDE_COLUMN",
    "ColumnData",
    "EnvColumn",
    "LastAction",
    "PhaseProgress",
    "Reader",
]

# A column narrower than this gets the compact wording.
WIDE_COLUMN = 40

Reader = Callable[[bool], ColumnData]


class EnvColumn(Widget, can_focus=True):
    """Name and protected badge, both colors' pods and error rate, checklist, lock, last action.

    No children: each one cost style matching, layout and a render at start
    and at every focus move. ``draw`` turns a reading into words (a
    ``ColumnView``) and repaints only when they changed; the fitted lines
    are kept, so a focus move (only the border changes) redraws from them.
    """

    # A filter kept with Enter stays on the column: Esc there clears it, as help says ("Esc clears").
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "clear_filter", "Clear the pod filter", show=False)]
    COMPONENT_CLASSES = {"env-column--problem", "env-column--bars-ok", "env-column--bars-over", "env-column--over"}
    DEFAULT_CSS = """
    EnvColumn > .env-column--problem {
        color: $warning;
    }
    EnvColumn > .env-column--bars-ok {
        color: $success;
    }
    EnvColumn > .env-column--bars-over {
        color: $error;
        text-style: bold;
    }
    EnvColumn > .env-column--over {
        text-style: bold reverse;
    }
    """

    class Refreshed(Message):
        """A refresh of the column's environment finished."""

        def __init__(self, column: EnvColumn, data: ColumnData) -> None:
            super().__init__()
            self.column = column
            self.data = data

        @property
        def control(self) -> EnvColumn:
            """The column that refreshed."""
            return self.column

        def can_replace(self, message: Message) -> bool:
            """A newer reading of the same environment supersedes this one."""
            return isinstance(message, EnvColumn.Refreshed) and message.data.env == self.data.env

    def __init__(
        self,
        env: str,
        *,
        title: str,
        protected: bool,
        threshold: float,
        refresh_seconds: float,
        reader: Reader,
        now: Callable[[], datetime],
        poll_offset: float = 0.0,
        rolls_back: str = "",
        first_reading: Future[ColumnData] | None = None,
    ) -> None:
        super().__init__(id=f"env-{env}", classes="env-column")
        # A deep reading already under way (started with the screen, before the widgets were built).
        self.first_reading = first_reading
        # What the bake-breach banner says after the breach: the screen's rollback key (``r rolls back``).
        self.rolls_back = rolls_back
        self.env = env
        self.protected = protected
        self.threshold = threshold
        self.refresh_seconds = refresh_seconds
        self.reader = reader
        self.now = now
        self.poll_offset = poll_offset
        self.data: ColumnData | None = None
        self.failure: str | None = None
        self._worker: Worker[None] | None = None
        self._again = False
        self._subtitle: str | None = None
        self._drawn_wide: bool | None = None
        self.filter_text = ""
        # Text, not a str: "[protected]" would otherwise be read as markup.
        self.border_title = Text(f"{title} [protected]" if protected else title)
        self._shown = ColumnView.unread(threshold)
        self._fitted_key: tuple[object, ...] = ()
        self._fitted_for: ColumnView | None = None
        self._rows: list[Row] = []
        self._strips: list[Strip] = []

    def on_mount(self) -> None:
        """Read now, then poll at the environment's pace from ``poll_offset`` on; watch the data's age.

        Columns polling in step would read (and hold the GIL in their
        workers) all at once; offsets spread that over the period, so the
        event loop never waits for three readings together.
        """
        if self.poll_offset > 0:
            self.set_timer(self.poll_offset, self._start_polling)
        else:
            self._start_polling()
        self.set_interval(1.0, self._show_age)
        self._show_age()  # "loading" from the first frame, until a reading is in
        if self.first_reading is None:
            self.poll(deep=True)
            return
        self.take_first_reading()
        if self.first_reading is not None:
            # Back on the event loop when it ends (nothing, should the app have ended first).
            asyncio.wrap_future(self.first_reading).add_done_callback(lambda _: self.take_first_reading())

    def take_first_reading(self) -> None:
        """Draw the reading started with the screen, now, if it is in and not drawn yet; failed, read again.

        Drawn here rather than from its ``Refreshed`` message, which is
        handled only after the first paint and would cost a second frame.
        The message still goes, for the screen; the column's own handler
        then finds nothing changed. A failure is read again in a worker,
        whose refresh shows it in place, as every later one would.
        """
        reading = self.first_reading
        if reading is None or not reading.done():
            return
        self.first_reading = None
        if reading.cancelled() or reading.exception() is not None:
            self._again = False
            self.poll(deep=True)
            return
        self.data, self.failure = reading.result(), None
        self.draw()
        self.post_message(self.Refreshed(self, self.data))
        if self._again:
            self._again = False
            self.poll(deep=True)

    def _start_polling(self) -> None:
        self.set_interval(self.refresh_seconds, self.poll)

    def poll(self, deep: bool = False) -> None:
        """Refresh now, unless a refresh is still running (then once more when it ends).

        Skipping instead of cancelling matters for slow sources: cancelling at
        every tick would never let a refresh that takes longer than the
        interval finish.
        """
        if self.first_reading is not None or (self._worker is not None and not self._worker.is_finished):
            self._again = self._again or deep
            return
        self._worker = self._read(deep)

    @work(thread=True, exclusive=True, exit_on_error=False, group="refresh")
    def _read(self, deep: bool) -> None:
        data = self.reader(deep)
        if not get_current_worker().is_cancelled:
            self.post_message(self.Refreshed(self, data))

    @on(Worker.StateChanged)
    def _refresh_ended(self, event: Worker.StateChanged) -> None:
        """A failed refresh shows in place and as a notification; a pending deep refresh runs."""
        if event.state is WorkerState.ERROR:
            error = event.worker.error
            self.failure = f"refresh failed: {type(error).__name__}: {error}"
            self._show(self._view())
            self.notify(self.failure, title=f"{self.env.upper()} refresh", severity="error")
        if event.state in (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED) and self._again:
            self._again = False
            self.poll(deep=True)

    def on_env_column_refreshed(self, message: Refreshed) -> None:
        """Draw the new reading; the message bubbles on so the screen sees it too."""
        self.data = message.data
        self.failure = None
        self.draw()

    def on_resize(self) -> None:
        """Wording depends on the column's width (wide or narrow), so only crossing it redraws the words.

        The lines are fitted to the new size when they are next drawn.
        """
        if self.data is not None and self._drawn_wide != self._wide():
            self.draw()

    def _wide(self) -> bool:
        return self.content_size.width >= WIDE_COLUMN

    def draw(self) -> None:
        """Put the current reading into words; the column repaints only when they changed."""
        if self.data is None:
            return
        self._show(self._view())
        self._show_age()

    def _show(self, view: ColumnView) -> None:
        """Repaint the lines whose strips changed, not the column: over SSH a repaint is every cell of it.

        A sparkline moving by one sample changes one or two rows; repainting
        the whole column for that sent its 30-odd lines down the wire.
        """
        if view.shows_the_same_as(self._shown):
            return
        drawn = self._fitted_for is self._shown and self.is_mounted and self.size.area > 0
        before, key = self._strips, self._fitted_key
        self._shown = view
        if not drawn:
            self.refresh()
            return
        _, after = self._fitted()
        if self._fitted_key != key:
            self.refresh()  # size, breakpoints or theme differ too: everything is new
            return
        changed = [y for y in range(max(len(before), len(after))) if before[y : y + 1] != after[y : y + 1]]
        if changed:
            width = self.size.width
            self.refresh(*(Region(0, y, width, 1) for y in changed))

    def _view(self) -> ColumnView:
        """The words of the current reading (and failure) at the current width."""
        data = self.data
        wide = self._drawn_wide = self._wide()
        if data is None:
            view = ColumnView.unread(self.threshold)
        else:
            view = view_of(
                data,
                wide=wide,
                threshold=self.threshold,
                glyphs=glyphs_for(self),
                color_styles={c: self.app.theme_variables.get(f"relui-{c}") for c in Color} if self.is_attached else {},
                rolls_back=self.rolls_back,
                needle=self.filter_text,
                shown=self._shown,
            )
        if self.failure is not None:
            view = replace(view, problems=Text(f"unavailable: {self.failure}", "bold"))
        return view

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Esc is the column's only while a filter is on; otherwise it goes where it went before."""
        return bool(self.filter_text) if action == "clear_filter" else True

    def action_clear_filter(self) -> None:
        """Show every pod again."""
        self.set_filter("")

    def set_filter(self, text: str) -> None:
        """Show only the pods whose line holds ``text``; the bottom border says what is filtered."""
        self.filter_text = text
        self._show(self._view())
        self._show_age()

    def _show_age(self) -> None:
        """Data older than two refresh periods says how old it is, on the bottom border.

        Assigning a border subtitle repaints the whole column even when the
        text is the same, so it is assigned only when it changes.
        """
        if self.data is None:
            subtitle = "loading"
        else:
            age = (self.now() - self.data.snapshot.taken_at).total_seconds()
            subtitle = f"data {_age(age)} old" if self.failure or age > 2 * self.refresh_seconds else ""
        if self.filter_text:
            subtitle = " ".join(filter(None, (f"/{self.filter_text}", subtitle)))
        if subtitle != self._subtitle:
            self._subtitle = subtitle
            self.border_subtitle = Text(subtitle)  # the filter is typed: "[/]" is text, not markup

    def lines(self) -> list[str]:
        """The column's lines as drawn at its size, in plain text: what a reader of the screen sees."""
        return [row.line.plain for row in self._fitted()[0]]

    def section(self, name: str) -> str:
        """The drawn lines of one section, joined by newlines; empty when none of it is in view.

        Sections: ``pods-blue`` (the summary), ``pod-list-blue``,
        ``errors-blue``, the same for green, ``checklist``, ``lock``,
        ``last``, ``problems``, and ``cut`` (the line that says the column
        was too small for the rest).
        """
        return "\n".join(row.line.plain for row in self._fitted()[0] if row.section == name)

    def _fitted(self) -> tuple[list[Row], list[Strip]]:
        """The lines fitted to the column's size, and their strips, worked out anew only when what they show changes."""
        # The dashboard's breakpoints space the column out: a blank line before each color at -tall,
        # error rates two rows high at -wide.-tall.
        if self.data is not None and self._drawn_wide != self._wide():
            # Put into words before the first layout (or last resized), at a width now gone: say it for this one.
            self._shown = self._view()
        screen = self.screen
        tall = screen.has_class("-tall")
        two_row_errors = tall and screen.has_class("-wide")
        glyphs = glyphs_for(self)
        key = (self.size, tall, two_row_errors, self.app.theme, glyphs, self.visual_style)
        if self._fitted_for is self._shown and key == self._fitted_key:
            return self._rows, self._strips
        width, height = self.size
        looks = Looks(
            self.get_component_rich_style("env-column--bars-ok"),
            self.get_component_rich_style("env-column--bars-over"),
            self.get_component_rich_style("env-column--over"),
            glyphs.blocks,
        )
        self._rows = lay_out(
            self._shown, width, height, tall=tall, two_row_errors=two_row_errors, looks=looks, console=self.app.console
        )
        self._strips = [self._strip(row, y) for y, row in enumerate(self._rows)]
        self._fitted_for, self._fitted_key = self._shown, key
        return self._rows, self._strips

    def _strip(self, row: Row, y: int, selected: tuple[int, int] | None = None) -> Strip:
        """One row as segments, each carrying its offset so the mouse can select the text."""
        base = self.get_visual_style("env-column--problem") if row.problem else self.visual_style
        line = row.line
        if selected is not None:
            start, end = selected
            selection = VisualStyle.from_styles(self.screen.get_component_styles("screen--selection"))
            line = line.stylize(selection, start, len(line.plain) if end == -1 else end)
        # Runs of one style become one segment before each gets its offset (for mouse selection): a
        # segment per cell (a sparkline's bars) would each carry their own escape codes to the terminal.
        runs: list[tuple[str, VisualStyle]] = []
        for text, style in line.render(base, end=""):
            if runs and runs[-1][1] == style:
                runs[-1] = (runs[-1][0] + text, style)
            else:
                runs.append((text, style))
        segments, x = [], 0
        for text, style in runs:
            segments.append(Segment(text, style.rich_style_with_offset(x, y)))
            x += len(text)
        return Strip(segments, line.cell_length)

    def render_line(self, y: int) -> Strip:
        """Line ``y`` of the column, from the fitted lines; a selected line is drawn with its selection."""
        rows, strips = self._fitted()
        if y >= len(strips):
            return Strip.blank(self.size.width, self.visual_style.rich_style)
        selection = self.text_selection
        if selection is not None and (span := selection.get_span(y)) is not None:
            return self._strip(rows[y], y, span)
        return strips[y]

    def get_selection(self, selection: Selection) -> tuple[str, str] | None:
        """The selected text, out of the lines as drawn."""
        return selection.extract("\n".join(self.lines())), "\n"


def _age(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60}m"
    return f"{seconds // 3600}h"
