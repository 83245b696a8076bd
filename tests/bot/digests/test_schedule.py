"""Digest sends and periods: across DST, catching up after downtime, and properties over any cadence and instant."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.digests.schedule import (
    Cadence,
    due_sends,
    parse_cadence,
    period_before,
    send_after,
    send_at_or_before,
)
from tests.bot.digests.schedule_times import NY, PARIS, TOKYO, H, local, utc

TICK = timedelta(microseconds=1)


def on(zone: str, day: date, at: time) -> datetime:
    return local(zone, day.year, day.month, day.day, at.hour, at.minute)


def daily(at: time, zone: str) -> Cadence:
    return Cadence("daily", at, zone)


# --- sends and periods across DST ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "day", "hours"),
    [
        (PARIS, date(2026, 3, 29), 23),
        (PARIS, date(2026, 3, 30), 24),
        (PARIS, date(2026, 10, 25), 25),
        (PARIS, date(2026, 10, 26), 24),
        (NY, date(2026, 3, 8), 23),
        (NY, date(2026, 11, 1), 25),
        (NY, date(2026, 11, 2), 24),
        (TOKYO, date(2026, 3, 29), 24),
    ],
)
def test_a_daily_period_spanning_a_dst_change_is_as_long_as_the_clocks_say(zone: str, day: date, hours: int) -> None:
    nine = time(9)
    start, end = period_before(daily(nine, zone), on(zone, day, nine))
    assert (start, end) == (on(zone, day - timedelta(days=1), nine), on(zone, day, nine))
    assert end - start == hours * H
    # 09:00 local on both sides of the change.
    assert start.astimezone(ZoneInfo(zone)).time() == end.astimezone(ZoneInfo(zone)).time() == time(9)


@pytest.mark.parametrize(
    ("zone", "after", "now", "expected"),
    [
        # Paris spring forward: 02:00 CET -> 03:00 CEST.
        (
            PARIS,
            utc(2026, 3, 27, 12),
            utc(2026, 3, 30, 12),
            [utc(2026, 3, 28, 8), utc(2026, 3, 29, 7), utc(2026, 3, 30, 7)],
        ),
        # Paris fall back: 03:00 CEST -> 02:00 CET.
        (
            PARIS,
            utc(2026, 10, 23, 12),
            utc(2026, 10, 26, 12),
            [utc(2026, 10, 24, 7), utc(2026, 10, 25, 8), utc(2026, 10, 26, 8)],
        ),
        (NY, utc(2026, 3, 6, 20), utc(2026, 3, 9, 20), [utc(2026, 3, 7, 14), utc(2026, 3, 8, 13), utc(2026, 3, 9, 13)]),
        (
            NY,
            utc(2026, 10, 30, 20),
            utc(2026, 11, 2, 20),
            [utc(2026, 10, 31, 13), utc(2026, 11, 1, 14), utc(2026, 11, 2, 14)],
        ),
    ],
)
def test_daily_sends_stay_at_nine_local_across_dst(
    zone: str, after: datetime, now: datetime, expected: list[datetime]
) -> None:
    assert due_sends(daily(time(9), zone), after, now, limit=10) == expected


@pytest.mark.parametrize(
    ("zone", "at", "days", "expected"),
    [
        # 02:30 does not exist in Paris on 29 March: the send is at 03:00 CEST, the end of the gap.
        (
            PARIS,
            time(2, 30),
            (date(2026, 3, 28), date(2026, 3, 31)),
            [utc(2026, 3, 28, 1, 30), utc(2026, 3, 29, 1), utc(2026, 3, 30, 0, 30)],
        ),
        # 02:30 happens twice in Paris on 25 October: the send is at the first, 02:30 CEST.
        (
            PARIS,
            time(2, 30),
            (date(2026, 10, 24), date(2026, 10, 27)),
            [utc(2026, 10, 24, 0, 30), utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30)],
        ),
        # 01:30 happens twice in New York on 1 November: the send is at the first, 01:30 EDT.
        (
            NY,
            time(1, 30),
            (date(2026, 10, 31), date(2026, 11, 3)),
            [utc(2026, 10, 31, 5, 30), utc(2026, 11, 1, 5, 30), utc(2026, 11, 2, 6, 30)],
        ),
        # 02:30 does not exist in New York on 8 March.
        (
            NY,
            time(2, 30),
            (date(2026, 3, 7), date(2026, 3, 10)),
            [utc(2026, 3, 7, 7, 30), utc(2026, 3, 8, 7), utc(2026, 3, 9, 6, 30)],
        ),
    ],
)
def test_a_send_time_in_a_gap_or_an_overlap_happens_exactly_once_a_day(
    zone: str, at: time, days: tuple[date, date], expected: list[datetime]
) -> None:
    cadence = daily(at, zone)
    assert due_sends(cadence, on(zone, days[0], time(0)), on(zone, days[1], time(0)), limit=10) == expected
    # Each send's period starts at the one before: nothing is skipped or sent twice.
    for previous, send in zip(expected, expected[1:], strict=False):
        assert period_before(cadence, send) == (previous, send)
        assert send_after(cadence, previous) == send


def test_the_second_occurrence_of_an_ambiguous_send_time_is_not_a_send() -> None:
    cadence = daily(time(1, 30), NY)
    first = local(NY, 2026, 11, 1, 1, 30)
    second = local(NY, 2026, 11, 1, 1, 30, fold=1)
    assert second - first == H
    assert send_at_or_before(cadence, second) == first
    assert send_after(cadence, first) == local(NY, 2026, 11, 2, 1, 30)


def test_a_send_instant_is_at_or_before_itself_and_not_after_itself() -> None:
    cadence = daily(time(9), PARIS)
    send = local(PARIS, 2026, 6, 1, 9)
    assert send_at_or_before(cadence, send) == send
    assert send_at_or_before(cadence, send - TICK) == local(PARIS, 2026, 5, 31, 9)
    assert send_after(cadence, send - TICK) == send
    assert send_after(cadence, send) == local(PARIS, 2026, 6, 2, 9)


def test_instants_in_any_zone_are_accepted_and_answers_are_utc() -> None:
    cadence = daily(time(9), PARIS)
    in_tokyo = datetime(2026, 6, 1, 18, tzinfo=ZoneInfo(TOKYO))  # 09:00 UTC, 11:00 Paris
    send = send_at_or_before(cadence, in_tokyo)
    assert send == utc(2026, 6, 1, 7)
    assert send.tzinfo is UTC
    assert send_after(cadence, in_tokyo).tzinfo is UTC
    assert all(instant.tzinfo is UTC for instant in period_before(cadence, in_tokyo))


def test_naive_instants_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        send_at_or_before(daily(time(9), PARIS), datetime(2026, 6, 1, 9))


def test_weekly_period_is_the_week_since_the_same_weekday_and_time() -> None:
    cadence = parse_cadence("weekly mon 08:30 America/New_York", default_tz="UTC")
    monday = local(NY, 2026, 3, 9, 8, 30)  # the Monday after the spring-forward Sunday
    assert period_before(cadence, monday) == (local(NY, 2026, 3, 2, 8, 30), monday)
    assert monday - period_before(cadence, monday)[0] == timedelta(days=7) - H
    thursday = local(NY, 2026, 3, 12, 12)
    assert send_at_or_before(cadence, thursday) == monday
    assert send_after(cadence, thursday) == local(NY, 2026, 3, 16, 8, 30)


@pytest.mark.parametrize(
    ("send", "previous"),
    [
        ((2026, 11, 16, 9), (2026, 11, 13, 9)),  # Monday covers Friday 09:00 to Monday 09:00
        ((2026, 11, 17, 9), (2026, 11, 16, 9)),  # Tuesday covers Monday
        ((2026, 11, 20, 9), (2026, 11, 19, 9)),  # Friday covers Thursday
    ],
)
def test_weekdays_period_runs_from_the_previous_weekday(send: tuple, previous: tuple) -> None:
    cadence = Cadence("weekdays", time(9), TOKYO)
    assert period_before(cadence, local(TOKYO, *send)) == (local(TOKYO, *previous), local(TOKYO, *send))


def test_weekdays_skip_the_weekend() -> None:
    cadence = Cadence("weekdays", time(9), TOKYO)
    saturday = local(TOKYO, 2026, 11, 14, 12)
    assert send_at_or_before(cadence, saturday) == local(TOKYO, 2026, 11, 13, 9)
    assert send_after(cadence, saturday) == local(TOKYO, 2026, 11, 16, 9)
    week = due_sends(cadence, local(TOKYO, 2026, 11, 15), local(TOKYO, 2026, 11, 22), limit=10)
    assert [send.astimezone(ZoneInfo(TOKYO)).day for send in week] == [16, 17, 18, 19, 20]


def test_period_before_any_instant_runs_from_the_last_send() -> None:
    cadence = daily(time(9), PARIS)
    now = local(PARIS, 2026, 6, 1, 15)
    assert period_before(cadence, now) == (local(PARIS, 2026, 6, 1, 9), now)


# --- due_sends ---------------------------------------------------------------------------------------------------

PARIS_NINE = daily(time(9), PARIS)
JUNE = [local(PARIS, 2026, 6, day, 9) for day in range(1, 31)]


def test_a_bot_down_over_three_sends_gets_all_three_oldest_first() -> None:
    assert due_sends(PARIS_NINE, JUNE[0], JUNE[3] + H, limit=5) == JUNE[1:4]


def test_the_limit_keeps_the_newest_sends() -> None:
    assert due_sends(PARIS_NINE, JUNE[0], JUNE[3] + H, limit=2) == JUNE[2:4]


def test_a_bot_down_for_a_month_posts_only_the_limit() -> None:
    assert due_sends(PARIS_NINE, local(PARIS, 2026, 5, 1), JUNE[29] + H, limit=1) == [JUNE[29]]


@pytest.mark.parametrize(
    ("after", "now"),
    [
        (JUNE[3], JUNE[3] + 5 * H),  # the last send is done
        (JUNE[3], JUNE[4] - TICK),  # the next is one microsecond away
        (JUNE[3], JUNE[3]),
        (JUNE[5], JUNE[3]),  # a clock that went backwards
    ],
)
def test_nothing_due_is_an_empty_list(after: datetime, now: datetime) -> None:
    assert due_sends(PARIS_NINE, after, now, limit=3) == []


def test_due_sends_excludes_after_and_includes_now() -> None:
    assert due_sends(PARIS_NINE, JUNE[3], JUNE[4], limit=3) == [JUNE[4]]


def test_due_sends_over_years_is_quick_with_a_small_limit() -> None:
    # Walking back from now touches only the kept sends, so a bot down for decades costs as much as a day.
    sends = due_sends(PARIS_NINE, utc(1990, 1, 1), utc(2026, 6, 3, 12), limit=2)
    assert sends == JUNE[1:3]


def test_due_sends_needs_a_positive_limit() -> None:
    with pytest.raises(ValueError):
        due_sends(PARIS_NINE, JUNE[0], JUNE[3], limit=0)


# --- properties --------------------------------------------------------------------------------------------------

# Zones with an hour's DST change either way, half an hour (Lord Howe), a half-hour offset, and none at all.
ZONES = [PARIS, NY, "Australia/Sydney", "Australia/Lord_Howe", "Asia/Kolkata", "UTC"]
YEAR_START = utc(2026, 1, 1)
TWO_YEARS_US = 2 * 365 * 24 * 3600 * 10**6
LONGEST = {"daily": timedelta(days=1), "weekdays": timedelta(days=3), "weekly": timedelta(days=7)}
SHORTEST = {"daily": timedelta(days=1), "weekdays": timedelta(days=1), "weekly": timedelta(days=7)}

# Database off: the examples are cheap to regenerate and the run must not leave files in the tree.
common = settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


def dst_transitions(name: str) -> list[datetime]:
    """Every UTC hour in 2026-2027 at which the zone changes its offset."""
    zone, found, at = ZoneInfo(name), [], YEAR_START
    offset = at.astimezone(zone).utcoffset()
    while at.year < 2028:
        at += H
        if at.astimezone(zone).utcoffset() != offset:
            found.append(at)
            offset = at.astimezone(zone).utcoffset()
    return found


TRANSITIONS = [at for name in ZONES for at in dst_transitions(name)]
# Send times favour the small hours, where these zones' clocks change.
minutes = st.one_of(st.integers(0, 1439), st.sampled_from([0, 60, 90, 120, 150, 165, 180, 210]))


def cadence_of(every: str, minute: int, tz: str, weekday: int) -> Cadence:
    return Cadence(every, time(minute // 60, minute % 60), tz, weekday if every == "weekly" else None)


def shifted(at: datetime, microseconds: int) -> datetime:
    return at + timedelta(microseconds=microseconds)


FOUR_DAYS_US = 4 * 86400 * 10**6
cadences = st.builds(
    cadence_of, st.sampled_from(["daily", "weekdays", "weekly"]), minutes, st.sampled_from(ZONES), st.integers(0, 6)
)
# Anywhere in 2026-2027, or within four days of one of the zones' clock changes.
instants = st.one_of(
    st.integers(0, TWO_YEARS_US).map(lambda us: shifted(YEAR_START, us)),
    st.builds(shifted, st.sampled_from(TRANSITIONS), st.integers(-FOUR_DAYS_US, FOUR_DAYS_US)),
)


@common
@given(cadences, instants)
def test_every_instant_lies_between_a_send_and_the_next(cadence: Cadence, instant: datetime) -> None:
    before, after = send_at_or_before(cadence, instant), send_after(cadence, instant)
    assert before <= instant < after
    assert send_after(cadence, before) == after
    assert period_before(cadence, after) == (before, after)
    assert due_sends(cadence, before - TICK, after, limit=3) == [before, after]
    # A send is on a sending day, and a period is its cadence's length give or take one DST change.
    zone = ZoneInfo(cadence.tz)
    assert cadence.sends_on(before.astimezone(zone).date())
    assert SHORTEST[cadence.every] - H <= after - before <= LONGEST[cadence.every] + H


@common
@given(cadences, instants)
def test_a_send_is_the_first_instant_its_clock_reads_the_send_time(cadence: Cadence, instant: datetime) -> None:
    zone = ZoneInfo(cadence.tz)
    send = send_at_or_before(cadence, instant)
    wall = send.astimezone(zone)
    assert wall.time() >= cadence.at
    # Just before, the clock read an earlier time that day (or the day before, for a midnight send).
    earlier = (send - TICK).astimezone(zone)
    assert earlier.replace(tzinfo=None) < datetime.combine(wall.date(), cadence.at)
    # At the first occurrence: an hour earlier the clock did not already read the send time on that day.
    hour_before = (send - H).astimezone(zone).replace(tzinfo=None)
    assert not (wall.date() == hour_before.date() and hour_before.time() >= cadence.at)
