"""The release calendar: windows, freezes, DST, the texts operators read."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relui.config import CalendarConfig, Freeze, Window, load_config
from relui.services.calendar import ReleaseCalendar

BERLIN = ZoneInfo("Europe/Berlin")
SHIPPED = Path(__file__).resolve().parents[2] / "config.toml"
YEAR_END = Freeze(date(2026, 12, 21), date(2027, 1, 4), "Year-end change freeze")
WORKDAYS = Window(("mon", "tue", "wed", "thu"), time(8), time(17))


def berlin(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A Berlin wall-clock time as an aware UTC datetime."""
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN).astimezone(UTC)


@pytest.fixture
def shipped() -> ReleaseCalendar:
    """The calendar of the shipped sandbox config."""
    return ReleaseCalendar(load_config(SHIPPED).calendar)


def calendar(*windows: Window, freezes: tuple[Freeze, ...] = (), tz: str = "Europe/Berlin") -> ReleaseCalendar:
    """A calendar built in code."""
    return ReleaseCalendar(CalendarConfig(timezone=tz, windows=windows, freezes=freezes))


# -- status ---------------------------------------------------------------------


def test_inside_a_window_it_is_open_until_the_local_end(shipped: ReleaseCalendar) -> None:
    status = shipped.status(berlin(2026, 11, 26, 11, 0))  # a Thursday
    assert status.open
    assert status.reason == "release window open until 17:00 Europe/Berlin"
    assert status.freeze is None and status.next_opening is None


def test_after_the_window_it_names_the_next_one(shipped: ReleaseCalendar) -> None:
    status = shipped.status(berlin(2026, 11, 26, 17, 0))  # end is exclusive
    assert not status.open
    assert status.reason == "outside release windows; next window Mon 30 Nov 08:00 Europe/Berlin"
    assert status.next_opening == datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
    assert status.next_opening.utcoffset() == timedelta(0)


def test_window_start_is_inclusive(shipped: ReleaseCalendar) -> None:
    assert shipped.status(berlin(2026, 11, 30, 8, 0)).open
    assert not shipped.status(berlin(2026, 11, 30, 7, 59)).open


def test_freeze_blocks_even_inside_window_hours(shipped: ReleaseCalendar) -> None:
    status = shipped.status(berlin(2026, 12, 22, 10, 0))  # Tuesday, 10:00
    assert not status.open
    assert status.freeze == YEAR_END
    assert status.reason == "change freeze until 2027-01-04: Year-end change freeze"
    assert status.next_opening == berlin(2027, 1, 5, 8, 0)  # Mon 4 Jan is still frozen


def test_freeze_dates_are_inclusive_local_days(shipped: ReleaseCalendar) -> None:
    # The freeze starts at Berlin midnight, which is 23:00 UTC the day before.
    assert shipped.status(berlin(2026, 12, 20, 23, 59)).freeze is None
    assert shipped.status(berlin(2026, 12, 21, 0, 0)).freeze == YEAR_END
    assert shipped.status(berlin(2027, 1, 4, 23, 59)).freeze == YEAR_END
    assert shipped.status(berlin(2027, 1, 5, 0, 0)).freeze is None
    assert shipped.status(berlin(2027, 1, 5, 8, 0)).open


def test_no_windows_means_open_outside_freezes() -> None:
    cal = calendar(freezes=(YEAR_END,))
    assert cal.status(berlin(2026, 11, 28, 3, 0)).open  # a Saturday night
    frozen = cal.status(berlin(2026, 12, 24, 12, 0))
    assert not frozen.open
    assert frozen.next_opening == berlin(2027, 1, 5, 0, 0)
    assert cal.next_windows(berlin(2026, 11, 28, 3, 0)) == []


def test_chained_freezes_open_after_the_last() -> None:
    first = Freeze(date(2026, 12, 21), date(2026, 12, 27), "Christmas")
    second = Freeze(date(2026, 12, 28), date(2027, 1, 4), "New year")
    cal = calendar(WORKDAYS, freezes=(first, second))
    status = cal.status(berlin(2026, 12, 22, 9, 0))
    assert status.freeze == first
    assert status.next_opening == berlin(2027, 1, 5, 8, 0)


def test_naive_datetime_is_refused(shipped: ReleaseCalendar) -> None:
    with pytest.raises(ValueError, match="aware"):
        shipped.status(datetime(2026, 11, 26, 10, 0))


def test_any_aware_zone_is_accepted(shipped: ReleaseCalendar) -> None:
    tokyo = datetime(2026, 11, 26, 19, 0, tzinfo=ZoneInfo("Asia/Tokyo"))  # 11:00 Berlin
    assert shipped.status(tokyo).open


# -- next windows -----------------------------------------------------------------


