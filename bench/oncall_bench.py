"""Time "who is on call": a Schedule over an imported FeedLayer against recurring-ical-events on the same feed.

`run(report)` prints the one-off import cost of both and the per-call cost of answering "who is on call at t" for
random instants of 2027 (mean and p50 in µs, and the mean ratio), and returns the figures keyed like
``oncall.liaison_mean_us``. Every baseline answer is checked against Liaison's, so a fast wrong answer cannot pass
for a speed-up: a disagreement raises BenchError (exit 1).

The feed is generated the way PagerDuty exports a schedule, for 8 people over 2027: a weekly primary rotation in
America/New_York as RRULEs with RECURRENCE-ID overrides and cancelled weeks, daily 12-hour secondary shifts as one
UTC event each, and one-off covers.
"""

from __future__ import annotations

import random
import statistics
import time as clock
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events

from bench.rig import BenchError
from bot.oncall.feed import FeedLayer
from bot.oncall.schedule import Schedule

DEFAULT_INSTANTS = 20_000
DEFAULT_BASELINE = 1_000
IMPORTS = 3  # the one-off costs are the best of this many runs
SEED = 20270101
ZONE = ZoneInfo("America/New_York")
WINDOW = (datetime(2027, 1, 1, tzinfo=UTC), datetime(2028, 1, 1, tzinfo=UTC))
NAMES = (
    "Alice Smith",
    "Bob Jones",
    "Carol Weber",
    "Dave Fischer",
    "Erin Wagner",
    "Frank Becker",
    "Grace Hopper",
    "Heidi Klum",
)
PEOPLE = {f"{name.split()[0].lower()}@example.com": f"U0{name.split()[0].upper()}1" for name in NAMES}


def _stamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _event(uid: str, person: int, *lines: str) -> list[str]:
    name = NAMES[person]
    email = f"{name.split()[0].lower()}@example.com"
    return [
        "BEGIN:VEVENT",
        f"UID:{uid}@pagerduty.example.com",
        "DTSTAMP:20261215T000000Z",
        *lines,
        f"SUMMARY:On Call - {name} - Support",
        f"ATTENDEE;CN={name}:mailto:{email}",
        "END:VEVENT",
    ]


def pagerduty_feed(seed: int = SEED) -> str:
    """A year of a support team's on-call schedule as PagerDuty exports it (about 800 VEVENTs)."""
    rng = random.Random(seed)
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//PagerDuty Inc.//PagerDuty Schedules//EN", "METHOD:PUBLISH"]
    tz = "TZID=America/New_York"
    first_monday = date(2026, 12, 28)
    # Primary: weekly turns from Monday 09:00 New York time, each person every eighth week.
    for person in range(len(NAMES)):
        monday = first_monday + timedelta(weeks=person)
        starts = f"{monday:%Y%m%d}T090000"
        lines += _event(
            f"primary-{person}",
            person,
            f"DTSTART;{tz}:{starts}",
            f"DTEND;{tz}:{monday + timedelta(weeks=1):%Y%m%d}T090000",
            "RRULE:FREQ=WEEKLY;INTERVAL=8",
        )
    # Overrides of the primary: some weeks handed to someone else from Tuesday, some cancelled.
    for week in rng.sample(range(1, 52), 16):
        monday = first_monday + timedelta(weeks=week)
        owner = week % len(NAMES)
        replaced = f"RECURRENCE-ID;{tz}:{monday:%Y%m%d}T090000"
        if week % 4 == 0:
            lines += _event(
                f"primary-{owner}",
                owner,
                replaced,
                f"DTSTART;{tz}:{monday:%Y%m%d}T090000",
                f"DTEND;{tz}:{monday + timedelta(weeks=1):%Y%m%d}T090000",
                "STATUS:CANCELLED",
            )
            continue
        stand_in = (owner + rng.randrange(1, len(NAMES))) % len(NAMES)
        lines += _event(
            f"primary-{owner}",
            stand_in,
            replaced,
            f"DTSTART;{tz}:{monday + timedelta(days=1):%Y%m%d}T090000",
            f"DTEND;{tz}:{monday + timedelta(weeks=1):%Y%m%d}T090000",
            "SEQUENCE:1",
        )
    # Secondary: 12-hour shifts handing off at 09:00 and 21:00 New York time, one UTC event each.
    day = date(2027, 1, 1)
    while day.year == 2027:
        for half, hour in enumerate((9, 21)):
            begins = datetime(day.year, day.month, day.day, hour, tzinfo=ZONE)
            ends = begins.replace(tzinfo=None) + timedelta(hours=12)
            person = (day.toordinal() + 4 * half) % len(NAMES)
            lines += _event(
                f"secondary-{day:%Y%m%d}-{hour}",
                person,
                f"DTSTART:{_stamp(begins)}",
                f"DTEND:{_stamp(ends.replace(tzinfo=ZONE))}",
            )
        day += timedelta(days=1)
    # One-off covers of a few hours.
    for number in range(24):
        begins = WINDOW[0] + timedelta(hours=rng.randrange(365 * 24))
        lines += _event(
            f"cover-{number}",
            rng.randrange(len(NAMES)),
            f"DTSTART:{_stamp(begins)}",
            f"DTEND:{_stamp(begins + timedelta(hours=rng.choice((2, 4, 8))))}",
        )
    lines.append("END:VCALENDAR")
    return "\r\n".join(lines) + "\r\n"


