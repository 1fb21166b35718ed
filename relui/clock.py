"""Clocks: the wall clock for real use, a manual one for tests and drills."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta


class SystemClock:
    """Real time, UTC."""

    def now(self) -> datetime:
        """The current wall-clock time."""
        return datetime.now(UTC)

    def sleep(self, seconds: float) -> None:
        """Block the calling (worker) thread."""
        time.sleep(max(0.0, seconds))


class ManualClock:
    """A clock that moves only when told to; ``sleep`` advances it at once.

    Tests use it so rollouts and error spikes play out without waiting.
    """

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
        self._guard = threading.Lock()

    def now(self) -> datetime:
        """The clock's current time."""
        with self._guard:
            return self._now

    def sleep(self, seconds: float) -> None:
        """Advance instead of waiting."""
        self.advance(seconds)

    def advance(self, seconds: float) -> None:
        """Move the clock forward."""
        with self._guard:
            self._now += timedelta(seconds=seconds)

    def set(self, when: datetime) -> None:
        """Jump to a moment (never used to go backwards in tests of ordering)."""
        with self._guard:
            self._now = when
