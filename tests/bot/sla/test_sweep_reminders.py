"""SLA timers through the sweep: breaches announced once and repeated, whoever fires them; snoozes."""

from __future__ import annotations

import threading
import tomllib
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.clock import MovableClock
from bot.config import LiaisonConfig
from bot.db import Database
from bot.sla.sweep import SlaTimers
from bot.tickets.service import Actor, TicketDraft, TicketService
from bot.timers import TimerRegistry, TimerSweep
from models import OutboxMessage, SlaClock, Timer

AGENT = Actor("U0AGENT01", is_agent=True)
# Premium P1: first response and resolution share one 30-minute deadline, and both repeat every 15 minutes.
POLICIES = """
[tickets]
queue_channel = "C0QUEUE01"
[calendars.tokyo]
timezone = "Asia/Tokyo"
weekdays = ["09:00-18:00"]
[calendars.honolulu]
timezone = "Pacific/Honolulu"
weekdays = ["09:00-17:00"]
[calendars.nights]
timezone = "America/Chicago"
weekdays = ["22:00-06:00+1"]
[[sla.policies]]
name = "premium"
match = { tiers = ["premium"] }
[sla.policies.targets.P1]
first_response = { duration = "30m", repeat_every = "15m" }
resolution = { duration = "30m", repeat_every = "15m" }
[sla.policies.targets.P2]
first_response = { duration = "1h", calendar = "tokyo", repeat_every = "1h" }
[sla.policies.targets.P3]
first_response = { duration = "1h", calendar = "honolulu" }
[sla.policies.targets.P4]
first_response = { duration = "1h", calendar = "nights" }
"""
START = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)  # a Tuesday


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(START)


@pytest.fixture
def tickets(database: Database, clock: MovableClock) -> TicketService:
    return TicketService(database, clock, LiaisonConfig.from_dict(tomllib.loads(POLICIES)))


def sweep(database: Database, clock: MovableClock, tickets: TicketService, **options: object) -> TimerSweep:
    registry = TimerRegistry()
    SlaTimers(tickets).register(registry)
    return TimerSweep(database, clock, registry, **options)  # type: ignore[arg-type]


def open_ticket(tickets: TicketService, priority: str = "P1") -> None:
    draft = TicketDraft(subject="Checkout down", priority=priority, new_customer="Acme", new_customer_tier="premium")
    tickets.open(AGENT, draft)


def posts(database: Database, word: str) -> Counter[str]:
    """Thread posts containing `word`, counted per metric label."""
    with database.session() as session:
        rows = session.scalars(select(OutboxMessage).where(OutboxMessage.dedupe_key.like("%:thread")))
        texts = [r.payload["text"] for r in rows if word in r.payload["text"]]
    return Counter(t.split("*")[1] for t in texts)


def clock_id(database: Database, metric: str = "first_response") -> int:
    with database.session() as session:
        return session.scalars(select(SlaClock.id).where(SlaClock.metric == metric)).one()


def test_both_clocks_of_one_deadline_breach_once_and_keep_repeating(
    database: Database, clock: MovableClock, tickets: TicketService
) -> None:
    open_ticket(tickets)
    timers = sweep(database, clock, tickets)
    clock.advance(timedelta(minutes=30))
    timers.run()
    assert posts(database, "* breached") == {"First response": 1, "Resolution": 1}
    for repeats in (1, 2, 3):
        clock.advance(timedelta(minutes=15))
        timers.run()
        assert posts(database, "still breached") == {"First response": repeats, "Resolution": repeats}
    assert posts(database, "* breached") == {"First response": 1, "Resolution": 1}


def test_two_processes_firing_the_two_timers_of_one_deadline_keep_both_repeats(
    database: Database, clock: MovableClock, tickets: TicketService
) -> None:
    for _ in range(10):
        open_ticket(tickets)
    other = Database(database.url)
    # One timer per batch: the two breach timers of a ticket go to whichever process claims next.
    sweeps = [sweep(database, clock, tickets, batch_size=1), sweep(other, clock, tickets, batch_size=1)]

    def both() -> None:
        threads = [threading.Thread(target=s.run) for s in sweeps]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)

    try:
        clock.advance(timedelta(minutes=30))
        both()
        for _ in range(2):
            clock.advance(timedelta(minutes=15))
            both()
    finally:
        other.dispose()
    assert posts(database, "* breached") == {"First response": 10, "Resolution": 10}
    assert posts(database, "still breached") == {"First response": 20, "Resolution": 20}


