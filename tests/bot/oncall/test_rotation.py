"""Rotations hand off at local wall-clock times that DST never moves, forwards and backwards from their start."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.oncall.rotation import Rotation
from bot.oncall.schedule import ScheduleError, Shift

NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
PEOPLE = ("U0ALICE1", "U0BOB001", "U0CAROL1")


def rotation(length: timedelta, start: datetime, zone: ZoneInfo = NEW_YORK, users: tuple[str, ...] = PEOPLE):
    return Rotation(name="primary", users=users, timezone=zone, start=start, length=length)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize("zone", [NEW_YORK, BERLIN], ids=["new_york", "berlin"])
def test_a_daily_0900_hand_off_stays_0900_local_across_every_dst_change_of_2026_and_2027(zone: ZoneInfo) -> None:
    daily = rotation(timedelta(days=1), datetime(2026, 1, 1, 9), zone)
    shifts = daily.shifts(datetime(2026, 1, 1, 9, tzinfo=zone), datetime(2028, 1, 1, tzinfo=zone))
    assert len(shifts) == 730
    assert {shift.start.astimezone(zone).time() for shift in shifts} == {time(9)}
    assert {shift.end.astimezone(zone).time() for shift in shifts} == {time(9)}
    # So the four DST nights make four turns an hour shorter or longer than 24 real hours.
    lengths = sorted(shift.end - shift.start for shift in shifts)
    assert lengths[:2] == [timedelta(hours=23)] * 2 and lengths[-2:] == [timedelta(hours=25)] * 2
    assert [shift.user for shift in shifts[:4]] == [*PEOPLE, PEOPLE[0]]


def test_the_turn_on_a_dst_morning_goes_to_the_next_person_at_0900_local() -> None:
    daily = rotation(timedelta(days=1), datetime(2027, 3, 12, 9))
    # Sunday 14 March 2027: New York springs forward at 02:00, so 09:00 is 13:00 UTC instead of 14:00.
    assert daily.at(utc(2027, 3, 14, 12, 59, 59)) == (PEOPLE[1],)
    assert daily.at(utc(2027, 3, 14, 13)) == (PEOPLE[2],)
    assert daily.boundaries(utc(2027, 3, 13, 15), utc(2027, 3, 15, 15)) == [utc(2027, 3, 14, 13), utc(2027, 3, 15, 13)]


def test_a_weekly_rotation_hands_off_on_monday_at_0900_local() -> None:
    weekly = rotation(timedelta(days=7), datetime(2026, 11, 30, 9))
    assert weekly.at(utc(2026, 12, 3, 12)) == (PEOPLE[0],)
    assert weekly.at(utc(2026, 12, 7, 13, 59, 59)) == (PEOPLE[0],)
    assert weekly.at(utc(2026, 12, 7, 14)) == (PEOPLE[1],)
    assert weekly.at(utc(2026, 12, 21, 14)) == (PEOPLE[0],)
    # The Monday after the March change: 09:00 EDT.
    monday = weekly.shifts(utc(2027, 3, 16), utc(2027, 3, 16, 0, 0, 1))
    assert [shift.start for shift in monday] == [utc(2027, 3, 15, 13)]


def test_a_12_hour_rotation_keeps_its_wall_clock_hand_offs_so_the_dst_night_turn_is_11_hours() -> None:
    halves = rotation(timedelta(hours=12), datetime(2027, 3, 13, 9), users=("U0DAY0001", "U0NIGHT01"))
    shifts = halves.shifts(utc(2027, 3, 13, 14), utc(2027, 3, 15, 13))
    assert [(s.user, s.start.astimezone(NEW_YORK).strftime("%d %H:%M"), s.end - s.start) for s in shifts] == [
        ("U0DAY0001", "13 09:00", timedelta(hours=12)),
        ("U0NIGHT01", "13 21:00", timedelta(hours=11)),
        ("U0DAY0001", "14 09:00", timedelta(hours=12)),
        ("U0NIGHT01", "14 21:00", timedelta(hours=12)),
    ]


def test_a_hand_off_at_0230_on_the_spring_forward_night_happens_at_the_end_of_the_gap() -> None:
    daily = rotation(timedelta(days=1), datetime(2027, 3, 1, 2, 30))
    # 02:30 does not exist on 14 March 2027; the clock jumps from 02:00 EST (07:00 UTC) to 03:00 EDT.
    assert daily.turn_start(13) == utc(2027, 3, 14, 7)
    assert daily.at(utc(2027, 3, 14, 6, 59, 59)) == (daily.user_of(12),)
    assert daily.at(utc(2027, 3, 14, 7)) == (daily.user_of(13),)
    # The next day it is 02:30 again, now EDT.
    assert daily.turn_start(14) == utc(2027, 3, 15, 6, 30)


def test_a_hand_off_in_the_fall_back_hour_happens_at_its_first_occurrence() -> None:
    daily = rotation(timedelta(days=1), datetime(2027, 11, 1, 1, 30))
    # 01:30 happens twice on 7 November 2027: first at 05:30 UTC (EDT), again at 06:30 UTC (EST).
    assert daily.turn_start(6) == utc(2027, 11, 7, 5, 30)
    assert daily.at(utc(2027, 11, 7, 6, 45)) == (daily.user_of(6),)
    assert daily.at(utc(2027, 11, 7, 5, 29)) == (daily.user_of(5),)


def test_turns_before_the_start_run_the_rotation_backwards() -> None:
    daily = rotation(timedelta(days=1), datetime(2027, 1, 10, 9))
    assert daily.at(utc(2027, 1, 10, 14)) == (PEOPLE[0],)
    assert daily.at(utc(2027, 1, 10, 13, 59, 59)) == (PEOPLE[2],)
    assert daily.at(utc(2027, 1, 8, 14)) == (PEOPLE[1],)
    assert daily.at(utc(2026, 1, 10, 14)) == (daily.user_of(-365),)
    assert daily.shifts(utc(2027, 1, 9, 15), utc(2027, 1, 10, 15)) == [
        Shift(PEOPLE[2], utc(2027, 1, 9, 14), utc(2027, 1, 10, 14)),
        Shift(PEOPLE[0], utc(2027, 1, 10, 14), utc(2027, 1, 11, 14)),
    ]


def test_a_one_person_rotation_has_no_hand_offs() -> None:
    solo = rotation(timedelta(days=1), datetime(2027, 1, 1, 9), users=("U0ALICE1",))
    assert solo.boundaries(utc(2027, 1, 1), utc(2027, 3, 1)) == []
    assert len(solo.shifts(utc(2027, 1, 1), utc(2027, 1, 3))) == 3


LENGTHS = st.sampled_from(
    [
        timedelta(hours=1),
        timedelta(hours=8),
        timedelta(hours=12),
        timedelta(days=1),
        timedelta(days=3),
        timedelta(days=7),
    ]
)


@settings(max_examples=300, deadline=None)
@given(
    length=LENGTHS,
    zone=st.sampled_from([NEW_YORK, BERLIN, ZoneInfo("Australia/Lord_Howe"), ZoneInfo("UTC")]),
    start=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2029, 1, 1)),
    instant=st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)),
)
def test_at_agrees_with_shifts_and_boundaries_at_any_instant(
    length: timedelta, zone: ZoneInfo, start: datetime, instant: datetime
) -> None:
    turns = rotation(length, start.replace(microsecond=0), zone)
    [covering] = turns.shifts(instant, instant + timedelta(microseconds=1))
    assert covering.start <= instant < covering.end
    assert turns.at(instant) == (covering.user,)
    # Just before a hand-off someone else is on call; between hand-offs nobody changes.
    for boundary in turns.boundaries(instant - timedelta(days=2), instant):
        assert turns.at(boundary - timedelta(microseconds=1)) != turns.at(boundary)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"users": ()}, "has nobody"),
        ({"users": ("alice",)}, "'alice' is not a Slack user id"),
        ({"start": datetime(2027, 1, 1, 9, tzinfo=UTC)}, "must be naive"),
        ({"length": timedelta(0)}, "positive timedelta"),
        ({"timezone": "America/New_York"}, "must be a ZoneInfo"),
    ],
)
def test_a_rotation_that_cannot_work_says_why(changes: dict[str, object], message: str) -> None:
    values: dict[str, object] = {
        "name": "primary",
        "users": PEOPLE,
        "timezone": NEW_YORK,
        "start": datetime(2027, 1, 1, 9),
        "length": timedelta(days=1),
    } | changes
    with pytest.raises(ScheduleError, match=message):
        Rotation(**values)  # type: ignore[arg-type]


def test_instants_must_be_timezone_aware() -> None:
    daily = rotation(timedelta(days=1), datetime(2027, 1, 1, 9))
    with pytest.raises(ValueError, match="timezone-aware"):
        daily.at(datetime(2027, 1, 2, 9))
    assert daily.at(datetime.combine(date(2027, 1, 2), time(9), NEW_YORK)) == (PEOPLE[1],)
