"""How the sandbox world behaves: pods, rollouts and error rates over time.

Pure functions of the stored revisions, the configured faults and a moment in
time, so every process computes the same pods and the same series, and a
test's manual clock plays a rollout or an error spike out exactly.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from relui.adapters.sandbox_world import hash_text, parse
from relui.config import SandboxConfig
from relui.domain import Color, ColorState, MetricKind, PodHealth, Point, Series

Revisions = list[dict[str, Any]]
CRASH_PERIOD = 15.0  # seconds between restarts of a crash-looping container
SPIKE_RAMP = 60.0  # seconds from the first extra errors to the fault's peak
LIVE_RPS = 42.0
PREVIEW_RPS = 0.5


@lru_cache(maxsize=8192)
def _hash(text: str) -> int:
    """``hash_text``, remembered: each refresh asks for nearly the same noise buckets as the last.

    Bounded: a bucket is 15 s, so a TUI left open for days would otherwise keep every one it ever drew.
    """
    return hash_text(text)


class EnvSim:
    """The behaviour of one sandbox environment.

    A dashboard refresh asks for every point of two colors' series, each point
    walking the revisions: their times are parsed once here, and the faults
    of a version looked up once, not at every point.
    """

    def __init__(self, name: str, release: str, sandbox: SandboxConfig, revisions: Revisions, tags: set[str]) -> None:
        self.name = name
        self.release = release
        self.sandbox = sandbox
        self.revisions = sorted(revisions, key=lambda r: r["number"])
        self._updated = [(parse(rev["updated"]), rev) for rev in self.revisions]
        self.tags = tags
        self._faults: dict[tuple[str | None, str], tuple[Any, ...]] = {}

    def _scaled(self, seconds: float) -> timedelta:
        return timedelta(seconds=seconds / self.sandbox.time_scale)

    def revision_at(self, when: datetime) -> dict[str, Any] | None:
        """The revision in force at a moment."""
        current = None
        for updated, rev in self._updated:
            if updated <= when:
                current = rev
        return current

    def _stretch_start(self, when: datetime, same: Any) -> datetime | None:
        """When the unbroken run of revisions for which ``same(values)`` holds began."""
        start = None
        for updated, rev in self._updated:
            if updated > when:
                break
            start = (start or updated) if same(rev["values"]) else None
        return start

    def color_since(self, color: Color, when: datetime) -> datetime | None:
        """When the color's current version started rolling out."""
        rev = self.revision_at(when)
        if rev is None or not rev["values"].get(f"{color}_enabled"):
            return None
        tag = rev["values"][color]
        return self._stretch_start(when, lambda v: v[color] == tag and v.get(f"{color}_enabled"))

    def live_since(self, color: Color, when: datetime) -> datetime | None:
        """When the color (with its current version) started taking live traffic."""
        rev = self.revision_at(when)
        if rev is None or rev["values"]["active"] != color:
            return None
        tag = rev["values"][color]
        return self._stretch_start(when, lambda v: v["active"] == color and v[color] == tag)

    def faults(self, version: str | None, kind: str) -> tuple[Any, ...]:
        """The configured faults of one kind for a version in this environment."""
        key = (version, kind)
        if key not in self._faults:
            self._faults[key] = tuple(f for f in self.sandbox.faults_for(self.name, version) if f.kind == kind)
        return self._faults[key]

    def rollout_time(self, version: str | None) -> timedelta:
        """How long a full rollout of a version takes here."""
        slow = self.faults(version, "slow_rollout")
        return self._scaled(slow[0].rollout_seconds if slow else self.sandbox.rollout_seconds)

    def image_missing(self, version: str) -> bool:
        """True when the registry cannot serve the version's image."""
        return version not in self.tags or bool(self.faults(version, "missing_tag"))

    def pods(self, color: Color, now: datetime) -> list[PodHealth]:
        """The pods of one color at a moment."""
        rev = self.revision_at(now)
        since = self.color_since(color, now)
        if rev is None or since is None:
            return []
        version = rev["values"][color]
        replicas = self.sandbox.replicas
        rollout = self.rollout_time(version)
        crashing = bool(self.faults(version, "crashloop"))
        missing = self.image_missing(version)
        template = f"{hash_text(version) % 16**5:05x}"
        pods = []
        for i in range(replicas):
            start = since + rollout * (i / (2 * replicas))
            ready_at = since + rollout * ((i + 1) / replicas)
            suffix = "".join(chr(97 + (hash_text(f"{version}/{color}/{i}") >> (5 * k)) % 26) for k in range(5))
            name = f"{self.release}-{color}-{template}-{suffix}"
            phase, ready, restarts, reason = "Running", False, 0, None
            if now < start:
                phase, reason = "Pending", "ContainerCreating"
            elif missing:
                phase, reason = "Pending", "ImagePullBackOff"
            elif crashing:
                restarts = int((now - start) / self._scaled(CRASH_PERIOD))
                reason = "CrashLoopBackOff" if restarts else "Error"
            elif now >= ready_at:
                ready = True
            pods.append(PodHealth(name, color, phase, ready, restarts, reason, start, version))
        return pods

    def color_state(self, color: Color, now: datetime) -> ColorState:
        """The deployment of one color at a moment."""
        rev = self.revision_at(now)
        values = rev["values"] if rev else {}
        enabled = bool(values.get(f"{color}_enabled"))
        pods = tuple(self.pods(color, now)) if enabled else ()
        return ColorState(
            color=color,
            version=values.get(color),
            enabled=enabled,
            desired=self.sandbox.replicas if enabled else 0,
            ready=sum(p.ready for p in pods),
            revision=rev["number"] if rev else None,
            pods=pods,
        )

    def _noise(self, color: Color, when: datetime, salt: str = "") -> float:
        """Repeatable noise in [-0.5, 0.5), smooth-ish across 15 s buckets."""
        bucket = int(when.timestamp() // 15)
        a = _hash(f"{self.name}/{color}/{salt}/{bucket}") / 2**32
        b = _hash(f"{self.name}/{color}/{salt}/{bucket - 1}") / 2**32
        return (a + b) / 2 - 0.5

    def _serving(self, color: Color, when: datetime) -> tuple[str, bool] | None:
        """(version, live) when the color has ready pods serving at a moment."""
        rev = self.revision_at(when)
        since = self.color_since(color, when)
        if rev is None or since is None:
            return None
        version = rev["values"][color]
        if self.faults(version, "crashloop") or self.image_missing(version):
            return None
        if when < since + self.rollout_time(version) / self.sandbox.replicas:
            return None
        return version, rev["values"]["active"] == color

    def _spike(self, color: Color, version: str, when: datetime) -> tuple[float, float]:
        """(how far the version's error spike has come 0..1, its peak)."""
        spikes = self.faults(version, "error_spike")
        live_from = self.live_since(color, when)
        if not spikes or live_from is None:
            return 0.0, 0.0
        elapsed = when - live_from - self._scaled(spikes[0].after_seconds)
        if elapsed <= timedelta(0):
            return 0.0, spikes[0].peak_error_rate
        return min(1.0, elapsed / self._scaled(SPIKE_RAMP)), spikes[0].peak_error_rate

    def value(self, kind: MetricKind, color: Color, when: datetime) -> float | None:
        """One figure for one color at a moment; None where the color serves nothing."""
        serving = self._serving(color, when)
        if serving is None:
            return None
        version, live = serving
        noise = self._noise(color, when, kind)
        progress, peak = self._spike(color, version, when) if live else (0.0, 0.0)
        if kind is MetricKind.ERROR_RATE:
            base = self.sandbox.baseline_error_rate * (1 + 0.8 * noise)
            return max(0.0, base + progress * (peak - base) * (1 + 0.3 * noise))
        if kind is MetricKind.REQUEST_RATE:
            if not live:
                return PREVIEW_RPS * (1 + 0.4 * noise)
            wave = 0.15 * math.sin(2 * math.pi * when.timestamp() / 3600)
            return LIVE_RPS * (1 + wave + 0.2 * noise)
        return 0.12 * (1 + 0.3 * noise) + progress * 0.65

    def series(self, kind: MetricKind, color: Color, now: datetime, minutes: int, step: int) -> Series:
        """Samples every ``step`` seconds over the last ``minutes``, gaps where nothing served."""
        end = int(now.timestamp()) // step * step
        points = []
        for ts in range(end - minutes * 60 + step, end + 1, step):
            when = datetime.fromtimestamp(ts, tz=now.tzinfo)
            value = self.value(kind, color, when)
            if value is not None:
                points.append(Point(when, value))
        return Series(tuple(points))
