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
from relui.domain import MetricKind
from relui.ports import EnvPorts, PortError
from relui.services.release_state import ReleaseState, SwitchKind, release_state

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

    def line(self, now: datetime) -> str:
        """One line for a banner or a log."""
        left = max(0, int((self.ends - now).total_seconds() // 60))
        figures = ", ".join(f"{v * 100:.2f}%" for v in self.samples[-self.breach_after :]) or "no samples yet"
        if self.breached:
            return (
                f"BAKE BREACH: {self.version} on {self.color} at {figures} "
                f"(threshold {self.threshold * 100:.2f}%, {self.breach_after} samples)"
            )
        return f"baking {self.version} on {self.color}: {left} min left; last error rates {figures}"


def bake_of(env: EnvironmentConfig, ports: EnvPorts, now: datetime, rel: ReleaseState | None = None) -> Bake | None:
    """The running bake of an environment, or None when no cutover is being baked."""
    if env.bake_minutes <= 0:
        return None
    if rel is None:
        rel = release_state(ports.releases.history(), ports.releases.values())
    switch = rel.last_switch
    if switch is None or switch.kind is not SwitchKind.CUTOVER:
        return None
    ends = switch.at + timedelta(minutes=env.bake_minutes)
    if now >= ends:
        return None
    samples: tuple[float, ...] = ()
    problem = None
    if ports.metrics is None:
        problem = "no metrics source: the bake cannot be watched"
    else:
        minutes = max(1, int((now - switch.at).total_seconds() // 60) + 1)
        try:
            series = ports.metrics.series(MetricKind.ERROR_RATE, minutes, SAMPLE_SECONDS).get(rel.live.color)
        except PortError as exc:
            problem = f"error rate unknown: {exc}"
        else:
            points = [p.value for p in series.points if p.at >= switch.at] if series else []
            samples = tuple(points[-env.bake_breach_samples :])
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
