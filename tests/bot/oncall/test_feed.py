"""Importing an iCalendar feed: who is on call agrees with recurring-ical-events over a year, and bad feeds say why."""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta

import icalendar
import pytest
import recurring_ical_events

from bot.oncall import feed as feed_module
from bot.oncall.feed import FeedError, FeedLayer
from bot.oncall.schedule import Shift
from tests.bot.oncall.feeds import ACCEPTANCE, BERLIN, NY, PEOPLE, TZ, WINDOW, calendar, event

ONE_SECOND = timedelta(seconds=1)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def parse(text: str, people: dict[str, str] | None = None, window=WINDOW) -> FeedLayer:
    return FeedLayer.parse("primary", text, people=PEOPLE if people is None else people, window=window, timezone=TZ)


# ----- the independent evaluation: recurring-ical-events expands, this test decides what covers an instant


def _oracle_utc(value: date | datetime) -> datetime:
    """The feed's own rules for reading a time: DATE and floating values are in the layer's zone (New York)."""
    if not isinstance(value, datetime):
        return datetime.combine(value, time(0), tzinfo=TZ).astimezone(UTC)
    return (value.replace(tzinfo=TZ) if value.tzinfo is None else value).astimezone(UTC)


class Oracle:
    """Who is on call at an instant according to recurring-ical-events, people mapped by ATTENDEE email.

    The library is asked in UTC for a day either side and its events are kept when start <= t < end, computed here.
    Asking it `at(t)` directly is not the same question: it reads DATE and floating times in the zone of the
    instant it is given, and it widens the span by an event's length with wall-clock arithmetic in that zone, so
    with a New York instant it loses a 7-day Berlin turn in its last hour after a US DST change
    (2027-03-15 06:59:59 UTC, see the test below).
    """

    def __init__(self, text: str) -> None:
        self.query = recurring_ical_events.of(icalendar.Calendar.from_ical(text))
        self.people = {email.lower(): user for email, user in PEOPLE.items()}

    def events(self, start: datetime, end: datetime) -> Iterable[tuple[datetime, datetime, str]]:
        for component in self.query.between(start, end):
            if str(component.get("STATUS", "")).upper() == "CANCELLED":
                continue
            email = str(component["ATTENDEE"]).removeprefix("mailto:").lower()
            yield _oracle_utc(component["DTSTART"].dt), _oracle_utc(component["DTEND"].dt), self.people[email]

    def at(self, instant: datetime) -> tuple[str, ...]:
        covering = sorted(
            (start, user)
            for start, end, user in self.events(instant - timedelta(days=1), instant + timedelta(days=1))
            if start <= instant < end
        )
        return tuple(dict.fromkeys(user for _start, user in covering))


@pytest.fixture(scope="module")
def layer() -> FeedLayer:
    return parse(ACCEPTANCE)


@pytest.fixture(scope="module")
def oracle() -> Oracle:
    return Oracle(ACCEPTANCE)


def test_who_is_on_call_agrees_with_recurring_ical_events_over_a_year(layer: FeedLayer, oracle: Oracle) -> None:
    rng = random.Random(2027)
    year = int((WINDOW[1] - WINDOW[0]).total_seconds())
    instants = {
        WINDOW[0] + timedelta(seconds=rng.randrange(year), microseconds=rng.randrange(10**6)) for _ in range(2000)
    }
    edges = {edge for start, end, _ in oracle.events(*WINDOW) for edge in (start, end)}
    instants |= {edge + step for edge in edges for step in (-ONE_SECOND, timedelta(0), ONE_SECOND)}
    instants = {instant for instant in instants if WINDOW[0] <= instant < WINDOW[1]}
    assert len(edges) > 1000  # the feed's ~850 shifts, every start and end
    disagreements = [
        (t.isoformat(), layer.at(t), oracle.at(t)) for t in sorted(instants) if layer.at(t) != oracle.at(t)
    ]
    assert disagreements == []
    # Not vacuous: the year has stretches with nobody, one person, and several at once.
    sizes = {len(layer.at(t)) for t in instants}
    assert {0, 1, 2, 3} <= sizes


