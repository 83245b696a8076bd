"""Properties of business-time arithmetic over random calendars and starts around the DST transitions of 2026-2027."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.naive_calendar import NaiveCalendar
from bot.sla.calendar import BusinessCalendar, Window

ZONES = ["America/New_York", "Europe/Berlin", "Australia/Sydney", "UTC"]
HOLIDAY_REGIONS = [(None, None), ("US", None), ("DE", "BE"), ("AU", "NSW")]
YEAR_START = datetime(2026, 1, 1, tzinfo=UTC)
TWO_YEARS_MINUTES = 2 * 365 * 24 * 60
MINUTE = timedelta(minutes=1)

# Database off: the examples are cheap to regenerate and the run must not leave files in the tree.
common = settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


def dst_transitions() -> list[datetime]:
    """Every UTC hour in 2026-2027 at which one of the DST zones changes its offset."""
    found = []
    for name in ZONES[:3]:
        zone = ZoneInfo(name)
        at = YEAR_START
        offset = at.astimezone(zone).utcoffset()
        while at.year < 2028:
            at += timedelta(hours=1)
            now = at.astimezone(zone).utcoffset()
            if now != offset:
                found.append(at)
                offset = now
    return found


TRANSITIONS = dst_transitions()


def clock(minute: int) -> time:
    return time(minute // 60 % 24, minute % 60)


# Window starts favour the small hours, where the DST transitions of these zones are.
starts = st.one_of(st.integers(0, 1439), st.sampled_from([60, 90, 120, 150, 180, 210]))


@st.composite
def windows(draw: st.DrawFn) -> Window:
    if draw(st.booleans()):
        start = draw(starts.filter(lambda minute: minute >= 1))
        end = draw(st.integers(max(0, start + 15 - 1440), start - 1))
        return Window(clock(start), clock(end), overnight=True)
    start = draw(starts.map(lambda minute: min(minute, 1440 - 15)))
    end = draw(st.integers(start + 15, 1440))
    return Window(clock(start), clock(end))


days_2026_2027 = st.dates(date(2026, 1, 1), date(2027, 12, 31))


@st.composite
def closure_spans(draw: st.DrawFn) -> tuple[time, time]:
    start = draw(st.integers(0, 1439))
    end = draw(st.integers(start + 1, 1440))
    return clock(start), clock(end)


@st.composite
def configs(draw: st.DrawFn) -> dict[str, Any]:
    """Keyword arguments for BusinessCalendar and NaiveCalendar alike."""
    weekly = {day: draw(st.lists(windows(), max_size=3)) for day in range(7)}
    if not any(weekly.values()):
        weekly[draw(st.integers(0, 6))] = [draw(windows())]
    country, subdivision = draw(st.sampled_from(HOLIDAY_REGIONS))
    return {
        "name": "drawn",
        "tz": draw(st.sampled_from(ZONES)),
        "weekly": weekly,
        "country": country,
        "subdivision": subdivision,
        "closed_dates": draw(st.lists(days_2026_2027, max_size=20)),
        "partial_closures": draw(st.dictionaries(days_2026_2027, st.lists(closure_spans(), max_size=2), max_size=4)),
    }


calendars = configs().map(lambda config: BusinessCalendar(**config))

whole_minutes = st.one_of(
    st.builds(lambda at, offset: at + offset * MINUTE, st.sampled_from(TRANSITIONS), st.integers(-4320, 4320)),
    st.integers(0, TWO_YEARS_MINUTES).map(lambda offset: YEAR_START + offset * MINUTE),
)
# Finer instants for the properties that do not need the naive walker: seconds and microseconds too.
instants = st.builds(
    lambda at, micros: at + timedelta(microseconds=micros), whole_minutes, st.integers(0, 60_000_000 - 1)
)
durations = st.integers(0, 40 * 3600).map(lambda seconds: timedelta(seconds=seconds))
positive_durations = st.integers(1, 40 * 3600).map(lambda seconds: timedelta(seconds=seconds))


@common
@given(calendars, instants, durations)
def test_elapsed_inverts_add(calendar: BusinessCalendar, start: datetime, duration: timedelta) -> None:
    assert calendar.elapsed(start, calendar.add(start, duration)) == duration


@common
@given(calendars, instants, durations, durations)
def test_add_is_monotonic_in_duration(calendar: BusinessCalendar, start: datetime, a: timedelta, b: timedelta) -> None:
    shorter, longer = sorted((a, b))
    assert calendar.add(start, shorter) <= calendar.add(start, longer)


@common
@given(calendars, instants, st.integers(0, 3 * 24 * 3600), durations)
def test_add_is_monotonic_in_start(calendar: BusinessCalendar, start: datetime, later: int, d: timedelta) -> None:
    assert calendar.add(start, d) <= calendar.add(start + timedelta(seconds=later), d)


@common
@given(calendars, instants, positive_durations, positive_durations)
def test_add_is_additive(calendar: BusinessCalendar, start: datetime, a: timedelta, b: timedelta) -> None:
    assert calendar.add(calendar.add(start, a), b) == calendar.add(start, a + b)


@common
@given(calendars, instants, st.lists(st.integers(0, 5 * 24 * 3600), min_size=2, max_size=2))
def test_elapsed_is_additive(calendar: BusinessCalendar, a: datetime, gaps: list[int]) -> None:
    b = a + timedelta(seconds=gaps[0])
    c = b + timedelta(seconds=gaps[1])
    assert calendar.elapsed(a, c) == calendar.elapsed(a, b) + calendar.elapsed(b, c)


@common
@given(calendars, instants, positive_durations)
def test_deadline_is_open_or_at_an_interval_end(calendar: BusinessCalendar, start: datetime, d: timedelta) -> None:
    deadline = calendar.add(start, d)
    assert deadline > start
    # Just before a positive deadline the clock was running, so the deadline is never inside a closed span.
    assert calendar.is_open(deadline - timedelta(microseconds=1))
    containing = [
        (low, high)
        for low, high in calendar.open_intervals(calendar.next_open(start), deadline + timedelta(days=1))
        if low < deadline <= high
    ]
    assert len(containing) == 1
    assert calendar.is_open(deadline) or deadline == containing[0][1]


@common
@given(calendars, instants, st.integers(1, 4 * 24 * 3600))
def test_open_intervals_are_merged_and_agree(calendar: BusinessCalendar, start: datetime, span: int) -> None:
    end = start + timedelta(seconds=span)
    intervals = list(calendar.open_intervals(start, end))
    assert all(start <= low < high <= end for low, high in intervals)
    assert all(earlier[1] < later[0] for earlier, later in zip(intervals, intervals[1:], strict=False))
    assert sum((high - low for low, high in intervals), timedelta(0)) == calendar.elapsed(start, end)
    for low, high in intervals:
        assert calendar.is_open(low) and calendar.next_open(low) == low
        assert high == end or not calendar.is_open(high)


@settings(common, max_examples=60)
@given(configs(), whole_minutes, st.integers(0, 6 * 60), st.integers(0, 24 * 60))
def test_agrees_with_minute_stepping(config: dict[str, Any], start: datetime, minutes: int, span: int) -> None:
    fast, naive = BusinessCalendar(**config), NaiveCalendar(**config)
    # The naive walker is slow: keep the deadline within two days of the start.
    reachable = fast.elapsed(start, start + timedelta(days=2)) // MINUTE
    duration = min(minutes, reachable) * MINUTE
    assert naive.add(start, duration) == fast.add(start, duration)
    assert naive.elapsed(start, start + span * MINUTE) == fast.elapsed(start, start + span * MINUTE)
