"""Timers: due rows dispatched by kind to registered handlers, swept by any number of processes.

A sweep round selects a batch of due timers nobody holds and leases them (bot/leases.py) in one short commit; then
it fires the batch in one transaction: the timers are marked fired (only while still leased to this sweep), each
handler re-checks its subject and writes its outbox rows, and everything commits together. If that transaction
fails, the batch is fired again one timer per transaction, so one bad timer never rolls back or holds up the others:

- a lost race (StaleDataError: someone changed the ticket meanwhile; PostgreSQL serialization failures) runs that
  timer again and is not a failure;
- any other exception counts an attempt on the timer, records the error and holds it (its lease) for a back-off;
  after `max_attempts` the timer is set aside as FAILED with the reason logged. A kind with no handler is set aside
  at once.

A process that dies holding leases delays those timers by at most LEASE; then another sweep takes them over. A timer
fires exactly once because marking it fired is conditional on its lease and commits with its outbox rows, whose
dedupe keys derive from the timer's own.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from bot import leases
from bot.clock import Clock
from bot.db import Database, among, lost_race
from models import Timer

log = logging.getLogger(__name__)

PENDING, FIRED, CANCELLED, FAILED = "pending", "fired", "cancelled", "failed"
# Far longer than a batch takes to fire (well under a second; a few seconds when it falls back to one timer per
# transaction, or waits on SQLite's write lock), so a healthy sweep never loses its batch to another process; short
# enough that the timers of a killed process fire at most half a minute late.
LEASE = timedelta(seconds=30)
MAX_ATTEMPTS = 5
FIRST_BACKOFF, MAX_BACKOFF = timedelta(seconds=10), timedelta(hours=1)

# fire(session, timer, now, loaded) -> True when it fired, False when it found its subject moved on (cancelled).
Fire = Callable[[Session, Timer, datetime, Any], bool]
# load(session, timers) -> whatever fire needs for this batch's timers of the kind, read in a few queries.
Load = Callable[[Session, Sequence[Timer]], Any]
# finish(session, now, loaded) -> None: after the batch's timers of the kind fired, write what they collected in
# `loaded` (messages, timer changes) in a few statements, or fold several into one.
Finish = Callable[[Session, datetime, Any], None]


@dataclass(frozen=True)
class TimerKind:
    fire: Fire
    load: Load | None = None
    finish: Finish | None = None


class TimerRegistry:
    """kind → handler. Features register their kinds at start-up; the sweep never names a kind."""

    def __init__(self) -> None:
        self._kinds: dict[str, TimerKind] = {}

    def register(self, kind: str, fire: Fire, *, load: Load | None = None, finish: Finish | None = None) -> None:
        if kind in self._kinds:
            raise ValueError(f"timer kind {kind!r} is already registered")
        self._kinds[kind] = TimerKind(fire, load, finish)

    def get(self, kind: str) -> TimerKind | None:
        return self._kinds.get(kind)

    @property
    def kinds(self) -> frozenset[str]:
        return frozenset(self._kinds)


class _LeaseLost(Exception):
    """A timer of the batch is no longer leased to this sweep (its lease expired and another sweep took it)."""


@dataclass
class _Outcome:
    fired: int = 0
    cancelled: int = 0
    failed: int = 0


class TimerSweep:
    """Fires due timers through the registry; safe to run in any number of processes on SQLite and PostgreSQL."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        registry: TimerRegistry,
        *,
        batch_size: int = 500,
        lease: timedelta = LEASE,
        max_attempts: int = MAX_ATTEMPTS,
    ) -> None:
        self.database = database
        self.clock = clock
        self.registry = registry
        self.batch_size = batch_size
        self.lease = lease
        self.max_attempts = max_attempts

    def run(self) -> int:
        """Fire every timer due now, batch after batch; returns how many fired, were found stale or set aside."""
        handled = 0
        while True:
            ids = self._claim()
            if ids is None:
                return handled
            handled += self._fire(*ids)

    def next_due(self) -> datetime | None:
        """The nearest due time still to come, for the scheduler to wake at (timers due already are swept now)."""
        now = self.clock.now()
        with self.database.session() as session:
            return session.scalar(select(func.min(Timer.due_at)).where(Timer.state == PENDING, Timer.due_at > now))

    def _claim(self) -> tuple[str, list[int]] | None:
        """Lease a batch of due timers; None when nothing is left to claim. Commits before anything fires."""
        owner = leases.new_owner()

        def work(session: Session) -> list[int] | None:
            now = self.clock.now()
            due = list(
                session.scalars(
                    select(Timer.id)
                    .where(leases.claimable(Timer, now), Timer.due_at <= now)
                    .order_by(Timer.due_at, Timer.id)
                    .limit(self.batch_size)
                )
            )
            # Another sweep may win some or all of these; the loop simply selects again.
            return leases.claim(session, Timer, due, owner=owner, now=now, lease=self.lease) if due else None

        won = self.database.transaction(work)
        return None if won is None else (owner, won)

    def _fire(self, owner: str, ids: list[int]) -> int:
        if not ids:
            return 0
        if len(ids) == 1:
            return self._fire_alone(owner, ids[0])
        try:
            outcome = self.database.transaction(lambda session: self._fire_batch(session, owner, ids))
            return outcome.fired + outcome.cancelled + outcome.failed
        except Exception:  # any failure: narrowed down below, one timer at a time
            log.info("timer batch of %s failed; firing its timers one by one", len(ids), exc_info=True)
        return sum(self._fire_alone(owner, timer_id) for timer_id in ids)

    def _fire_alone(self, owner: str, timer_id: int) -> int:
        try:
            outcome = self.database.transaction(lambda session: self._fire_batch(session, owner, [timer_id]))
            return outcome.fired + outcome.cancelled + outcome.failed
        except _LeaseLost:
            return 0  # another sweep holds it now and fires it
        except (StaleDataError, DBAPIError) as error:
            if lost_race(error):
                # Still losing races after the transaction's own retries: leave it for the next round, uncounted.
                self._release(owner, timer_id)
                return 0
            return self._count_failure(owner, timer_id, error)
        except Exception as error:  # a handler's fault stays with its timer
            return self._count_failure(owner, timer_id, error)

    def _fire_batch(self, session: Session, owner: str, ids: list[int]) -> _Outcome:
        now = self.clock.now()
        # Mark them fired first, and only while this sweep holds them: this is the write that makes a firing
        # exclusive (on SQLite it also takes the write lock for the whole transaction), and it keeps a handler that
        # replaces its subject's pending timers from cancelling the very timer it fires.
        marked = session.execute(
            update(Timer)
            .where(among(session, Timer.id, ids), Timer.lease_owner == owner, Timer.state == PENDING)
            .values(state=FIRED, fired_at=now, lease_owner=None, lease_until=None)
            .execution_options(synchronize_session=False)
        )
        if marked.rowcount != len(ids):
            raise _LeaseLost(f"{len(ids) - marked.rowcount} of {len(ids)} timers are no longer leased to {owner}")
        timers = list(
            session.scalars(select(Timer).where(among(session, Timer.id, ids)).order_by(Timer.due_at, Timer.id))
        )
        by_kind: dict[str, list[Timer]] = defaultdict(list)
        for timer in timers:
            by_kind[timer.kind].append(timer)
        outcome, cancelled, unknown = _Outcome(), [], []
        for kind, group in by_kind.items():
            handler = self.registry.get(kind)
            if handler is None:
                unknown += group
                continue
            loaded = handler.load(session, group) if handler.load else None
            with session.no_autoflush:  # the batch's writes go out together rather than one flush per timer
                for timer in group:
                    if handler.fire(session, timer, now, loaded):
                        outcome.fired += 1
                    else:
                        cancelled.append(timer.id)
            if handler.finish:
                handler.finish(session, now, loaded)
        self._set(session, cancelled, state=CANCELLED)
        for timer in unknown:
            log.error("timer %s (%s) set aside: no handler for kind %r", timer.id, timer.dedupe_key, timer.kind)
        self._set(session, [t.id for t in unknown], state=FAILED, last_error="no handler for this kind", fired_at=None)
        outcome.cancelled, outcome.failed = len(cancelled), len(unknown)
        return outcome

    @staticmethod
    def _set(session: Session, ids: list[int], **values: Any) -> None:
        if ids:
            session.execute(
                update(Timer)
                .where(among(session, Timer.id, ids))
                .values(**values)
                .execution_options(synchronize_session=False)
            )

    def _count_failure(self, owner: str, timer_id: int, error: Exception) -> int:
        """Count a failed attempt and back off, or set the timer aside after the last one; 1 when set aside."""
        reason = f"{type(error).__name__}: {error}"[:2000]

        def work(session: Session) -> tuple[Timer | None, bool]:
            timer = session.scalar(select(Timer).where(Timer.id == timer_id, Timer.lease_owner == owner))
            if timer is None or timer.state != PENDING:
                return None, False
            timer.attempts += 1
            timer.last_error = reason
            if timer.attempts >= self.max_attempts:
                timer.state, timer.lease_owner, timer.lease_until = FAILED, None, None
                return timer, True
            # Held by this (expired-later) lease: no sweep takes it before the back-off ends.
            timer.lease_until = self.clock.now() + backoff(timer.attempts)
            return timer, False

        timer, set_aside = self.database.transaction(work)
        if timer is None:
            return 0
        if set_aside:
            log.error(
                "timer %s (%s) set aside after %s attempts: %s",
                timer.id,
                timer.dedupe_key,
                timer.attempts,
                reason,
                exc_info=error,
            )
            return 1
        log.warning(
            "timer %s (%s) failed (attempt %s of %s), retrying after %s: %s",
            timer.id,
            timer.dedupe_key,
            timer.attempts,
            self.max_attempts,
            backoff(timer.attempts),
            reason,
            exc_info=error,
        )
        return 0

    def _release(self, owner: str, timer_id: int) -> None:
        def work(session: Session) -> None:
            session.execute(
                update(Timer)
                .where(Timer.id == timer_id, Timer.lease_owner == owner, Timer.state == PENDING)
                .values(lease_owner=None, lease_until=None)
            )

        self.database.transaction(work)


def backoff(attempts: int) -> timedelta:
    """10 s after the first failure, four times longer after each next one, at most an hour."""
    return min(FIRST_BACKOFF * 4 ** (attempts - 1), MAX_BACKOFF)