def test_a_berlin_turn_runs_to_its_last_second_while_us_and_eu_dst_disagree(layer: FeedLayer, oracle: Oracle) -> None:
    # Carol's turn ends Monday 15 March 2027 08:00 CET = 07:00 UTC; New York changed clocks the day before.
    assert "U0CAROL1" in layer.at(utc(2027, 3, 15, 6, 59, 59)) == oracle.at(utc(2027, 3, 15, 6, 59, 59))
    assert "U0CAROL1" not in layer.at(utc(2027, 3, 15, 7))
    # The library's own at() with a New York instant misses her, which is why the oracle asks in UTC.
    asked = oracle.query.at(utc(2027, 3, 15, 6, 59, 59).astimezone(TZ))
    assert not any("Carol" in str(component["SUMMARY"]) for component in asked)


# Berlin turns (Monday 08:00 local, every third week each): Carol from 4 Jan, Dave from 11 Jan, Erin from 18 Jan
# until October, then Frank from 18 Oct. People starting at the same instant are listed by user id.
@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        # Weekly BYDAY in New York stays 09:00-17:00 local: 14:00 UTC in winter, 13:00 UTC in summer.
        (utc(2027, 1, 4, 13, 59, 59), ("U0CAROL1",)),
        (utc(2027, 1, 4, 14), ("U0CAROL1", "U0ALICE1")),
        # The Monday after the US change: Heidi's night ends and Alice and Grace start at 09:00 EDT; Dave's Berlin
        # week was moved to Tuesday, so Berlin has nobody.
        (utc(2027, 3, 15, 13), ("U0ALICE1", "U0GRACE1")),
        (utc(2027, 7, 5, 15), ("U0ERIN1", "U0GRACE1")),  # EXDATE: no Alice on Independence Day observed
        (utc(2027, 11, 27, 15), ("U0DAVE1", "U0ALICE1")),  # RDATE: Alice on an extra Saturday
        (utc(2027, 3, 10, 15), ("U0CAROL1", "U0GRACE1")),  # RECURRENCE-ID moved Alice to 11:00-19:00 EST ...
        (utc(2027, 3, 10, 23, 30), ("U0CAROL1", "U0GRACE1", "U0ALICE1")),  # ... so she is on at 18:30
        (utc(2027, 6, 16, 15), ("U0ERIN1", "U0BOB1", "U0GRACE1")),  # RECURRENCE-ID gave Alice's day to Bob
        (utc(2027, 8, 20, 15), ("U0ERIN1",)),  # Alice's cancelled Friday, a day after Grace's 200 days ended
        (utc(2027, 8, 19, 15), ("U0ERIN1", "U0ALICE1", "U0GRACE1")),  # Grace's 200th day (COUNT)
        (utc(2027, 5, 1, 15), ("U0DAVE1",)),  # Grace's cancelled Saturday
        (utc(2027, 9, 28, 12), ("U0ERIN1", "U0HEIDI1")),  # Erin's last turn before UNTIL ...
        (utc(2027, 10, 19, 12), ("U0FRANK1", "U0HEIDI1")),  # ... and Frank in her slot after it
        (utc(2027, 4, 15, 12), ("U0ERIN1", "U0HEIDI1", "U0IVAN1")),  # a UTC event from 12:00 UTC
        (utc(2027, 12, 24, 4, 59, 59), ("U0FRANK1", "U0HEIDI1")),  # all-day: from midnight New York time ...
        (utc(2027, 12, 24, 5), ("U0FRANK1", "U0HEIDI1", "U0JUDY1")),
        (utc(2027, 12, 26, 5), ("U0FRANK1", "U0HEIDI1")),  # ... to midnight two days later
        # Overlap: Dave's Berlin week, Grace's day, Frank's RDATE period and Mallory's floating 10:00-14:00 EDT.
        (utc(2027, 7, 4, 15), ("U0DAVE1", "U0GRACE1", "U0FRANK1", "W0MALLORY")),
    ],
)
def test_each_feature_of_the_feed_decides_who_is_on_call(
    layer: FeedLayer, instant: datetime, expected: tuple[str, ...]
) -> None:
    assert layer.at(instant) == expected


