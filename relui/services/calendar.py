"""The release calendar: weekly release windows, change freezes and cadence.

Windows are weekly and written in the calendar's IANA zone ("mon..thu
08:00-17:00 Europe/Berlin"), so they follow daylight saving time: a window
opens at 08:00 on the wall clock in winter and in summer alike. Freezes are
whole dates in that zone, both ends included. With no windows configured,
releases are allowed at any time outside a freeze.

Every comparison happens in UTC. Python compares two datetimes that share a
tzinfo by wall time, ignoring their offsets, which gives wrong answers around
a DST change; converting to UTC first avoids that whole class of bug.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from relui.config import WEEKDAYS, CalendarConfig, Freeze

_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# Past the last freeze, a weekly window must recur within 7 days; one spare day
# covers a window that starts on the very day the search begins.
_SEARCH_SLACK_DAYS = 8

Interval = tuple[datetime, datetime]


@dataclass(frozen=True)
class WindowStatus:
    """Whether a release is allowed at one moment, and why (one line)."""

    open: bool
    reason: str
    freeze: Freeze | None
    next_opening: datetime | None


class ReleaseCalendar:
    """Answers "may we release now?" and "when is the next window?" from config."""

    def __init__(self, calendar: CalendarConfig) -> None:
        self.calendar = calendar
        self.zone: ZoneInfo = calendar.zone

    # -- public API ---------------------------------------------------------

    def status(self, at: datetime) -> WindowStatus:
        """Whether a release is allowed at ``at`` (an aware datetime, normally UTC)."""
        now = _utc(at)
        freeze = self.freeze_on(self._local_date(now))
        if freeze is not None:
            opening = self._first_opening(now)
            return WindowStatus(
                False, f"change freeze until {freeze.end.isoformat()}: {freeze.reason}", freeze, opening
            )
        if not self.calendar.windows:
            return WindowStatus(True, "no release windows configured: releases allowed outside freezes", None, None)
        current = self._window_at(now)
        if current is not None:
            return WindowStatus(
                True, f"release window open until {self._until(now, current[1])} {self._tz}", None, None
            )
        opening = self._first_opening(now)
        if opening is None:
            return WindowStatus(False, "outside release windows; no window ahead", None, None)
        return WindowStatus(
            False, f"outside release windows; next window {self._long(opening)} {self._tz}", None, opening
        )

    def next_windows(self, after: datetime, count: int = 5) -> list[tuple[datetime, datetime]]:
        """The next ``count`` windows not yet over at ``after``, skipping freezes.

        A window in progress at ``after`` comes first. Overlapping windows of
        one day are merged, so each pair is one stretch of allowed time. The
        datetimes are aware, in the calendar's zone. No windows configured
        means no list: releases are not bounded by windows at all.
        """
        found: list[tuple[datetime, datetime]] = []
        if count <= 0 or not self.calendar.windows:
            return found
        now = _utc(after)
        for start, end in self._intervals_from(self._local_date(now)):
            if end > now:
                found.append((start.astimezone(self.zone), end.astimezone(self.zone)))
                if len(found) == count:
                    break
        return found

    def freezes_ahead(self, after: datetime) -> list[Freeze]:
        """Freezes not yet over at ``after`` (one in force included), soonest first."""
        today = self._local_date(_utc(after))
        return sorted((f for f in self.calendar.freezes if f.end >= today), key=lambda f: (f.start, f.end))

    def banner(self, at: datetime) -> str:
        """Short text for the TUI header: the freeze, the open window or the next one."""
        now = _utc(at)
        status = self.status(now)
        if status.freeze is not None:
            end = status.freeze.end
            return f"FREEZE until {end.day} {_MONTH_NAMES[end.month - 1]}: {status.freeze.reason}"
        if status.open:
            if not self.calendar.windows:
                return "open: no release windows"
            current = self._window_at(now)
            if current is None:
                return "window open"
            return f"window open until {self._until(now, current[1])} {self._zone_name(current[1])}"
        if status.next_opening is None:
            return "no release window ahead"
        # Within six days the weekday alone names the day unambiguously.
        within_week = status.next_opening - now < timedelta(days=6)
        opening = status.next_opening
        when = self._short(opening) if within_week else self._long(opening)
        # Labeled: every other time on the dashboard is UTC, this one is the calendar's wall clock.
        return f"next window {when} {self._zone_name(opening)}"

    def cadence(self) -> list[str]:
        """The release cadence as the release plan states it, one line per kind."""
        low, high = self.calendar.minor_every_weeks
        weeks = f"{low} weeks" if low == high else f"{low}-{high} weeks"
        if low == high == 1:
            weeks = "week"
        months = self.calendar.major_every_months
        return [
            f"minor: every {weeks}",
            "hotfix: as needed",
            f"major: every {'month' if months == 1 else f'{months} months'}",
        ]

    def freeze_on(self, day: date) -> Freeze | None:
        """The freeze covering a local date, if any (the first configured wins)."""
        for freeze in self.calendar.freezes:
            if freeze.start <= day <= freeze.end:
                return freeze
        return None

    # -- windows as UTC intervals ---------------------------------------------

    def _day_intervals(self, day: date) -> list[Interval]:
        """The merged windows of one local date, as UTC intervals, earliest first."""
        weekday = WEEKDAYS[day.weekday()]
        spans = sorted(
            (self._instant(day, w.start), self._instant(day, w.end)) for w in self.calendar.windows if weekday in w.days
        )
        merged: list[Interval] = []
        for start, end in spans:
            if end <= start:
                # A window wholly inside a DST gap: the wall clock never shows it.
                continue
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], end))
            else:
                merged.append((start, end))
        return merged

    def _intervals_from(self, first: date) -> Iterator[Interval]:
        """Every unfrozen window from a local date on, lazily, up to a bound past the last freeze."""
        last_freeze = max((f.end for f in self.calendar.freezes), default=first)
        horizon = max(first, last_freeze) + timedelta(days=_SEARCH_SLACK_DAYS)
        day = first
        while day <= horizon:
            freeze = self.freeze_on(day)
            if freeze is not None:
                day = freeze.end + timedelta(days=1)
                continue
            yield from self._day_intervals(day)
            day += timedelta(days=1)

    def _window_at(self, now: datetime) -> Interval | None:
        """The (merged) window containing ``now``, if any; freezes are not looked at."""
        for start, end in self._day_intervals(self._local_date(now)):
            if start <= now < end:
                return start, end
        return None

    def _first_opening(self, now: datetime) -> datetime | None:
        """When releases are next allowed after ``now`` (UTC), for a closed calendar."""
        if not self.calendar.windows:
            # Windowless: the calendar opens at the local midnight after the freeze chain.
            day = self._local_date(now)
            while (freeze := self.freeze_on(day)) is not None:
                day = freeze.end + timedelta(days=1)
            return self._instant(day, time(0, 0))
        for start, _end in self._intervals_from(self._local_date(now)):
            if start > now:
                return start
        return None

    def _instant(self, day: date, clock: time) -> datetime:
        """A local wall-clock time on a date, as UTC.

        A time the wall clock skips (inside the spring-forward gap) means the
        moment the clock resumes, so a window from 02:30 opens at 03:00 summer
        time. A time that happens twice (autumn) means its first occurrence.
        """
        wall = datetime.combine(day, clock)
        instant = wall.replace(tzinfo=self.zone).astimezone(UTC)
        if instant.astimezone(self.zone).replace(tzinfo=None) == wall:
            return instant
        return self._gap_end(wall)

    def _gap_end(self, wall: datetime) -> datetime:
        """The UTC instant a DST gap containing the (non-existent) wall time ends.

        zoneinfo has no public transition list, so bisect between the two
        readings of the wall time: with the offset after the jump (before the
        gap) and with the one before it (after the gap).
        """
        low = wall.replace(tzinfo=self.zone, fold=1).astimezone(UTC)
        high = wall.replace(tzinfo=self.zone, fold=0).astimezone(UTC)
        low, high = min(low, high), max(low, high)
        after_offset = high.astimezone(self.zone).utcoffset()
        while high - low > timedelta(seconds=1):
            middle = low + (high - low) / 2
            if middle.astimezone(self.zone).utcoffset() == after_offset:
                high = middle
            else:
                low = middle
        return high.replace(microsecond=0)

    # -- formatting -----------------------------------------------------------

    @property
    def _tz(self) -> str:
        return self.calendar.timezone

    def _zone_name(self, instant: datetime) -> str:
        """The calendar zone's short name at ``instant``: ``CET``, ``CEST``, ``UTC``."""
        return instant.astimezone(self.zone).tzname() or self._tz

    def _local_date(self, instant: datetime) -> date:
        return instant.astimezone(self.zone).date()

    def _until(self, now: datetime, end: datetime) -> str:
        """The window's end as "17:00", with the day when it is not today."""
        local_end = end.astimezone(self.zone)
        if local_end.date() == self._local_date(now):
            return f"{local_end:%H:%M}"
        return self._long(local_end)

    def _short(self, instant: datetime) -> str:
        local = instant.astimezone(self.zone)
        return f"{_DAY_NAMES[local.weekday()]} {local:%H:%M}"

    def _long(self, instant: datetime) -> str:
        local = instant.astimezone(self.zone)
        return f"{_DAY_NAMES[local.weekday()]} {local.day} {_MONTH_NAMES[local.month - 1]} {local:%H:%M}"


def _utc(at: datetime) -> datetime:
    """``at`` in UTC; a naive datetime is a caller bug, since its zone is unknowable."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("ReleaseCalendar needs an aware datetime (UTC), got a naive one")
    return at.astimezone(UTC)
