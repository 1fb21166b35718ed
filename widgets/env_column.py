"""One environment's column on the dashboard, refreshing itself from a reader.

The column owns its poll: a timer every ``refresh_seconds`` starts one
exclusive thread worker that calls the reader it was given (the dashboard
builds it from the services), and the reading comes back as a ``Refreshed``
message. The column never does IO on the event loop and never knows where the
data comes from.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Static
from textual.worker import Worker, WorkerState, get_current_worker

from relui.domain import Color, EnvSnapshot
from relui.widgets.error_sparkline import ErrorLine
from relui.widgets.pod_health import CANDIDATE, IDLE, LIVE, PodList, PodSummary
from relui.widgets.quiet import update_if_changed

SHORT_PHASE = {"pre-release": "pre", "release-day": "day", "post-deployment": "post"}
# A column narrower than this gets the compact wording.
WIDE_COLUMN = 40


@dataclass(frozen=True)
class PhaseProgress:
    """Done and total items of one checklist phase."""

    phase: str
    done: int
    total: int


@dataclass(frozen=True)
class LastAction:
    """The newest journal record of an environment, for one line."""

    action: str
    status: str
    operator: str
    at: str  # HH:MM UTC
    version: str | None = None

    def text(self, wide: bool) -> str:
        """``deploy 1.6.0 ok ops 11:22``; narrow columns drop the version."""
        what = f"{self.action} {self.version}" if self.version and wide else self.action
        return f"{what} {self.status} {self.operator} {self.at}"


@dataclass(frozen=True)
class ColumnData:
    """Everything one column shows, read in one refresh.

    Each source that failed carries its own ``*_problem`` line, so the rest
    of the column keeps updating around it.
    """

    snapshot: EnvSnapshot
    candidate_color: Color | None = None
    candidate_version: str | None = None
    version_in_play: str | None = None
    checklist: tuple[PhaseProgress, ...] = ()
    checklist_problem: str | None = None
    last_action: LastAction | None = None
    journal_problem: str | None = None
    release_problem: str | None = None
    # The bake of the last cutover when it breached: the line to show in red, with the key.
    bake_breach: str | None = None
    # The previous live color while it still serves (the instant rollback target): the only "warm" one.
    warm_color: Color | None = None
    # Versions a rollback moved traffic away from: marked failed where they still run.
    rolled_back_from: frozenset[str] = frozenset()

    @property
    def env(self) -> str:
        """The environment's name."""
        return self.snapshot.name

    def shows_the_same_as(self, other: ColumnData | None) -> bool:
        """True when ``other`` differs only in when it was read: nothing on screen would change."""
        if other is None:
            return False
        return replace(other, snapshot=replace(other.snapshot, taken_at=self.snapshot.taken_at)) == self

    def role(self, color: Color) -> str:
        """Whether a color is live, the candidate, or idle."""
        if self.snapshot.active_color == color:
            return LIVE
        return CANDIDATE if self.candidate_color == color else IDLE


Reader = Callable[[bool], ColumnData]


class EnvColumn(Vertical, can_focus=True):
    """Name and protected badge, both colors' pods and error rate, checklist, lock, last action."""

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
    ) -> None:
        super().__init__(id=f"env-{env}", classes="env-column")
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

    def compose(self) -> ComposeResult:
        """Both colors (summary, the pods that fit, error rate), then checklist, lock and last action.

        The pod lists are the only children that take the column's spare
        height, so the lines below them always stay in view.
        """
        for color in Color:
            yield PodSummary(color, id=f"pods-{color}", classes="pod-health")
            yield PodList(color, id=f"pod-list-{color}", classes="pod-list")
            yield ErrorLine(self.threshold, id=f"errors-{color}")
        yield Static("checklist -", id="checklist", markup=False)
        yield Static("lock -", id="lock", markup=False)
        yield Static("last -", id="last", markup=False)
        yield Static("", id="problems", classes="-empty", markup=False)

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
        self.poll(deep=True)

    def _start_polling(self) -> None:
        self.set_interval(self.refresh_seconds, self.poll)

    def poll(self, deep: bool = False) -> None:
        """Refresh now, unless a refresh is still running (then once more when it ends).

        Skipping instead of cancelling matters for slow sources: cancelling at
        every tick would never let a refresh that takes longer than the
        interval finish.
        """
        if self._worker is not None and not self._worker.is_finished:
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
            problems = self.query_one("#problems", Static)
            update_if_changed(problems, Text(f"unavailable: {self.failure}", "bold"))
            problems.remove_class("-empty")
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
        """Wording depends on the column's width (wide or narrow), so only crossing it redraws.

        A column is resized each time the layout settles (height changes as
        pods come and go); redrawing then repainted all of it for nothing.
        """
        if self.data is not None and self._drawn_wide != self._wide():
            self.draw()

    def _wide(self) -> bool:
        return self.content_size.width >= WIDE_COLUMN

    def draw(self) -> None:
        """Render the current reading into the child widgets; only what changed repaints."""
        data = self.data
        if data is None:
            return
        snap = data.snapshot
        wide = self._drawn_wide = self._wide()
        for color in Color:
            state = snap.colors.get(color)
            rolled_back = state is not None and state.version in data.rolled_back_from
            self.query_one(f"#pods-{color}", PodSummary).show(
                state,
                data.role(color),
                snap.cluster_problem,
                wide=wide,
                warm=data.warm_color == color,
                rolled_back=rolled_back,
            )
            self.query_one(f"#pod-list-{color}", PodList).show(None if snap.cluster_problem else state)
            self.query_one(f"#errors-{color}", ErrorLine).show(
                snap.error_series.get(color), snap.error_rate.get(color), snap.metrics_problem
            )
        update_if_changed(self.query_one("#checklist", Static), self._checklist_text(data, wide))
        update_if_changed(self.query_one("#lock", Static), self._lock_text(snap, wide))
        last = data.last_action.text(wide) if data.last_action else "-"
        if data.journal_problem:
            last = f"unavailable: {data.journal_problem}"
        update_if_changed(self.query_one("#last", Static), f"last {last}")
        # An action cut off mid-way is the first thing to see on return: above the other problems.
        breach = data.bake_breach
        extra = [f"{breach}; {self.rolls_back}" if self.rolls_back else breach] if breach else []
        extra += [f"interrupted: {line}" for line in snap.interrupted]
        extra += [p for p in snap.problems if p not in (snap.metrics_problem, snap.cluster_problem)]
        if data.release_problem:
            extra.append(data.release_problem)
        problems = self.query_one("#problems", Static)
        text = Text("\n".join(f"! {p}" for p in extra), "bold")
        if data.bake_breach:
            text.stylize("bold reverse red", 0, len(extra[0]) + 2)  # the banner: first, and unmissable
        update_if_changed(problems, text)
        problems.set_class(not extra and self.failure is None, "-empty")
        self._show_age()

    def _checklist_text(self, data: ColumnData, wide: bool) -> Text:
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

    def _lock_text(self, snap: EnvSnapshot, wide: bool) -> Text:
        if snap.lock is None:
            return Text("lock free")
        since = snap.lock.since.strftime("%Y-%m-%d %H:%M UTC" if wide else "%H:%M")
        return Text(f"lock {snap.lock.holder} since {since}", "bold")

    def set_filter(self, text: str) -> None:
        """Show only the pods whose line holds ``text``; the bottom border says what is filtered."""
        self.filter_text = text
        for pods in self.query(PodList):
            pods.set_filter(text)
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
            self.border_subtitle = subtitle


def _age(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60}m"
    return f"{seconds // 3600}h"
