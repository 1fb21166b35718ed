"""Reading [calendar]: the time zone, weekly release windows, freezes and cadence.

Times are wall-clock times in the calendar's zone (an offset would make them
incomparable with the others) and freezes are whole days in years relui can
count in (date arithmetic near 9999-12-31 overflows).
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from relui.config import WEEKDAYS, CalendarConfig, Freeze, Window
from relui.tomlpath import Table

# Freeze dates outside these years are typos.
_FIRST_DAY = date(2000, 1, 1)
_LAST_DAY = date(2999, 12, 31)


def _short(value: object) -> str:
    """A value for an error line: repr, cut short."""
    shown = repr(value)
    return shown if len(shown) <= 60 else shown[:57] + "..."


def _clock_time(t: Table, key: str) -> time:
    """A wall-clock time in the calendar's zone: "09:00" or a TOML local time, never with an offset."""
    value = t.raw(key, True)
    parsed: time | None = value if isinstance(value, time) else None
    if isinstance(value, str):
        try:
            parsed = time.fromisoformat(value)
        except ValueError:
            parsed = None
    if parsed is None:
        t.fail(t.path.key(key), f'expected a time like "09:00", got {_short(value)}')
    if parsed.tzinfo is not None:
        t.fail(t.path.key(key), "must not carry a UTC offset; windows are in [calendar] timezone")
    return parsed


def _date(t: Table, key: str) -> date:
    """A calendar day (TOML date or "2026-12-20") in a year relui can count days in."""
    value = t.raw(key, True)
    parsed: date | None = None
    if isinstance(value, datetime):
        t.fail(t.path.key(key), "expected a date like 2026-12-20, got a date-time; freezes are whole days")
    if isinstance(value, date):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = date.fromisoformat(value)
        except ValueError:
            parsed = None
    if parsed is None or isinstance(parsed, datetime):
        t.fail(t.path.key(key), f"expected a date like 2026-12-20, got {_short(value)}")
    if not _FIRST_DAY <= parsed <= _LAST_DAY:
        t.fail(t.path.key(key), f"must be between {_FIRST_DAY} and {_LAST_DAY}, got {parsed}")
    return parsed


def read_calendar(t: Table) -> CalendarConfig:
    """[calendar]: time zone, weekly windows, freezes and cadence."""
    tz = t.text("timezone", "UTC")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        t.fail(t.path.key("timezone"), f"unknown time zone {tz!r}; use an IANA name such as Europe/Berlin")
    windows = []
    for w in t.tables("windows"):
        days = w.texts("days", WEEKDAYS[:5])
        for day in days:
            if day not in WEEKDAYS:
                t.fail(w.path.key("days"), f"unknown day {day!r}; use {', '.join(WEEKDAYS)}")
        start, end = _clock_time(w, "start"), _clock_time(w, "end")
        if end <= start:
            t.fail(w.path.key("end"), "must be later than start")
        windows.append(Window(days=days, start=start, end=end))
        w.done()
    freezes = []
    for f in t.tables("freezes"):
        start_d, end_d = _date(f, "start"), _date(f, "end")
        if end_d < start_d:
            t.fail(f.path.key("end"), "must not be before start")
        freezes.append(Freeze(start=start_d, end=end_d, reason=f.text("reason", required=True)))
        f.done()
    minor = t.raw("minor_every_weeks", False)
    if minor is None:
        minor = [2, 4]
    whole = isinstance(minor, list) and all(isinstance(x, int) and not isinstance(x, bool) for x in minor)
    if not (whole and len(minor) == 2 and 1 <= minor[0] <= minor[1] <= 52):
        t.fail(t.path.key("minor_every_weeks"), "expected two whole numbers of weeks like [2, 4], 1 to 52")
    cal = CalendarConfig(
        timezone=tz,
        windows=tuple(windows),
        freezes=tuple(freezes),
        minor_every_weeks=(minor[0], minor[1]),
        major_every_months=t.num("major_every_months", 3, minimum=1, maximum=120, integer=True),
    )
    t.done()
    return cal