def baseline_on_call(query: Any, instant: datetime) -> tuple[str, ...]:
    """Who is on call at `instant` according to recurring-ical-events: events with start <= instant < end.

    `instant` is in UTC and the feed has no DATE or floating times, so the library compares exactly.
    """
    covering = []
    for component in query.at(instant):
        if str(component.get("STATUS", "")).upper() == "CANCELLED":
            continue
        start, end = component["DTSTART"].dt, component["DTEND"].dt
        if start <= instant < end:
            covering.append((start.astimezone(UTC), PEOPLE[str(component["ATTENDEE"]).removeprefix("mailto:")]))
    return tuple(dict.fromkeys(user for _start, user in sorted(covering)))


def _best_ms(work: Callable[[], object]) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(IMPORTS):
        began = clock.perf_counter_ns()
        result = work()
        best = min(best, (clock.perf_counter_ns() - began) / 1e6)
    return best, result


def _time_calls(answer: Callable[[datetime], tuple[str, ...]], instants: list[datetime]) -> tuple[list[float], list]:
    """Per-call wall time in µs, and the answers."""
    timings, answers = [], []
    for instant in instants:
        began = clock.perf_counter_ns()
        found = answer(instant)
        timings.append((clock.perf_counter_ns() - began) / 1000)
        answers.append(found)
    return timings, answers


def run(
    report: Callable[[str], None] = print, *, instants: int = DEFAULT_INSTANTS, baseline: int = DEFAULT_BASELINE
) -> dict[str, float]:
    """Import the feed both ways, time `instants` answers (`baseline` of them for the baseline too), report them."""
    text = pagerduty_feed()
    events = text.count("BEGIN:VEVENT")
    parse_ms, layer = _best_ms(lambda: FeedLayer.parse("support", text, people=PEOPLE, window=WINDOW, timezone=ZONE))
    baseline_parse_ms, query = _best_ms(lambda: recurring_ical_events.of(icalendar.Calendar.from_ical(text)))
    schedule = Schedule(name="support", timezone=ZONE, layers=(layer,))

    rng = random.Random(SEED)
    span = int((WINDOW[1] - WINDOW[0]) / timedelta(microseconds=1))
    sample = [WINDOW[0] + timedelta(microseconds=rng.randrange(span)) for _ in range(instants)]
    _time_calls(schedule.on_call, sample[:1000])  # warm-up: zone caches, as a running process has them
    fast, answers = _time_calls(schedule.on_call, sample)
    slow, expected = _time_calls(lambda instant: baseline_on_call(query, instant), sample[:baseline])
    for instant, ours, theirs in zip(sample, answers, expected, strict=False):
        if ours != theirs:
            raise BenchError(
                f"who is on call at {instant.isoformat()}: Liaison says {ours}, recurring-ical-events {theirs}"
            )
    if not any(expected):
        raise BenchError("nobody was on call at any baseline instant: the agreement check proved nothing")

    figures = {
        "oncall.events": float(events),
        "oncall.parse_ms": parse_ms,
        "oncall.baseline_parse_ms": baseline_parse_ms,
        "oncall.liaison_mean_us": statistics.fmean(fast),
        "oncall.liaison_p50_us": statistics.median(fast),
        "oncall.baseline_mean_us": statistics.fmean(slow),
        "oncall.baseline_p50_us": statistics.median(slow),
        "oncall.ratio": statistics.fmean(slow) / statistics.fmean(fast),
        "oncall.agreed": float(len(expected)),
    }
    report(
        f"oncall: who is on call at t, Schedule over a FeedLayer vs recurring-ical-events at(t) on the same feed "
        f"({events} VEVENTs, {len(NAMES)} people, 2027)"
    )
    report(
        f"  import (one-off, best of {IMPORTS}): liaison parse + expand the year {parse_ms:8.1f} ms | "
        f"baseline parse + of() {baseline_parse_ms:8.1f} ms"
    )
    report(
        f"  per call µs: liaison mean {figures['oncall.liaison_mean_us']:6.1f} "
        f"p50 {figures['oncall.liaison_p50_us']:6.1f} (n={len(fast)}) | baseline mean "
        f"{figures['oncall.baseline_mean_us']:8.0f} p50 {figures['oncall.baseline_p50_us']:8.0f} (n={len(slow)}) | "
        f"{figures['oncall.ratio']:6.0f}x"
    )
    report(f"  answers agreed at all {len(expected)} baseline instants")
    return figures


if __name__ == "__main__":
    run()
