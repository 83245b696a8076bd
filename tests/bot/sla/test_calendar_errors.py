"""Table tests for calendars that cannot work or are used wrongly, and for the 24/7 clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

import pytest

from bot.sla.calendar import AlwaysOpen, BusinessCalendar, Calendar, CalendarError, Window
from tests.bot.sla.test_calendar import NY, H, nine_to_five, ny


def test_always_open() -> None:
    clock: Calendar = AlwaysOpen()
    start = datetime(2026, 11, 21, 3, tzinfo=UTC)
    assert clock.name == "24/7"
    assert clock.add(start, 5 * H) == start + 5 * H
    assert clock.add(start, timedelta(0)) == start
    assert clock.elapsed(start, start + 5 * H) == 5 * H
    assert clock.elapsed(start + H, start) == timedelta(0)
    assert clock.is_open(start)
    assert clock.next_open(start) == start
    assert list(clock.open_intervals(start, start + H)) == [(start, start + H)]
    assert list(clock.open_intervals(start, start)) == []


def all_mondays(first: int, last: int) -> list[date]:
    day = date(first, 1, 1)
    day += timedelta(days=-day.weekday() % 7)
    mondays = []
    while day.year <= last:
        mondays.append(day)
        day += timedelta(days=7)
    return mondays


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda: BusinessCalendar("mars", "Mars/Base", {0: [Window(time(9), time(17))]}),
            "calendar 'mars': unknown time zone 'Mars/Base'",
        ),
        (lambda: nine_to_five(country="XX"), "calendar 'desk': unknown holiday country 'XX'"),
        (
            lambda: nine_to_five(country="US", subdivision="ZZ"),
            "calendar 'desk': unknown holiday subdivision 'ZZ' for country 'US'",
        ),
        (lambda: nine_to_five(subdivision="NY"), "calendar 'desk': subdivision 'NY' needs a country"),
        (lambda: BusinessCalendar("empty", NY, {}), "calendar 'empty' has no working time"),
        (lambda: BusinessCalendar("empty", NY, {0: [], 1: []}), "calendar 'empty' has no working time"),
        (
            lambda: BusinessCalendar("bad", NY, {7: [Window(time(9), time(17))]}),
            "calendar 'bad': weekday 7 is not 0 (Monday) to 6 (Sunday)",
        ),
        (lambda: Window(time(17), time(9)), "window 17:00-09:00 ends before it starts"),
        (lambda: Window(time(9), time(9)), "window 09:00-09:00 ends before it starts"),
        (lambda: Window(time(6), time(22), overnight=True), "overnight window 06:00-22:00 (overnight) must end"),
        (lambda: Window(time(0), time(0), overnight=True), "overnight window 00:00-00:00 (overnight) must end"),
        (lambda: Window(time(9, 0, 0, 5), time(17)), "boundaries must be whole seconds"),
        (
            lambda: nine_to_five(partial_closures={date(2026, 12, 24): [(time(13), time(12))]}),
            "partial closure on 2026-12-24 from 13:00 to 12:00 ends before it starts",
        ),
        (lambda: nine_to_five(closed_dates=[datetime(2026, 12, 24)]), "closed date"),
    ],
    ids=[
        "time-zone",
        "country",
        "subdivision",
        "subdivision-alone",
        "no-windows",
        "empty-days",
        "weekday",
        "backwards-window",
        "empty-window",
        "overnight-forwards",
        "overnight-midnight",
        "microseconds",
        "backwards-closure",
        "datetime-as-date",
    ],
)
def test_calendar_errors(build: Callable[[], object], message: str) -> None:
    with pytest.raises(CalendarError) as raised:
        build()
    assert message in str(raised.value)


def test_whole_day_window_is_valid() -> None:
    calendar = BusinessCalendar("mondays", "UTC", {0: [Window(time(0), time(0))]})
    monday = datetime(2026, 11, 23, tzinfo=UTC)
    assert calendar.elapsed(monday, monday + 48 * H) == 24 * H


def test_everything_closed_raises_instead_of_looping() -> None:
    calendar = BusinessCalendar("mondays", NY, {0: [Window(time(9), time(17))]}, closed_dates=all_mondays(2026, 2029))
    start = ny(2026, 1, 1)
    with pytest.raises(CalendarError, match="calendar 'mondays' has no working time within"):
        calendar.add(start, H)
    with pytest.raises(CalendarError, match="has no working time within"):
        calendar.next_open(start)
    assert calendar.elapsed(start, ny(2028, 1, 1)) == timedelta(0)
    assert list(calendar.open_intervals(start, ny(2028, 1, 1))) == []
    assert calendar.add(ny(2029, 6, 1), H) == ny(2030, 1, 7, 10)


@pytest.mark.parametrize("calendar", [nine_to_five(), AlwaysOpen()], ids=["business", "always-open"])
def test_naive_datetimes_are_refused(calendar: Calendar) -> None:
    naive, aware = datetime(2026, 11, 23, 12), ny(2026, 11, 23, 12)
    calls = [
        lambda: calendar.add(naive, H),
        lambda: calendar.elapsed(naive, aware),
        lambda: calendar.elapsed(aware, naive),
        lambda: calendar.is_open(naive),
        lambda: calendar.next_open(naive),
        lambda: list(calendar.open_intervals(naive, aware)),
    ]
    for call in calls:
        with pytest.raises(ValueError, match="must be timezone-aware"):
            call()


@pytest.mark.parametrize("calendar", [nine_to_five(), AlwaysOpen()], ids=["business", "always-open"])
def test_negative_duration_is_refused(calendar: Calendar) -> None:
    with pytest.raises(ValueError, match="must not be negative"):
        calendar.add(ny(2026, 11, 23, 12), -H)
