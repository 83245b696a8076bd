"""The timer sweep's claims and fault isolation, with kinds registered by the tests themselves."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from bot import outbox
from bot.clock import MovableClock
from bot.db import Database
from bot.timers import FAILED, FIRED, LEASE, PENDING, TimerRegistry, TimerSweep, backoff
from models import OutboxMessage, Timer

NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(NOW)


def add_timers(database: Database, count: int, kind: str = "ping", start: int = 0) -> list[int]:
    with database.session() as session:
        session.execute(
            insert(Timer),
            [
                {
                    "kind": kind,
                    "due_at": NOW - timedelta(seconds=n % 7),
                    "dedupe_key": f"test:{kind}:{n}",
                    "state": PENDING,
                    "data": {},
                    "created_at": NOW,
                }
                for n in range(start, start + count)
            ],
        )
        return list(session.scalars(select(Timer.id).where(Timer.kind == kind).order_by(Timer.id)))


class Pings:
    """A kind that queues one outbox row per firing (keyed by the timer) and remembers who fired what."""

    def __init__(self, fail: set[str] = frozenset(), stale_once: set[str] = frozenset()) -> None:
        self.calls: Counter[str] = Counter()
        self.fail = fail
        self.stale_once = set(stale_once)
        self.lock = threading.Lock()

    def fire(self, session: Session, timer: Timer, now: datetime, _loaded: object) -> bool:
        with self.lock:
            self.calls[timer.dedupe_key] += 1
        if timer.dedupe_key in self.fail:
            raise RuntimeError(f"cannot ping {timer.dedupe_key}")
        if timer.dedupe_key in self.stale_once:
            self.stale_once.discard(timer.dedupe_key)
            raise StaleDataError("someone changed the ticket meanwhile")
        outbox.enqueue(
            session,
            now=now,
            dedupe_key=f"{timer.dedupe_key}:out",
            method="chat.postMessage",
            payload={"channel": "C0QUEUE01", "text": timer.dedupe_key},
            ordering_key=timer.dedupe_key,
        )
        return True


def sweep_for(database: Database, clock: MovableClock, pings: Pings, **options: object) -> TimerSweep:
    registry = TimerRegistry()
    registry.register("ping", pings.fire)
    return TimerSweep(database, clock, registry, **options)  # type: ignore[arg-type]


def states(database: Database) -> Counter[str]:
    with database.session() as session:
        return Counter(dict(session.execute(select(Timer.state, func.count()).group_by(Timer.state)).all()))


def outbox_keys(database: Database) -> Counter[str]:
    with database.session() as session:
        return Counter(session.scalars(select(OutboxMessage.dedupe_key)))


def test_two_sweeps_on_one_database_fire_every_timer_exactly_once(database: Database, clock: MovableClock) -> None:
    add_timers(database, 400)
    pings = Pings()
    # Two engines, as two processes would have; small batches so the sweeps keep overtaking each other.
    other = Database(database.url)
    sweeps = [sweep_for(database, clock, pings, batch_size=25), sweep_for(other, clock, pings, batch_size=25)]
    handled = [0, 0]
    start = threading.Barrier(2)

    def run(index: int) -> None:
        start.wait()
        handled[index] = sweeps[index].run()

    try:
        threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        other.dispose()
    assert sum(handled) == 400
    assert len(pings.calls) == 400 and set(pings.calls.values()) == {1}
    assert states(database) == {FIRED: 400}
    keys = outbox_keys(database)
    assert len(keys) == 400 and set(keys.values()) == {1}


def test_a_killed_sweeps_lease_expires_and_another_takes_its_timers_over(
    database: Database, clock: MovableClock
) -> None:
    add_timers(database, 30)
    pings = Pings()
    dead, alive = sweep_for(database, clock, pings), sweep_for(database, clock, pings)
    owner, won = dead._claim() or ("", [])  # claimed and committed, then the process "dies" before firing
    assert len(won) == 30
    assert alive.run() == 0
    clock.advance(LEASE + timedelta(seconds=1))
    assert alive.run() == 30
    assert dead._fire(owner, won) == 0  # the first claimer wakes up late: nothing left that is its own to fire
    assert set(pings.calls.values()) == {1} and states(database) == {FIRED: 30}


def test_a_failing_timer_backs_off_then_is_set_aside_while_the_others_fire(
    database: Database, clock: MovableClock, caplog: pytest.LogCaptureFixture
) -> None:
    add_timers(database, 20)
    pings = Pings(fail={"test:ping:7"})
    sweep = sweep_for(database, clock, pings, max_attempts=3)
    assert sweep.run() == 19
    assert states(database) == {FIRED: 19, PENDING: 1}
    assert len(outbox_keys(database)) == 19

    for attempt in (1, 2):
        with database.session() as session:
            failing = session.scalars(select(Timer).where(Timer.state == PENDING)).one()
            assert failing.attempts == attempt and failing.last_error == "RuntimeError: cannot ping test:ping:7"
            assert failing.lease_until == clock.now() + backoff(attempt)
        assert sweep.run() == 0  # held for its back-off: not tried again at once
        clock.advance(backoff(attempt) + timedelta(seconds=1))
        sweep.run()
    assert states(database) == {FIRED: 19, FAILED: 1}
    assert pings.calls["test:ping:7"] == 1 + 3  # the batch, then three attempts of its own
    assert "set aside after 3 attempts: RuntimeError: cannot ping test:ping:7" in caplog.text


def test_a_timer_that_lost_a_race_runs_again_without_counting_an_attempt(
    database: Database, clock: MovableClock
) -> None:
    add_timers(database, 5)
    pings = Pings(stale_once={"test:ping:2"})
    assert sweep_for(database, clock, pings).run() == 5
    with database.session() as session:
        assert set(session.scalars(select(Timer.attempts))) == {0}
    assert states(database) == {FIRED: 5}
    assert len(outbox_keys(database)) == 5


def test_a_kind_nobody_registered_is_set_aside_with_a_reason_and_the_rest_fire(
    database: Database, clock: MovableClock
) -> None:
    add_timers(database, 4)
    add_timers(database, 1, kind="page_step")
    assert sweep_for(database, clock, Pings()).run() == 5
    assert states(database) == {FIRED: 4, FAILED: 1}
    with database.session() as session:
        lost = session.scalars(select(Timer).where(Timer.kind == "page_step")).one()
    assert lost.last_error == "no handler for this kind" and lost.fired_at is None


def test_the_next_wake_up_is_the_nearest_timer_still_to_come(database: Database, clock: MovableClock) -> None:
    add_timers(database, 3)
    sweep = sweep_for(database, clock, Pings(fail={"test:ping:0"}))
    sweep.run()  # one fails and is held, overdue: waking for it at once would spin
    assert sweep.next_due() is None
    with database.session() as session:
        session.add(Timer(kind="ping", due_at=NOW + timedelta(minutes=5), dedupe_key="later", data={}, created_at=NOW))
    assert sweep.next_due() == NOW + timedelta(minutes=5)


def test_registering_a_kind_twice_is_refused() -> None:
    registry = TimerRegistry()
    registry.register("ping", Pings().fire)
    with pytest.raises(ValueError, match="already registered"):
        registry.register("ping", Pings().fire)
    assert registry.kinds == {"ping"}


def test_the_sweep_finishes_a_big_batch_quickly(database: Database, clock: MovableClock) -> None:
    # Not a benchmark: a guard against a per-timer cost that grows with the batch (it once was quadratic).
    add_timers(database, 2000)
    started = time.perf_counter()
    assert sweep_for(database, clock, Pings()).run() == 2000
    assert time.perf_counter() - started < 30