def test_next_windows_skip_freezes_and_are_in_the_calendar_zone(shipped: ReleaseCalendar) -> None:
    windows = shipped.next_windows(berlin(2026, 12, 17, 18, 0))  # Thursday evening before the freeze
    starts = [start.date() for start, _ in windows]
    assert starts == [date(2027, 1, 5), date(2027, 1, 6), date(2027, 1, 7), date(2027, 1, 11), date(2027, 1, 12)]
    for start, end in windows:
        assert start.tzinfo == BERLIN and end.tzinfo == BERLIN
        assert (start.hour, end.hour) == (8, 17)


def test_next_windows_include_the_one_in_progress(shipped: ReleaseCalendar) -> None:
    now = berlin(2026, 11, 26, 12, 0)
    first = shipped.next_windows(now, count=1)
    assert first == [(datetime(2026, 11, 26, 8, 0, tzinfo=BERLIN), datetime(2026, 11, 26, 17, 0, tzinfo=BERLIN))]
    assert shipped.next_windows(now, count=0) == []
    assert len(shipped.next_windows(now, count=12)) == 12


def test_overlapping_windows_merge() -> None:
    cal = calendar(Window(("mon",), time(8), time(12)), Window(("mon",), time(11), time(15)))
    windows = cal.next_windows(berlin(2026, 11, 30, 0, 0), count=1)
    assert [(s.hour, e.hour) for s, e in windows] == [(8, 15)]
    assert cal.status(berlin(2026, 11, 30, 11, 30)).reason == "release window open until 15:00 Europe/Berlin"


def test_freezes_ahead_include_the_current_and_skip_the_past(shipped: ReleaseCalendar) -> None:
    assert shipped.freezes_ahead(berlin(2026, 11, 26, 10, 0)) == [YEAR_END]
    assert shipped.freezes_ahead(berlin(2027, 1, 4, 20, 0)) == [YEAR_END]
    assert shipped.freezes_ahead(berlin(2027, 1, 5, 0, 0)) == []


# -- DST: Europe/Berlin switches on the last Sundays of March and October ----------


def test_windows_follow_the_wall_clock_across_spring_forward() -> None:
    cal = calendar(Window(("fri", "mon"), time(8), time(17)))
    before, after = cal.next_windows(berlin(2027, 3, 26, 0, 0), count=2)  # Fri 26 Mar, Mon 29 Mar
    assert before[0].astimezone(UTC).hour == 7  # CET, UTC+1
    assert after[0].astimezone(UTC).hour == 6  # CEST, UTC+2
    assert (before[0].hour, after[0].hour) == (8, 8)


def test_windows_follow_the_wall_clock_across_fall_back() -> None:
    cal = calendar(Window(("fri", "mon"), time(8), time(17)))
    before, after = cal.next_windows(berlin(2026, 10, 23, 0, 0), count=2)  # Fri 23 Oct, Mon 26 Oct
    assert before[0].astimezone(UTC).hour == 6
    assert after[0].astimezone(UTC).hour == 7
    assert cal.status(datetime(2026, 10, 26, 6, 30, tzinfo=UTC)).open is False  # 07:30 CET
    assert cal.status(datetime(2026, 10, 23, 6, 30, tzinfo=UTC)).open is True  # 08:30 CEST


def test_window_on_the_short_night_lasts_its_real_length() -> None:
    # 01:00-04:00 on the spring-forward Sunday is only two real hours long.
    cal = calendar(Window(("sun",), time(1), time(4)))
    ((start, end),) = cal.next_windows(berlin(2027, 3, 28, 0, 0), count=1)
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=2)
    assert cal.status(datetime(2027, 3, 28, 0, 30, tzinfo=UTC)).open  # 01:30 CET
    assert cal.status(datetime(2027, 3, 28, 1, 30, tzinfo=UTC)).open  # 03:30 CEST
    assert not cal.status(datetime(2027, 3, 28, 2, 0, tzinfo=UTC)).open  # 04:00 CEST


def test_window_starting_inside_the_gap_opens_when_the_clock_resumes() -> None:
    cal = calendar(Window(("sun",), time(2, 30), time(5)))
    ((start, _end),) = cal.next_windows(berlin(2027, 3, 28, 0, 0), count=1)
    assert start.astimezone(UTC) == datetime(2027, 3, 28, 1, 0, tzinfo=UTC)  # 03:00 CEST, as the clock resumes
    assert start.hour == 3 and start.minute == 0


def test_window_wholly_inside_the_gap_never_opens() -> None:
    cal = calendar(Window(("sun",), time(2, 10), time(2, 50)))
    ((start, _end),) = cal.next_windows(berlin(2027, 3, 28, 0, 0), count=1)
    assert start.date() == date(2027, 4, 4)


