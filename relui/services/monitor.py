"""One refresh of one environment: read every port, build an EnvSnapshot.

Each source is read on its own; a source that fails leaves its fields empty
and adds a line to ``problems`` so the rest of the picture still updates.
Each port is read through ``reads.once``, so a source that did not answer
costs its deadline once per refresh, not once per read.
Blocking: call it from a thread worker, never on the event loop.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from relui.config import EnvironmentConfig
from relui.domain import Color, EnvSnapshot, MetricKind, Series
from relui.ports import Clock, EnvPorts, PortError
from relui.services.reads import once

T = TypeVar("T")
SPARK_MINUTES = 30
SPARK_STEP_SECONDS = 30


def describe_failure(source: str, exc: BaseException) -> str:
    """One line for a failed source: what failed and why."""
    if isinstance(exc, PortError):
        return f"{source} unavailable: {exc}"
    return f"{source} unavailable: {type(exc).__name__}: {exc}"


def _read(source: str, problems: list[str], call: Callable[[], T]) -> tuple[T | None, str | None]:
    """Run one port call; on failure record the problem and return (None, problem)."""
    try:
        return call(), None
    except Exception as exc:  # noqa: BLE001 - any adapter failure must not stop the refresh
        problem = describe_failure(source, exc)
        problems.append(problem)
        return None, problem


def take_snapshot(env: EnvironmentConfig, ports: EnvPorts, clock: Clock, with_series: bool = True) -> EnvSnapshot:
    """Read cluster, release, lock and metrics of one environment."""
    problems: list[str] = []
    cluster = once(ports.cluster)
    colors, cluster_problem = _read("cluster", problems, cluster.color_states)
    active, _ = _read("live service", problems, cluster.observed_active_color)
    lock, lock_problem = _read("lock", problems, cluster.lock)
    if env.records is not None and ports.records is not None:
        # Shared records that do not answer: actions here refuse, so say so beside the pods.
        _read("records", problems, ports.records.probe)
    error_rate: dict[Color, float | None] = {}
    series: dict[Color, Series] = {}
    metrics_problem = None
    if ports.metrics is not None:
        metrics = once(ports.metrics)
        current, metrics_problem = _read("metrics", problems, lambda: metrics.current(MetricKind.ERROR_RATE))
        if current is not None:
            error_rate = current
            if with_series:
                found, metrics_problem = _read(
                    "metrics",
                    problems,
                    lambda: metrics.series(MetricKind.ERROR_RATE, SPARK_MINUTES, SPARK_STEP_SECONDS),
                )
                series = found or {}
    else:
        metrics_problem = "metrics unavailable: no [prometheus] configured for this environment"
    return EnvSnapshot(
        name=env.name,
        kind=env.kind,
        protected=env.protected,
        taken_at=clock.now(),
        active_color=active,
        colors=colors or {},
        error_rate=error_rate,
        error_series=series,
        error_threshold=env.error_threshold,
        lock=lock,
        problems=tuple(problems),
        metrics_problem=metrics_problem,
        cluster_problem=cluster_problem,
        lock_problem=lock_problem,
    )
