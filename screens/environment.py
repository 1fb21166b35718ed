"""One environment in detail: pods, revision history, metrics, and every action's guards."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Input, Label, Static
from textual.worker import Worker, WorkerState

from relui.domain import Color, EnvSnapshot, GuardResult, MetricKind, Revision, Series
from relui.screens import SCREENS_CSS
from relui.screens.reading import deployable_versions
from relui.screens.remedies import TuiRemedies
from relui.services.context import Context
from relui.services.monitor import SPARK_MINUTES, SPARK_STEP_SECONDS, describe_failure, take_snapshot
from relui.services.release import ReleaseService
from relui.widgets.command_line import BottomLine, FilterLine
from relui.widgets.error_sparkline import ErrorSparkline, MetricSparkline
from relui.widgets.footer import KeyHints
from relui.widgets.guard_list import GuardList, guard_summary
from relui.widgets.pod_table import PodTable
from relui.widgets.quiet import update_if_changed
from relui.widgets.revision_table import RevisionTable

# Guards read many sources (checklist, registry, backups ...): not at every refresh.
GUARD_SECONDS = 15.0
EXTRA_FIGURES = {
    MetricKind.REQUEST_RATE: ("REQ", lambda v: f"{v:.1f}/s"),
    MetricKind.LATENCY_P95: ("P95", lambda v: f"{v * 1000:.0f}ms"),
}


@dataclass
class Detail:
    """One reading of the detail screen; each failing source has its problem line."""

    snapshot: EnvSnapshot
    history: list[Revision] = field(default_factory=list)
    history_problem: str | None = None
    series: dict[MetricKind, dict[Color, Series]] = field(default_factory=dict)
    guards: dict[str, list[GuardResult]] | None = None
    guard_problems: dict[str, str] = field(default_factory=dict)
    deploy_version: str | None = None


class EnvironmentScreen(Screen[None]):
    """Everything about one environment; Esc goes back to the dashboard."""

    CSS_PATH = SCREENS_CSS

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back", id="back", tooltip="Back to the dashboard"),
        Binding("R", "refresh", "Refresh", id="refresh", tooltip="Read everything again, guards included"),
        Binding(
            "slash", "filter", "Filter pods", key_display="/", id="filter", tooltip="Show only pods holding a text"
        ),
    ]

    class Loaded(Message):
        """A reading of the environment arrived."""

        def __init__(self, detail: Detail) -> None:
            super().__init__()
            self.detail = detail

        def can_replace(self, message: Message) -> bool:
            """Only the newest reading matters."""
            return isinstance(message, EnvironmentScreen.Loaded)

    def __init__(self, ctx: Context, env: str, remedies: TuiRemedies | None = None) -> None:
        super().__init__()
        self.ctx = ctx
        self.env = ctx.env(env)
        self.remedies = remedies or TuiRemedies()
        self._guards_at = 0.0
        self._guards: dict[str, list[GuardResult]] | None = None

    def compose(self) -> ComposeResult:
        """Title, then the sections in a scrolling column."""
        badge = " [protected]" if self.env.protected else ""
        yield Static(
            f"{self.env.title}{badge}  {self.env.kind}  ns {self.env.namespace}", id="detail-title", markup=False
        )
        with VerticalScroll(id="detail-body"):
            yield Label("Pods", classes="section")
            yield PodTable(id="pod-table")
            yield Label("Metrics (30 min)", classes="section")
            with Vertical(id="metrics"):
                for color in Color:
                    with Horizontal(classes="metric-row"):
                        yield Label(f"{color:<6}", classes="metric-color")
                        yield ErrorSparkline(self.env.error_threshold, id=f"err-{color}", classes="big")
                for kind, (name, fmt) in EXTRA_FIGURES.items():
                    for color in Color:
                        with Horizontal(classes="metric-row"):
                            yield Label(f"{color:<6}", classes="metric-color")
                            yield MetricSparkline(name, fmt, id=f"{kind}-{color}", classes="big")
            yield Label("Revision history", classes="section")
            yield RevisionTable(id="history")
            yield Static("", id="history-detail", markup=False)
            yield Label("Guards", classes="section")
            yield Static("checking guards ...", id="guards-status", markup=False)
            for action in ("deploy", "smoke", "cutover", "rollback"):
                yield Label(action, id=f"guards-title-{action}", classes="guard-title")
                yield GuardList(id=f"guards-{action}", words=self.remedies.guard_text)
        yield KeyHints()
        yield FilterLine()

    def action_filter(self) -> None:
        """Open the ``/`` line over the pod table."""
        self.query_one(FilterLine).open(self.query_one(PodTable).filter_text)

    @on(Input.Changed, "#filter-line")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.query_one(PodTable).set_filter(event.value.strip())

    @on(Input.Submitted, "#filter-line")
    def _filter_kept(self) -> None:
        self.query_one(FilterLine).hide()
        self.query_one(PodTable).focus()

    @on(DataTable.RowHighlighted, "#history")
    def _describe(self) -> None:
        """The highlighted revision's description, whole, under the table."""
        update_if_changed(self.query_one("#history-detail", Static), self.query_one(RevisionTable).described())

    @on(BottomLine.Closed)
    def _filter_cleared(self) -> None:
        self.query_one(PodTable).set_filter("")
        self.query_one(PodTable).focus()

    def on_mount(self) -> None:
        """Read now and then at the environment's pace."""
        self.set_interval(self.env.refresh_seconds, self.action_refresh_quietly)
        self.action_refresh()

    def action_refresh(self) -> None:
        """Read everything now, guards included."""
        self._load(with_guards=True)

    def action_refresh_quietly(self) -> None:
        """The timer's refresh: guards only when they are old."""
        self._load(with_guards=time.monotonic() - self._guards_at > GUARD_SECONDS)

    @work(thread=True, exclusive=True, exit_on_error=False, group="detail")
    def _load(self, with_guards: bool) -> None:
        ports = self.ctx.env_ports(self.env.name)
        detail = Detail(take_snapshot(self.env, ports, self.ctx.clock))
        try:
            detail.history = ports.releases.history()
        except Exception as exc:  # noqa: BLE001 - a failing source shows in its place
            detail.history_problem = describe_failure("release history", exc)
        metrics = ports.metrics
        if metrics is not None and detail.snapshot.metrics_problem is None:
            for kind in EXTRA_FIGURES:
                if kind in metrics.kinds():
                    try:
                        detail.series[kind] = metrics.series(kind, SPARK_MINUTES, SPARK_STEP_SECONDS)
                    except Exception:  # noqa: BLE001 - a missing figure is drawn as "-"
                        continue
        if with_guards:
            detail.guards = self._check_guards(detail)
        self.post_message(self.Loaded(detail))

    def _check_guards(self, detail: Detail) -> dict[str, list[GuardResult]]:
        service = ReleaseService(self.ctx)
        guards: dict[str, list[GuardResult]] = {}
        versions = deployable_versions(self.ctx, self.env.name, limit=5)
        live = {s.version for s in detail.snapshot.colors.values() if s.enabled}
        newest = next((v for v in versions if v not in live), None)
        checks = {
            "deploy": ("deploy", newest),
            "smoke": ("smoke", None),
            "cutover": ("cutover", None),
            "rollback": ("rollback", None),
        }
        for label, (action, version) in checks.items():
            if action == "deploy" and newest is None:
                detail.guard_problems[label] = "no deployable version in the registry"
                continue
            try:
                guards[label] = service.check(action, self.env.name, version=version)
            except Exception as exc:  # noqa: BLE001
                detail.guard_problems[label] = f"{type(exc).__name__}: {exc}"
        detail.deploy_version = newest
        return guards

    @on(Worker.StateChanged)
    def _load_failed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            self.notify(
                f"{type(event.worker.error).__name__}: {event.worker.error}",
                title="environment detail",
                severity="error",
            )

    def on_environment_screen_loaded(self, message: Loaded) -> None:
        """Draw a reading."""
        detail = message.detail
        snap = detail.snapshot
        pods = [p for c in Color for p in (snap.colors[c].pods if c in snap.colors else ())]
        self.query_one(PodTable).show(pods, snap.taken_at)
        if snap.cluster_problem:
            self.query_one(PodTable).border_title = Text(snap.cluster_problem)  # a source's words, not markup
        for color in Color:
            self.query_one(f"#err-{color}", ErrorSparkline).show(
                snap.error_series.get(color), snap.error_rate.get(color), snap.metrics_problem
            )
            for kind in EXTRA_FIGURES:
                series = detail.series.get(kind, {}).get(color)
                widget = self.query_one(f"#{kind}-{color}", MetricSparkline)
                widget.show(series, series.latest if series else None, snap.metrics_problem)
        if detail.history_problem:
            self.query_one(RevisionTable).border_title = Text(detail.history_problem)
        else:
            self.query_one(RevisionTable).show(detail.history)
            self._describe()
        if detail.guards is not None:
            self._guards_at = time.monotonic()
            self._show_guards(detail)

    def _show_guards(self, detail: Detail) -> None:
        assert detail.guards is not None
        for action in ("deploy", "smoke", "cutover", "rollback"):
            title = self.query_one(f"#guards-title-{action}", Label)
            guards = detail.guards.get(action)
            name = action
            if action == "deploy":
                name = f"deploy {detail.deploy_version or ''}".strip()
            elif action == "rollback":
                name = "rollback (instant)"
            if guards is None:
                problem = detail.guard_problems.get(action, "not checked")
                title.update(Text(f"{name}: unavailable: {problem}"))
                self.query_one(f"#guards-{action}", GuardList).show([])
                continue
            verdict = "BLOCKED" if any(g.blocks for g in guards) else "ready"
            title.update(Text(f"{name}: {verdict} ({guard_summary(guards)})", "bold"))
            self.query_one(f"#guards-{action}", GuardList).show(guards)
        when = snap_time(detail.snapshot)
        self.query_one("#guards-status", Static).update(
            f"as {self.ctx.operator_on(self.env.name)} at {when}; Esc back, R re-check"
        )


def snap_time(snap: EnvSnapshot) -> str:
    """The reading's time as HH:MM:SS UTC."""
    return snap.taken_at.strftime("%H:%M:%S UTC")