def test_the_layer_knows_nobody_outside_its_window_and_clips_shifts_to_it(layer: FeedLayer) -> None:
    # Alice's series started in December 2026 and Carol's last Berlin week runs into 2028; neither is known there.
    assert layer.at(utc(2026, 12, 31, 15)) == ()
    assert layer.at(utc(2028, 1, 1, 0, 30)) == ()
    assert layer.boundaries(utc(2027, 12, 31, 23), utc(2028, 1, 2)) == [WINDOW[1]]
    assert layer.shifts(utc(2027, 12, 31, 23), utc(2028, 1, 2)) == [Shift("U0CAROL1", utc(2027, 12, 27, 7), WINDOW[1])]
    assert layer.shifts(utc(2026, 12, 1), utc(2027, 1, 1)) == []
    # Carol's turn is still running after the window, but the layer does not know that far.
    assert layer.shifts(utc(2028, 1, 1, 0, 30), utc(2028, 1, 2)) == []


def test_shifts_and_boundaries_agree_with_at(layer: FeedLayer) -> None:
    start, end = utc(2027, 3, 8), utc(2027, 3, 22)
    shifts = layer.shifts(start, end)
    assert shifts == sorted(shifts, key=lambda shift: shift.start)
    assert all(shift.start < end and shift.end > start for shift in shifts)
    for shift in shifts:
        assert shift.user in layer.at(shift.start)
    boundaries = layer.boundaries(start, end)
    assert boundaries and all(start < instant <= end for instant in boundaries)
    for instant in boundaries:
        assert layer.at(instant - timedelta(microseconds=1)) != layer.at(instant)
    starts = {shift.start for shift in shifts if shift.start > start}
    assert starts <= set(boundaries) | {s.end for s in shifts}  # every shift start changes who is on call


# ----- people


def test_people_are_found_by_email_name_or_pagerduty_summary_and_the_rest_are_kept_unmapped() -> None:
    text = calendar(
        event(
            "a", None, "DTSTART:20270105T100000Z", "DTEND:20270105T110000Z", summary="On Call - Alice Smith - Primary"
        ),
        event("b", "bob", "DTSTART:20270105T100000Z", "DTEND:20270105T110000Z"),
        event("c", None, "DTSTART:20270105T100000Z", "DTEND:20270105T110000Z", summary="  U0DIRECT1 "),
        event("d", None, "DTSTART:20270105T100000Z", "DTEND:20270105T110000Z", summary="On Call - Zed Unknown - P1"),
        event("e", "zoe", "DTSTART:20270105T100000Z", "DTEND:20270105T110000Z"),
        event("f", None, "DTSTART:20270105T100000Z", "DTEND:20270105T110000Z", summary="carol"),
    )
    people = {"alice smith": "U0ALICE1", "BOB@Example.COM": "U0BOB1", "Carol": "U0CAROL1"}
    layer = parse(text, people)
    assert layer.at(utc(2027, 1, 5, 10, 30)) == (
        "U0ALICE1",
        "U0BOB1",
        "U0CAROL1",
        "U0DIRECT1",
        "Zed Unknown",
        "zoe@example.com",
    )
    assert layer.unmapped == frozenset({"Zed Unknown", "zoe@example.com"})


def test_an_attendee_unknown_by_email_is_found_by_its_cn() -> None:
    text = calendar(event("a", "alice", "DTSTART:20270105T100000Z", "DTEND:20270105T110000Z"))
    assert parse(text, {"Alice Smith": "U0ALICE1"}).at(utc(2027, 1, 5, 10)) == ("U0ALICE1",)


# ----- the finer points of expansion