def test_repeats_go_on_after_a_snoozed_reminder(
    database: Database, clock: MovableClock, tickets: TicketService
) -> None:
    open_ticket(tickets)
    timers = sweep(database, clock, tickets)
    clock.advance(timedelta(minutes=30))
    timers.run()
    clock.advance(timedelta(minutes=15))
    timers.run()
    assert posts(database, "still breached")["First response"] == 1
    tickets.snooze(AGENT, clock_id(database), "30m")
    clock.advance(timedelta(minutes=29))
    timers.run()
    assert posts(database, "still breached")["First response"] == 1
    for repeats in (2, 3, 4):
        clock.advance(timedelta(minutes=15) if repeats > 2 else timedelta(minutes=1))
        timers.run()
        assert posts(database, "still breached")["First response"] == repeats


def breached(database: Database, clock: MovableClock, tickets: TicketService, priority: str, at: datetime) -> int:
    """Open a ticket at `at` and let its first response breach; returns its clock's id."""
    clock.advance(at - clock.now())
    open_ticket(tickets, priority)
    with database.session() as session:
        row = session.scalars(select(SlaClock).where(SlaClock.metric == "first_response")).one()
        deadline = row.deadline_at
    clock.advance(deadline - clock.now() + timedelta(minutes=1))
    sweep(database, clock, tickets).run()
    return clock_id(database)


def snoozed_until(database: Database) -> datetime:
    with database.session() as session:
        return session.scalars(select(Timer.due_at).where(Timer.dedupe_key.like("%:snooze:%"))).one()


def test_snooze_until_tomorrow_counts_from_the_calendars_own_date_far_east_of_utc(
    database: Database, clock: MovableClock, tickets: TicketService
) -> None:
    # Opened Wednesday 09:00 in Tokyo (00:00 UTC); breached 10:01. Snoozed at 16:00 UTC, Thursday 01:00 in Tokyo:
    # tomorrow there is Friday, 09:00 Tokyo. Counting from UTC midnight gave Thursday 09:00 Tokyo.
    row = breached(database, clock, tickets, "P2", datetime(2026, 12, 2, 0, 0, tzinfo=UTC))
    clock.advance(datetime(2026, 12, 2, 16, 0, tzinfo=UTC) - clock.now())
    _ticket, until = tickets.snooze(AGENT, row, "tomorrow")
    assert until == datetime(2026, 12, 4, 0, 0, tzinfo=UTC) == snoozed_until(database)


def test_snooze_until_tomorrow_far_west_of_utc_is_not_this_afternoon(
    database: Database, clock: MovableClock, tickets: TicketService
) -> None:
    # Tuesday 10:00 in Honolulu (20:00 UTC): UTC's tomorrow starts at 14:00 Honolulu time today, still open.
    row = breached(database, clock, tickets, "P3", datetime(2026, 12, 1, 19, 0, tzinfo=UTC))
    assert clock.now() == datetime(2026, 12, 1, 20, 1, tzinfo=UTC)
    _ticket, until = tickets.snooze(AGENT, row, "tomorrow")
    assert until == datetime(2026, 12, 2, 19, 0, tzinfo=UTC)  # Wednesday 09:00 in Honolulu


def test_snooze_until_tomorrow_skips_the_rest_of_tonights_night_shift(tickets: TicketService) -> None:
    target = tickets.sla.book.target("premium", "P4", "first_response")
    # Tuesday 23:00 in Chicago, in the 22:00-06:00 shift: tomorrow's shift starts Wednesday 22:00 (04:00 UTC).
    now = datetime(2026, 12, 2, 5, 0, tzinfo=UTC)
    assert tickets.sla.tomorrow(target, now) == datetime(2026, 12, 3, 4, 0, tzinfo=UTC)


def test_snooze_until_tomorrow_on_a_24_7_target_is_24_hours(tickets: TicketService) -> None:
    target = tickets.sla.book.target("premium", "P1", "first_response")
    assert tickets.sla.tomorrow(target, START) == START + timedelta(days=1)
