"""The bake watch: after a cutover, is the new live color holding up?

For ``bake_minutes`` after a cutover relui watches the live color's error
rate. When the last ``bake_breach_samples`` samples are all at or over the
threshold, the bake has *breached*: the dashboard shows a red banner with the
rollback key, the team is told once per cutover, and with ``auto_rollback``
relui rolls back by itself. Everything is derived from the release history
and the metrics series, so every process sees the same bake.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from relui.config import EnvironmentConfig
from relui.domain import MetricKind, Series
from relui.ports import EnvPorts, PortError
from relui.services.release_state import ReleaseState, Switch, SwitchKind, release_state

SAMPLE_SECONDS = 30


@dataclass(frozen=True)
class Bake:
    """The bake of one cutover as of now."""

    env: str
    version: str | None
    color: str
    since: datetime
    ends: datetime
    revision: int
    samples: tuple[float, ...]  # the newest samples, oldest first (up to bake_breach_samples)
    threshold: float
    breach_after: int
    problem: str | None = None

    @property
    def breached(self) -> bool:
        """True when the newest ``breach_after`` samples are all at or over the threshold."""
        recent = self.samples[-self.breach_after :]
        return len(recent) >= self.breach_after and all(v >= self.threshold for v in recent)

    @property
    def judged(self) -> bool:
        """True when the bake can say passed or breached: its last read answered, with enough samples.

        A metrics source that is dark, hangs or answers nothing usable for the
        whole bake leaves it unjudged; the watch then says so rather than passed.
        """
        return self.problem is None and len(self.samples) >= self.breach_after

    def line(self, now: datetime) -> str:
        """One line for a banner or a log."""
        left = max(0, int((self.ends - now).total_seconds() // 60))
        figures = ", ".join(f"{v * 100:.2f}%" for v in self.samples[-self.breach_after :]) or "no samples yet"
        if self.breached:
            return (
                f"BAKE BREACH: {self.version} on {self.color} at {figures} "
                f"(threshold {self.threshold * 100:.2f}%, {self.breach_after} samples)"
            )
        problem = f"; {self.problem}" if self.problem else ""
        return f"baking {self.version} on {self.color}: {left} min left; last error rates {figures}{problem}"


def _baking(env: EnvironmentConfig, rel: ReleaseState, now: datetime) -> Switch | None:
    switch = rel.last_switch
    if env.bake_minutes <= 0 or switch is None or switch.kind is not SwitchKind.CUTOVER:
        return None
    return switch if now < switch.at + timedelta(minutes=env.bake_minutes) else None


def bake_of(env: EnvironmentConfig, ports: EnvPorts, now: datetime, rel: ReleaseState | None = None) -> Bake | None:
    """The running bake of an environment, or None when no cutover is being baked."""
    if rel is None:
        rel = release_state(ports.releases.history(), ports.releases.values())
    switch = _baking(env, rel, now)
    if switch is None:
        return None
    if ports.metrics is None:
        return _bake(env, rel, switch, (), "no metrics source: the bake cannot be watched")
    minutes = max(1, int((now - switch.at).total_seconds() // 60) + 1)
    try:
        series = ports.metrics.series(MetricKind.ERROR_RATE, minutes, SAMPLE_SECONDS).get(rel.live.color)
    except PortError as exc:
        return _bake(env, rel, switch, (), f"error rate unknown: {exc}")
    return bake_from(env, rel, series, now)


def bake_from(env: EnvironmentConfig, rel: ReleaseState, series: Series | None, now: datetime) -> Bake | None:
    """The bake as the live color's error series already read (the dashboard's sparkline) tells it."""
    switch = _baking(env, rel, now)
    if switch is None:
        return None
    points = [p.value for p in series.points if p.at >= switch.at] if series else []
    return _bake(env, rel, switch, tuple(points[-env.bake_breach_samples :]), None)


def _bake(
    env: EnvironmentConfig, rel: ReleaseState, switch: Switch, samples: tuple[float, ...], problem: str | None
) -> Bake:
    ends = switch.at + timedelta(minutes=env.bake_minutes)
    return Bake(
        env.name,
        rel.live.version,
        str(rel.live.color),
        switch.at,
        ends,
        switch.revision,
        samples,
        env.error_threshold,
        env.bake_breach_samples,
        problem,
    )