def test_duration_date_events_and_events_without_an_end() -> None:
    text = calendar(
        event("a", "alice", f"DTSTART;{NY}:20270105T090000", "DURATION:PT2H30M", "RRULE:FREQ=DAILY;COUNT=2"),
        event("b", "bob", "DTSTART;VALUE=DATE:20270110"),  # a DATE with no end lasts the day
        event("c", "carol", "DTSTART:20270105T100000Z"),  # a DATE-TIME with no end lasts no time
    )
    layer = parse(text)
    assert [(s.user, s.start, s.end) for s in layer.shifts(utc(2027, 1, 1), utc(2027, 2, 1))] == [
        ("U0ALICE1", utc(2027, 1, 5, 14), utc(2027, 1, 5, 16, 30)),
        ("U0ALICE1", utc(2027, 1, 6, 14), utc(2027, 1, 6, 16, 30)),
        ("U0BOB1", utc(2027, 1, 10, 5), utc(2027, 1, 11, 5)),
    ]


def test_a_night_shift_ends_at_its_wall_clock_time_on_dst_nights() -> None:
    text = calendar(
        event("n", "heidi", f"DTSTART;{NY}:20270313T210000", f"DTEND;{NY}:20270314T090000", "RRULE:FREQ=DAILY;COUNT=2")
    )
    shifts = parse(text).shifts(utc(2027, 3, 13), utc(2027, 3, 16))
    assert [(s.start, s.end - s.start) for s in shifts] == [
        (utc(2027, 3, 14, 2), timedelta(hours=11)),
        (utc(2027, 3, 15, 1), timedelta(hours=12)),
    ]


def test_an_endless_rule_that_started_years_ago_is_expanded_only_over_the_window() -> None:
    text = calendar(
        event(
            "old", "alice", f"DTSTART;{BERLIN}:20150101T080000", f"DTEND;{BERLIN}:20150101T200000", "RRULE:FREQ=DAILY"
        )
    )
    layer = parse(text, window=(utc(2027, 6, 1), utc(2027, 6, 8)))
    assert len(layer.shifts(*layer.window)) == 7
    assert layer.at(utc(2027, 6, 3, 6)) == ("U0ALICE1",)  # 08:00 CEST


def test_a_this_and_future_replacement_replaces_only_its_own_instance() -> None:
    text = calendar(
        event("w", "alice", f"DTSTART;{NY}:20270104T090000", f"DTEND;{NY}:20270104T170000", "RRULE:FREQ=DAILY"),
        event(
            "w",
            "bob",
            f"RECURRENCE-ID;{NY};RANGE=THISANDFUTURE:20270106T090000",
            f"DTSTART;{NY}:20270106T100000",
            f"DTEND;{NY}:20270106T170000",
        ),
        event(
            "w",
            None,
            f"RECURRENCE-ID;{NY}:20270107T090000",
            f"DTSTART;{NY}:20270107T120000",
            f"DTEND;{NY}:20270107T170000",
            summary="",
        ),  # names nobody: keeps the master's person
    )
    layer = parse(text, window=(utc(2027, 1, 5), utc(2027, 1, 9)))
    assert [(s.user, s.start.astimezone(TZ).strftime("%d %H")) for s in layer.shifts(*layer.window)] == [
        ("U0ALICE1", "05 09"),
        ("U0BOB1", "06 10"),
        ("U0ALICE1", "07 12"),
        ("U0ALICE1", "08 09"),
    ]


def test_an_exdate_given_as_a_date_drops_that_days_instances() -> None:
    text = calendar(
        event(
            "x",
            "alice",
            "DTSTART:20270104T140000Z",
            "DTEND:20270104T150000Z",
            "RRULE:FREQ=DAILY",
            "EXDATE;VALUE=DATE:20270105",
        )
    )
    layer = parse(text, window=(utc(2027, 1, 4), utc(2027, 1, 7)))
    assert [s.start.day for s in layer.shifts(*layer.window)] == [4, 6]


def test_a_cancelled_master_cancels_the_whole_series() -> None:
    text = calendar(
        event(
            "gone",
            "alice",
            "DTSTART:20270104T140000Z",
            "DTEND:20270104T150000Z",
            "RRULE:FREQ=DAILY",
            "STATUS:CANCELLED",
        ),
        event("kept", "bob", "DTSTART:20270104T140000Z", "DTEND:20270104T150000Z"),
    )
    assert parse(text).at(utc(2027, 1, 4, 14)) == ("U0BOB1",)


