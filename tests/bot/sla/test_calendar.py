"""Table tests for business-time arithmetic: windows, overnight shifts, holidays, closures, DST and errors."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.sla.calendar import BusinessCalendar, Window

NY, BERLIN, SYDNEY = "America/New_York", "Europe/Berlin", "Australia/Sydney"
WEEKDAYS = range(5)
H = timedelta(hours=1)


def local(zone: str, *parts: int) -> datetime:
    """A wall-clock time in `zone` (first occurrence when ambiguous) as a UTC instant."""
    return datetime(*parts, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def ny(*parts: int) -> datetime:
    return local(NY, *parts)


def nine_to_five(**options: object) -> BusinessCalendar:
    return BusinessCalendar("desk", NY, {day: [Window(time(9), time(17))] for day in WEEKDAYS}, **options)


def lunch_split() -> BusinessCalendar:
    windows = [Window(time(9), time(12)), Window(time(13), time(17))]
    return BusinessCalendar("lunch", NY, {day: windows for day in WEEKDAYS})


def night_shift(days: range = WEEKDAYS, **options: object) -> BusinessCalendar:
    return BusinessCalendar("nights", NY, {day: [Window(time(22), time(6), overnight=True)] for day in days}, **options)


def sunday_window(zone: str, start: time, end: time) -> BusinessCalendar:
    return BusinessCalendar("sunday", zone, {6: [Window(start, end)]})


# 2026-11-20 is a Friday; 2026-11-23 the Monday after.
@pytest.mark.parametrize(
    ("start", "duration", "deadline"),
    [
        (ny(2026, 11, 20, 16), 2 * H, ny(2026, 11, 23, 10)),
        (ny(2026, 11, 23, 9), 8 * H, ny(2026, 11, 23, 17)),
        (ny(2026, 11, 23, 17), timedelta(seconds=1), ny(2026, 11, 24, 9, 0, 1)),
        (ny(2026, 11, 21, 12), H, ny(2026, 11, 23, 10)),
        (ny(2026, 11, 23, 12), 24 * H, ny(2026, 11, 26, 12)),
        (ny(2026, 11, 23, 12), 80 * H, ny(2026, 12, 7, 12)),
        (ny(2026, 11, 23, 9, 0, 0, 500_000), H, ny(2026, 11, 23, 10, 0, 0, 500_000)),
        # Across the spring-forward weekend: same wall clock on Monday, one hour less offset.
        (ny(2026, 3, 6, 16), 2 * H, datetime(2026, 3, 9, 14, tzinfo=UTC)),
    ],
    ids=[
        "fri-16+2h",
        "ends-exactly-at-close",
        "one-second-after-close",
        "weekend",
        "three-days",
        "ten-days",
        "microseconds-kept",
        "across-dst",
    ],
)
def test_nine_to_five_deadlines(start: datetime, duration: timedelta, deadline: datetime) -> None:
    calendar = nine_to_five()
    assert calendar.add(start, duration) == deadline
    assert calendar.elapsed(start, deadline) == duration


def test_add_zero_returns_start_even_outside_hours() -> None:
    saturday = ny(2026, 11, 21, 3)
    assert nine_to_five().add(saturday, timedelta(0)) == saturday


def test_elapsed_is_zero_when_end_is_not_after_start() -> None:
    calendar = nine_to_five()
    assert calendar.elapsed(ny(2026, 11, 23, 12), ny(2026, 11, 23, 10)) == timedelta(0)
    assert calendar.elapsed(ny(2026, 11, 23, 12), ny(2026, 11, 23, 12)) == timedelta(0)


@pytest.mark.parametrize(
    ("at", "is_open", "next_open"),
    [
        (ny(2026, 11, 23, 9), True, ny(2026, 11, 23, 9)),
        (ny(2026, 11, 23, 8, 59, 59), False, ny(2026, 11, 23, 9)),
        (ny(2026, 11, 23, 16, 59, 59), True, ny(2026, 11, 23, 16, 59, 59)),
        (ny(2026, 11, 23, 17), False, ny(2026, 11, 24, 9)),
        (ny(2026, 11, 20, 17), False, ny(2026, 11, 23, 9)),
    ],
    ids=["start-inclusive", "just-before", "last-second", "end-exclusive", "friday-close"],
)
def test_boundaries(at: datetime, is_open: bool, next_open: datetime) -> None:
    calendar = nine_to_five()
    assert calendar.is_open(at) is is_open
    assert calendar.next_open(at) == next_open


def test_other_offsets_accepted_and_results_are_utc() -> None:
    start = datetime(2026, 11, 20, 16, tzinfo=ZoneInfo(NY))
    deadline = nine_to_five().add(start, 2 * H)
    assert deadline.tzinfo is UTC
    assert deadline == ny(2026, 11, 23, 10)


@pytest.mark.parametrize(
    ("start", "duration", "deadline"),
    [
        (ny(2026, 11, 23, 11), 2 * H, ny(2026, 11, 23, 14)),
        (ny(2026, 11, 23, 11), H, ny(2026, 11, 23, 12)),
        (ny(2026, 11, 23, 12, 30), H, ny(2026, 11, 23, 14)),
        (ny(2026, 11, 23, 16), 5 * H, ny(2026, 11, 24, 14)),
    ],
    ids=["over-lunch", "ends-at-lunch", "starts-in-lunch", "overnight-and-lunch"],
)
def test_lunch_split(start: datetime, duration: timedelta, deadline: datetime) -> None:
    calendar = lunch_split()
    assert calendar.add(start, duration) == deadline
    assert calendar.elapsed(start, deadline) == duration


def test_lunch_break_is_closed() -> None:
    calendar = lunch_split()
    assert not calendar.is_open(ny(2026, 11, 23, 12))
    assert calendar.next_open(ny(2026, 11, 23, 12, 30)) == ny(2026, 11, 23, 13)
    day = list(calendar.open_intervals(ny(2026, 11, 23), ny(2026, 11, 24)))
    assert day == [(ny(2026, 11, 23, 9), ny(2026, 11, 23, 12)), (ny(2026, 11, 23, 13), ny(2026, 11, 23, 17))]


@pytest.mark.parametrize(
    "windows",
    [
        [Window(time(9), time(12)), Window(time(11), time(14))],
        [Window(time(12), time(14)), Window(time(9), time(12))],
        [Window(time(9), time(14)), Window(time(10), time(11))],
    ],
    ids=["overlapping", "adjacent-unordered", "contained"],
)
def test_windows_merge(windows: list[Window]) -> None:
    calendar = BusinessCalendar("merged", NY, {0: windows})
    intervals = list(calendar.open_intervals(ny(2026, 11, 23), ny(2026, 11, 24)))
    assert intervals == [(ny(2026, 11, 23, 9), ny(2026, 11, 23, 14))]
    assert calendar.elapsed(ny(2026, 11, 23), ny(2026, 11, 24)) == 5 * H


def test_open_intervals_merge_across_days_and_clip() -> None:
    weekly = {4: [Window(time(22), time(6), overnight=True)], 5: [Window(time(0), time(12))]}
    calendar = BusinessCalendar("weekend", NY, weekly)
    intervals = list(calendar.open_intervals(ny(2026, 11, 20), ny(2026, 11, 23)))
    assert intervals == [(ny(2026, 11, 20, 22), ny(2026, 11, 21, 12))]
    clipped = list(calendar.open_intervals(ny(2026, 11, 21, 1), ny(2026, 11, 21, 2)))
    assert clipped == [(ny(2026, 11, 21, 1), ny(2026, 11, 21, 2))]
    assert list(calendar.open_intervals(ny(2026, 11, 21, 2), ny(2026, 11, 21, 1))) == []


def test_round_the_clock_calendar_walks_long_durations() -> None:
    calendar = BusinessCalendar("all week", "UTC", {day: [Window(time(0), time(0))] for day in range(7)})
    start = datetime(2026, 1, 1, 12, tzinfo=UTC)
    assert calendar.add(start, timedelta(days=400)) == start + timedelta(days=400)
    assert list(calendar.open_intervals(start, start + timedelta(days=3))) == [(start, start + timedelta(days=3))]


@pytest.mark.parametrize(
    ("start", "duration", "deadline"),
    [
        (ny(2026, 11, 20, 23), 8 * H, ny(2026, 11, 23, 23)),
        (ny(2026, 11, 23, 21), H, ny(2026, 11, 23, 23)),
        (ny(2026, 11, 24, 5), 2 * H, ny(2026, 11, 24, 23)),
        (ny(2026, 11, 22, 23), H, ny(2026, 11, 23, 23)),
    ],
    ids=["friday-night-into-monday", "before-the-shift", "end-of-shift", "no-sunday-shift"],
)
def test_overnight_window(start: datetime, duration: timedelta, deadline: datetime) -> None:
    calendar = night_shift()
    assert calendar.add(start, duration) == deadline
    assert calendar.elapsed(start, deadline) == duration


def test_friday_overnight_window_runs_into_saturday() -> None:
    calendar = night_shift()
    assert calendar.is_open(ny(2026, 11, 21, 5, 59, 59))
    assert not calendar.is_open(ny(2026, 11, 21, 6))
    assert not calendar.is_open(ny(2026, 11, 23, 3))  # Monday morning would be Sunday's shift: there is none.


@pytest.mark.parametrize(
    ("options", "start", "deadline"),
    [
        ({"country": "US"}, ny(2026, 11, 25, 16), ny(2026, 11, 27, 10)),
        ({"country": "US"}, ny(2026, 12, 24, 16), ny(2026, 12, 28, 10)),
        ({"country": "US", "closed_dates": [date(2026, 11, 27)]}, ny(2026, 11, 25, 16), ny(2026, 11, 30, 10)),
        ({"closed_dates": [date(2026, 11, 24)]}, ny(2026, 11, 23, 16), ny(2026, 11, 25, 10)),
        ({"country": "US", "subdivision": "NY"}, ny(2026, 11, 25, 16), ny(2026, 11, 27, 10)),
    ],
    ids=["thanksgiving", "christmas", "thanksgiving-and-listed-friday", "listed-only", "with-subdivision"],
)
def test_holidays_and_closed_dates(options: dict[str, object], start: datetime, deadline: datetime) -> None:
    calendar = nine_to_five(**options)
    assert calendar.add(start, 2 * H) == deadline
    assert calendar.elapsed(start, deadline) == 2 * H


def test_thanksgiving_is_closed_all_day() -> None:
    calendar = nine_to_five(country="US")
    assert not calendar.is_open(ny(2026, 11, 26, 12))
    assert list(calendar.open_intervals(ny(2026, 11, 26), ny(2026, 11, 27))) == []


def test_holiday_closes_the_night_shift_that_starts_on_it() -> None:
    calendar = night_shift(range(7), closed_dates=[date(2026, 12, 25)])
    assert calendar.is_open(ny(2026, 12, 25, 3))  # Christmas Eve's shift runs into Christmas morning.
    assert not calendar.is_open(ny(2026, 12, 25, 23))
    assert not calendar.is_open(ny(2026, 12, 26, 3))
    assert calendar.next_open(ny(2026, 12, 25, 6)) == ny(2026, 12, 26, 22)


def test_partial_closure_on_christmas_eve() -> None:
    closures = {date(2026, 12, 24): [(time(13), time(0))]}
    calendar = nine_to_five(country="US", partial_closures=closures)
    assert list(calendar.open_intervals(ny(2026, 12, 24), ny(2026, 12, 25))) == [
        (ny(2026, 12, 24, 9), ny(2026, 12, 24, 13))
    ]
    assert calendar.add(ny(2026, 12, 24, 12), 2 * H) == ny(2026, 12, 28, 10)
    assert calendar.add(ny(2026, 12, 24, 12), H) == ny(2026, 12, 24, 13)
    assert not calendar.is_open(ny(2026, 12, 24, 13))


def test_partial_closure_splits_a_window() -> None:
    calendar = nine_to_five(partial_closures={date(2026, 11, 23): [(time(11), time(12)), (time(15), time(16))]})
    assert calendar.elapsed(ny(2026, 11, 23), ny(2026, 11, 24)) == 6 * H
    assert calendar.add(ny(2026, 11, 23, 10), 2 * H) == ny(2026, 11, 23, 13)


def test_partial_closure_cuts_the_previous_night_shift() -> None:
    calendar = night_shift(range(7), partial_closures={date(2026, 12, 25): [(time(0), time(4))]})
    assert calendar.is_open(ny(2026, 12, 24, 23, 59))
    assert not calendar.is_open(ny(2026, 12, 25, 3))
    assert calendar.next_open(ny(2026, 12, 25, 0)) == ny(2026, 12, 25, 4)


@pytest.mark.parametrize(
    ("zone", "day", "hours"),
    [
        (NY, date(2026, 3, 8), 3),
        (NY, date(2026, 11, 1), 5),
        (BERLIN, date(2026, 3, 29), 3),
        (BERLIN, date(2026, 10, 25), 5),
        (SYDNEY, date(2026, 10, 4), 3),  # southern hemisphere: spring forward in October
        (SYDNEY, date(2026, 4, 5), 5),  # and fall back in April
        (NY, date(2026, 3, 15), 4),
    ],
    ids=["ny-spring", "ny-fall", "berlin-spring", "berlin-fall", "sydney-spring", "sydney-fall", "ny-ordinary"],
)
def test_one_to_five_window_on_dst_nights(zone: str, day: date, hours: int) -> None:
    calendar = sunday_window(zone, time(1), time(5))
    around = (local(zone, day.year, day.month, day.day) - 12 * H, local(zone, day.year, day.month, day.day) + 36 * H)
    assert calendar.elapsed(*around) == hours * H
    assert calendar.add(around[0], hours * H) == local(zone, day.year, day.month, day.day, 5)


@pytest.mark.parametrize(
    ("zone", "day", "opens"),
    [
        (NY, date(2026, 3, 8), datetime(2026, 3, 8, 7, tzinfo=UTC)),  # 03:00 EDT
        (BERLIN, date(2026, 3, 29), datetime(2026, 3, 29, 1, tzinfo=UTC)),  # 03:00 CEST
        (SYDNEY, date(2026, 10, 4), datetime(2026, 10, 3, 16, tzinfo=UTC)),  # 03:00 AEDT
    ],
    ids=["ny", "berlin", "sydney"],
)
def test_boundary_in_gap_moves_to_end_of_gap(zone: str, day: date, opens: datetime) -> None:
    calendar = sunday_window(zone, time(2, 30), time(6))
    midnight = local(zone, day.year, day.month, day.day)
    assert calendar.next_open(midnight) == opens
    assert not calendar.is_open(opens - timedelta(seconds=1))
    assert calendar.elapsed(midnight, midnight + 24 * H) == 3 * H


@pytest.mark.parametrize(
    ("zone", "day", "opens", "hours"),
    [
        (NY, date(2026, 11, 1), datetime(2026, 11, 1, 5, 30, tzinfo=UTC), 2.5),  # 01:30 EDT, the first 01:30
        (BERLIN, date(2026, 10, 25), datetime(2026, 10, 25, 0, 30, tzinfo=UTC), 4.5),  # 02:30 CEST
        (SYDNEY, date(2026, 4, 5), datetime(2026, 4, 4, 15, 30, tzinfo=UTC), 4.5),  # 02:30 AEDT
    ],
    ids=["ny", "berlin", "sydney"],
)
def test_boundary_in_overlap_uses_first_occurrence(zone: str, day: date, opens: datetime, hours: float) -> None:
    start = time(1, 30) if zone == NY else time(2, 30)
    calendar = sunday_window(zone, start, time(6) if zone != NY else time(3))
    midnight = local(zone, day.year, day.month, day.day)
    assert calendar.next_open(midnight) == opens
    assert calendar.elapsed(midnight, midnight + 24 * H) == hours * H


def test_overnight_window_on_spring_forward_night() -> None:
    calendar = night_shift(range(5, 6))  # Saturday 22:00 to Sunday 06:00
    assert calendar.elapsed(ny(2026, 3, 7, 12), ny(2026, 3, 8, 12)) == 7 * H
    assert calendar.elapsed(ny(2026, 10, 31, 12), ny(2026, 11, 1, 12)) == 9 * H
