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


def dst_transitions(name: str) -> list[datetime]:
    """Every UTC hour in 2026-2027 at which the zone changes its offset."""
    zone, found = ZoneInfo(name), []
    at = YEAR_START
    offset = at.astimezone(zone).utcoffset()
    while at.year < 2028:
        at += timedelta(hours=1)
        if at.astimezone(zone).utcoffset() != offset:
            found.append(at)
            offset = at.astimezone(zone).utcoffset()
    return found


# UTC has none; its calendars get starts around the other zones' transitions, which are as good as any.
TRANSITIONS = {name: dst_transitions(name) for name in ZONES[:3]}
TRANSITIONS["UTC"] = [at for name in ZONES[:3] for at in TRANSITIONS[name]]


def clock(minute: int) -> time:
    return time(minute // 60 % 24, minute % 60)


# Window starts favour the small hours, where the DST transitions of these zones are. The strategies are built once
# and combined arithmetically, because strategies created inside a draw make generation the slowest part of the run.
starts = st.one_of(st.integers(0, 1439), st.sampled_from([60, 90, 120, 150, 180, 210]))
minutes_of_day = st.integers(0, 1439)
lengths = st.integers(15, 1440)


@st.composite
def windows(draw: st.DrawFn) -> Window:
    start = draw(starts)
    if draw(st.booleans()) and start >= 1:
        # Ends on the next day before it starts, and lasts at least 15 minutes.
        end = max(draw(minutes_of_day) % start, start + 15 - 1440)
        return Window(clock(start), clock(end), overnight=True)
    start = min(start, 1440 - 15)
    return Window(clock(start), clock(min(start + draw(lengths), 1440)))


days_2026_2027 = st.dates(date(2026, 1, 1), date(2027, 12, 31))


@st.composite
def closure_spans(draw: st.DrawFn) -> tuple[time, time]:
    start = draw(minutes_of_day)
    return clock(start), clock(min(start + draw(lengths), 1440))


week = st.dictionaries(st.integers(0, 6), st.lists(windows(), min_size=1, max_size=3), min_size=1, max_size=7)
# The DST transitions of these zones fall early on a Sunday, in the hours 01:00-03:30: windows that start or end
# then (and Saturday night shifts that run into them) are what exercise the gap and overlap rules.
small_hours = st.sampled_from([60, 90, 120, 135, 150, 165, 180, 210])
dst_windows = st.builds(
    lambda start, length: Window(clock(start), clock(start + length)),
    small_hours,
    st.sampled_from([15, 30, 60, 120, 240]),
)
into_dst = st.builds(
    lambda start, end: Window(clock(start), clock(end), overnight=True), st.sampled_from([1320, 1410]), small_hours
)
weekend_nights = st.fixed_dictionaries(
    {
        5: st.lists(st.one_of(windows(), into_dst), max_size=2),
        6: st.lists(st.one_of(windows(), dst_windows), max_size=2),
    }
)
dst_nights = st.fixed_dictionaries(
    {5: st.lists(into_dst, max_size=1), 6: st.lists(dst_windows, min_size=1, max_size=2)}
)


@st.composite
def configs(draw: st.DrawFn, tz: str | None = None, dst: bool = False) -> dict[str, Any]:
    """Keyword arguments for BusinessCalendar and NaiveCalendar alike; `dst` forces windows on DST nights."""
    country, subdivision = draw(st.sampled_from(HOLIDAY_REGIONS))
    weekly = draw(week)
    if dst:
        weekly.update({day: found for day, found in draw(dst_nights).items() if found})
    elif draw(st.booleans()):
        weekly.update({day: found for day, found in draw(weekend_nights).items() if found})
    return {
        "name": "drawn",
        "tz": tz or draw(st.sampled_from(ZONES)),
        "weekly": weekly,
        "country": country,
        "subdivision": subdivision,
        "closed_dates": draw(st.lists(days_2026_2027, max_size=20)),
        "partial_closures": draw(st.dictionaries(days_2026_2027, st.lists(closure_spans(), max_size=2), max_size=4)),
    }


anywhere = st.integers(0, TWO_YEARS_MINUTES)
around = st.integers(-3 * 1440, 3 * 1440)
# Most starts of the naive comparison fall in the day before a transition, so its one-day span crosses it.
just_before = st.integers(-1440, 360)
sub_minute = st.integers(0, 60_000_000 - 1)


@st.composite
def cases(draw: st.DrawFn, fine: bool = True, dst: bool = False) -> tuple[dict[str, Any], datetime]:
    """A calendar's configuration and a start, usually near one of its zone's DST transitions.

    With `dst`, always a DST zone with windows on the transition nights, starting in the day before a transition.
    """
    tz = draw(st.sampled_from(ZONES[:3] if dst else ZONES))
    config = draw(configs(tz, dst))
    near = just_before if dst else around
    if dst or draw(st.integers(0, 3)):
        start = draw(st.sampled_from(TRANSITIONS[tz])) + draw(near) * MINUTE
    else:
        start = YEAR_START + draw(anywhere) * MINUTE
    # Seconds and microseconds too, except for the naive walker, which counts whole minutes.
    return config, (start + timedelta(microseconds=draw(sub_minute)) if fine else start)


calendars_and_starts = cases().map(lambda case: (BusinessCalendar(**case[0]), case[1]))
durations = st.integers(0, 40 * 3600).map(lambda seconds: timedelta(seconds=seconds))
positive_durations = st.integers(1, 40 * 3600).map(lambda seconds: timedelta(seconds=seconds))
Case = tuple[BusinessCalendar, datetime]


@common
@given(calendars_and_starts, durations)
def test_elapsed_inverts_add(case: Case, duration: timedelta) -> None:
    calendar, start = case
    assert calendar.elapsed(start, calendar.add(start, duration)) == duration


@common
@given(calendars_and_starts, durations, durations)
def test_add_is_monotonic_in_duration(case: Case, a: timedelta, b: timedelta) -> None:
    calendar, start = case
    shorter, longer = sorted((a, b))
    assert calendar.add(start, shorter) <= calendar.add(start, longer)


@common
@given(calendars_and_starts, st.integers(0, 3 * 24 * 3600), durations)
def test_add_is_monotonic_in_start(case: Case, later: int, d: timedelta) -> None:
    calendar, start = case
    assert calendar.add(start, d) <= calendar.add(start + timedelta(seconds=later), d)


@common
@given(calendars_and_starts, positive_durations, positive_durations)
def test_add_is_additive(case: Case, a: timedelta, b: timedelta) -> None:
    calendar, start = case
    assert calendar.add(calendar.add(start, a), b) == calendar.add(start, a + b)


@common
@given(calendars_and_starts, st.lists(st.integers(0, 5 * 24 * 3600), min_size=2, max_size=2))
def test_elapsed_is_additive(case: Case, gaps: list[int]) -> None:
    calendar, a = case
    b = a + timedelta(seconds=gaps[0])
    c = b + timedelta(seconds=gaps[1])
    assert calendar.elapsed(a, c) == calendar.elapsed(a, b) + calendar.elapsed(b, c)


@common
@given(calendars_and_starts, positive_durations)
def test_deadline_is_open_or_at_an_interval_end(case: Case, d: timedelta) -> None:
    calendar, start = case
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
@given(calendars_and_starts, st.integers(1, 4 * 24 * 3600))
def test_open_intervals_are_merged_and_agree(case: Case, span: int) -> None:
    calendar, start = case
    end = start + timedelta(seconds=span)
    intervals = list(calendar.open_intervals(start, end))
    assert all(start <= low < high <= end for low, high in intervals)
    assert all(earlier[1] < later[0] for earlier, later in zip(intervals, intervals[1:], strict=False))
    assert sum((high - low for low, high in intervals), timedelta(0)) == calendar.elapsed(start, end)
    for low, high in intervals:
        assert calendar.is_open(low) and calendar.next_open(low) == low
        assert high == end or not calendar.is_open(high)


@settings(common, max_examples=80)
@given(st.one_of(cases(fine=False), cases(fine=False, dst=True)), st.integers(0, 6 * 60), st.integers(0, 24 * 60))
def test_agrees_with_minute_stepping(case: tuple[dict[str, Any], datetime], minutes: int, span: int) -> None:
    config, start = case
    fast, naive = BusinessCalendar(**config), NaiveCalendar(**config)
    # The naive walker is slow: keep the deadline within two days of the start.
    reachable = fast.elapsed(start, start + timedelta(days=2)) // MINUTE
    duration = min(minutes, reachable) * MINUTE
    assert naive.add(start, duration) == fast.add(start, duration)
    assert naive.elapsed(start, start + span * MINUTE) == fast.elapsed(start, start + span * MINUTE)