def test_windows_are_instants_in_any_zone_and_bytes_are_read_too() -> None:
    text = calendar(event("a", "alice", "DTSTART:20270104T140000Z", "DTEND:20270104T150000Z"))
    layer = parse(text.encode(), window=(datetime(2027, 1, 4, tzinfo=TZ), datetime(2027, 1, 5, tzinfo=TZ)))
    assert layer.at(utc(2027, 1, 4, 14)) == ("U0ALICE1",)


# ----- feeds that cannot be imported say why


def _only(*lines: str, summary: str | None = None) -> str:
    return calendar(event("broken", "alice", *lines, summary=summary))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("hello, world", r"feed 'primary': not iCalendar \(Content line could not be parsed"),
        ("", "feed 'primary': not iCalendar"),
        ("BEGIN:VEVENT\r\nUID:x\r\nEND:VEVENT\r\n", "holds a VEVENT where a VCALENDAR should be"),
        (calendar(), "no VEVENT: the calendar schedules nobody"),
        (_only("DTEND:20270104T150000Z"), "event 'broken@pagerduty.example.com' .*has no DTSTART"),
        (_only("DTSTART;TZID=Mars/Olympus:20270104T090000"), "unknown time zone 'Mars/Olympus' in DTSTART"),
        (_only("DTSTART:20270104T090000Z", "EXDATE;TZID=Nowhere:20270104T090000"), "unknown time zone 'Nowhere'"),
        (_only("DTSTART:20270104T090000Z", "DTEND:20270104T080000Z"), "ends before it starts"),
        (_only("DTSTART:20270104T090000Z", "DTEND;VALUE=DATE:20270105"), "both be dates or both be date-times"),
        (_only("DTSTART:20270104T090000Z", "DTEND:20270104T100000Z", "DURATION:PT1H"), "both DTEND and DURATION"),
        (_only("DTSTART:20270104T090000Z", "RRULE:FREQ=SOMETIMES"), "RRULE cannot be read: Expected frequency"),
        (_only("DTSTART:garbage"), "DTSTART cannot be read"),
        (_only("DTSTART:20270104T090000Z", "RRULE:FREQ=DAILY;COUNT=3;UNTIL=20270110T000000Z"), "both COUNT and UNTIL"),
        (calendar(event("who", None, "DTSTART:20270104T090000Z", summary="")), "names nobody"),
        (
            calendar(
                event("twin", "alice", "DTSTART:20270104T090000Z"), event("twin", "bob", "DTSTART:20270105T090000Z")
            ),
            "two events share this UID",
        ),
    ],
)
def test_a_feed_that_cannot_be_imported_names_the_problem(text: str, message: str) -> None:
    with pytest.raises(FeedError, match=message):
        parse(text)


def test_people_must_map_to_slack_user_ids_and_the_window_must_not_be_empty() -> None:
    text = calendar(event("a", "alice", "DTSTART:20270104T140000Z"))
    with pytest.raises(FeedError, match=r"people maps 'alice@example.com' to 'alice', which is not a Slack user id"):
        parse(text, {"alice@example.com": "alice"})
    with pytest.raises(FeedError, match="the window ends at 2027-01-01T00:00:00\\+00:00, not after its start"):
        parse(text, window=(WINDOW[1], WINDOW[0]))
    with pytest.raises(ValueError, match="window start must be timezone-aware"):
        parse(text, window=(datetime(2027, 1, 1), WINDOW[1]))


def test_a_feed_expanding_past_the_limit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(feed_module, "MAX_OCCURRENCES", 50)
    text = _only("DTSTART:20270104T090000Z", "DURATION:PT1H", "RRULE:FREQ=HOURLY")
    with pytest.raises(FeedError, match="more than 50"):
        parse(text)
    assert len(parse(text, window=(utc(2027, 1, 5), utc(2027, 1, 6))).shifts(WINDOW[0], WINDOW[1])) == 24