def test_window_on_the_long_night_lasts_its_real_length() -> None:
    cal = calendar(Window(("sun",), time(1), time(4)))
    ((start, end),) = cal.next_windows(berlin(2026, 10, 25, 0, 0), count=1)
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=4)


# -- banner and cadence -----------------------------------------------------------


def test_banner_texts(shipped: ReleaseCalendar) -> None:
    assert shipped.banner(berlin(2026, 11, 26, 11, 0)) == "window open until 17:00 CET"
    assert shipped.banner(berlin(2026, 11, 27, 11, 0)) == "next window Mon 08:00 CET"
    assert shipped.banner(berlin(2026, 12, 24, 11, 0)) == "FREEZE until 4 Jan: Year-end change freeze"
    # More than a week away: the weekday alone would be ambiguous.
    assert shipped.banner(berlin(2026, 12, 17, 18, 0)) == "next window Tue 5 Jan 08:00 CET"
    assert calendar().banner(berlin(2026, 11, 27, 11, 0)) == "open: no release windows"


def test_the_banner_names_the_zone_of_its_time_the_one_non_utc_time_on_the_dashboard(
    shipped: ReleaseCalendar,
) -> None:
    assert shipped.banner(berlin(2026, 6, 30, 11, 0)) == "window open until 17:00 CEST"
    # Asked on a Friday in winter time, the next window opens after the clocks change: its own zone name.
    assert shipped.banner(berlin(2027, 3, 26, 18, 0)) == "next window Mon 08:00 CEST"


def test_cadence_lines(shipped: ReleaseCalendar) -> None:
    assert shipped.cadence() == ["minor: every 2-4 weeks", "hotfix: as needed", "major: every 3 months"]
    weekly = ReleaseCalendar(CalendarConfig(minor_every_weeks=(1, 1), major_every_months=1))
    assert weekly.cadence() == ["minor: every week", "hotfix: as needed", "major: every month"]


# -- properties -------------------------------------------------------------------

ZONES = st.sampled_from(["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "UTC", "Asia/Kolkata"])
DAYS = st.lists(st.sampled_from(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]), min_size=1, unique=True)
MOMENTS = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31)).map(
    lambda d: d.replace(tzinfo=UTC)
)


@st.composite
def windows(draw: st.DrawFn) -> Window:
    """A weekly window with a start before its end, at any minute of the day."""
    start = draw(st.integers(0, 23 * 60 + 58))
    end = draw(st.integers(start + 1, 23 * 60 + 59))
    return Window(tuple(draw(DAYS)), time(start // 60, start % 60), time(end // 60, end % 60))


@st.composite
def freezes(draw: st.DrawFn) -> Freeze:
    """A freeze of up to three weeks within the sampled years."""
    start = draw(st.dates(min_value=date(2026, 1, 1), max_value=date(2028, 12, 31)))
    return Freeze(start, start + timedelta(days=draw(st.integers(0, 21))), "freeze")


CALENDARS = st.builds(
    lambda tz, ws, fs: ReleaseCalendar(CalendarConfig(timezone=tz, windows=tuple(ws), freezes=tuple(fs))),
    ZONES,
    st.lists(windows(), min_size=1, max_size=3),
    st.lists(freezes(), max_size=3),
)


@settings(max_examples=300, deadline=None)
@given(cal=CALENDARS, at=MOMENTS)
def test_open_agrees_with_next_windows_containment(cal: ReleaseCalendar, at: datetime) -> None:
    status = cal.status(at)
    upcoming = cal.next_windows(at, count=1)
    contains = bool(upcoming) and upcoming[0][0] <= at < upcoming[0][1]
    assert status.open == contains
    if status.open:
        assert status.next_opening is None


@settings(max_examples=200, deadline=None)
@given(cal=CALENDARS, at=MOMENTS)
def test_next_opening_is_the_next_window_start_and_opens(cal: ReleaseCalendar, at: datetime) -> None:
    status = cal.status(at)
    if status.open:
        return
    upcoming = cal.next_windows(at, count=1)
    assert status.next_opening is not None
    assert status.next_opening.tzinfo == UTC
    # Compare instants in UTC: PEP 495 makes a time in the autumn fold unequal to any other zone's.
    assert upcoming and status.next_opening == upcoming[0][0].astimezone(UTC)
    assert status.next_opening > at
    assert cal.status(status.next_opening).open


@settings(max_examples=200, deadline=None)
@given(cal=CALENDARS, at=MOMENTS)
def test_next_windows_are_ordered_disjoint_and_unfrozen(cal: ReleaseCalendar, at: datetime) -> None:
    found = cal.next_windows(at, count=5)
    assert found, "a weekly window always recurs"
    previous_end = None
    for start, end in found:
        assert start < end and end > at
        if previous_end is not None:
            assert start > previous_end
        previous_end = end
        assert cal.freeze_on(start.date()) is None
        assert cal.status(start).open
