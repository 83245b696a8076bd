"""Keeping a ticket's SLA clocks and timers current: called inside every ticket change's unit of work."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from bot.db import among, insert_many_new, insert_new
from bot.sla.calendar import BusinessCalendar
from bot.sla.calendar_days import wall_to_utc
from bot.sla.clocks import BREACHED, RUNNING, ClockState, Happening, TicketFacts, clocks
from bot.sla.policy import PolicyBook, Target
from models import SlaClock, Ticket, TicketEvent, Timer

WARNING, BREACH, REMINDER, LADDER = "sla_warning", "sla_breach", "sla_reminder", "sla_ladder"
PENDING, FIRED, CANCELLED = "pending", "fired", "cancelled"
# The columns of a clock its timers depend on: when one moves, the clock's version goes up and its timers are replaced.
MOVES = frozenset({"state", "deadline_at", "policy", "target_seconds"})
# The columns of an event the clocks read: plain rows, not events loaded as objects.
HAPPENING = (TicketEvent.kind, TicketEvent.created_at, TicketEvent.data)


@dataclass
class Prefetched:
    """Every clock and event of a batch's tickets, read in two queries instead of two per ticket."""

    clocks: dict[int, list[SlaClock]] = field(default_factory=lambda: defaultdict(list))
    events: dict[int, list[Happening]] = field(default_factory=lambda: defaultdict(list))

    @classmethod
    def read(cls, session: Session, ticket_ids: Sequence[int]) -> Prefetched:
        known = cls()
        for row in session.scalars(select(SlaClock).where(among(session, SlaClock.ticket_id, ticket_ids))):
            known.clocks[row.ticket_id].append(row)
        events = select(TicketEvent.ticket_id, *HAPPENING).where(among(session, TicketEvent.ticket_id, ticket_ids))
        for ticket_id, kind, at, data in session.execute(events.order_by(TicketEvent.id)):
            known.events[ticket_id].append(Happening(kind, at, data))
        return known

    @classmethod
    def new_ticket(cls, ticket: Ticket, created: TicketEvent) -> Prefetched:
        """What a ticket opened in this unit of work has: no clock yet, and its one event."""
        known = cls()
        known.clocks[ticket.id] = []
        known.events[ticket.id] = [Happening(created.kind, created.created_at, created.data)]
        return known


class TimerWrites:
    """A batch's timer changes, written at its end in two statements instead of two per clock.

    Cancelling a clock's pending timers also drops the inserts queued for that clock before it, which the cancel
    would have caught had they been written at once; the cancels then run before the inserts.
    """

    def __init__(self) -> None:
        self._cancelled: dict[int, SlaClock] = {}
        self._inserts: dict[int, dict[str, tuple[SlaClock, dict]]] = defaultdict(dict)

    def cancel(self, row: SlaClock) -> None:
        self._cancelled[id(row)] = row
        self._inserts.pop(id(row), None)

    def add(self, row: SlaClock, values: dict) -> None:
        # The same timer asked for twice in a batch (a breach makes sure its first reminder exists) is written once.
        self._inserts[id(row)].setdefault(values["dedupe_key"], (row, values))

    def write(self, session: Session) -> None:
        session.flush()  # the batch's clock rows, so new ones have ids
        ids = [row.id for row in self._cancelled.values()]
        for start in range(0, len(ids), 1000):
            SlaService.cancel_pending(session, ids[start : start + 1000])
        rows = [values | {"clock_id": row.id} for queued in self._inserts.values() for row, values in queued.values()]
        insert_many_new(session, Timer, rows, unique="dedupe_key")
        self._cancelled.clear()
        self._inserts.clear()


class SlaService:
    def __init__(self, book: PolicyBook) -> None:
        self.book = book

    def refresh(
        self,
        session: Session,
        ticket: Ticket,
        now: datetime,
        *,
        announced: int | None = None,
        known: Prefetched | None = None,
        writes: TimerWrites | None = None,
    ) -> list[SlaClock]:
        """Re-derive the ticket's clocks from its log; replace the timers of every clock whose deadline moved.

        A sweep passes what it read for its whole batch (`known`) and collects the timer changes (`writes`);
        otherwise the ticket's own timer changes are written at the end, in two statements at most.
        """
        batch = writes if writes is not None else TimerWrites()
        if known is None:
            have = list(session.scalars(select(SlaClock).where(SlaClock.ticket_id == ticket.id)))
        else:
            have = known.clocks[ticket.id]
        states = clocks(self._facts(session, ticket, known), self.book, now)
        rows = {(r.metric, r.cycle): r for r in have}
        for state in states:
            row = rows.get((state.metric, state.cycle))
            if row is None:
                row = SlaClock(ticket_id=ticket.id, metric=state.metric, cycle=state.cycle, version=0)
                session.add(row)
                rows[(state.metric, state.cycle)] = row
                if known is not None:
                    have.append(row)
            new = not row.version
            changed = self._copy(row, state, now)
            if not new and not changed & MOVES:
                continue  # nothing its timers depend on moved
            row.version += 1
            self._replace_timers(
                session,
                ticket,
                row,
                state,
                now,
                new=new,
                newly_breached=new or "state" in changed,  # read only when the derived state is BREACHED
                announced=announced is not None and announced == row.id,
                writes=batch,
            )
        if writes is None:
            batch.write(session)
        running = [r.deadline_at for r in rows.values() if r.state == RUNNING and r.deadline_at is not None]
        ticket.next_deadline_at = min(running, default=None)
        ticket.sla_breached = any(r.state == BREACHED and r.stopped_at is None for r in rows.values())
        # Always write the ticket row, so its version moves: two processes re-deriving one ticket's clocks at once
        # (two timers firing, or a timer and a change) then conflict and one runs again on the other's result,
        # rather than both replacing the same timers and cancelling what the other just scheduled.
        flag_modified(ticket, "sla_breached")
        return sorted(rows.values(), key=lambda r: (r.metric, r.cycle))

    def snooze(self, session: Session, clock: SlaClock, until: datetime, now: datetime) -> None:
        """Hold the reminders of a breached clock until `until`."""
        self._cancel(session, clock)
        self._timer(session, REMINDER, clock, until, f"snooze:{int(until.timestamp())}", now, {"snoozed": True})

    @staticmethod
    def tomorrow(target: Target | None, now: datetime) -> datetime:
        """When "snooze until tomorrow" ends: the first working period that starts on the next local date.

        Dates are the target calendar's own (a team in Tokyo snoozing at 23:00 UTC is already in its tomorrow). A
        night shift still running at midnight is today's, so it is skipped. A 24/7 target has no working hours and
        no time zone of its own, so its tomorrow is this time tomorrow: 24 hours, the same for every reader.
        """
        calendar = target.calendar if target is not None else None
        if not isinstance(calendar, BusinessCalendar):
            return now + timedelta(days=1)
        zone = ZoneInfo(calendar.tz)
        midnight = wall_to_utc(datetime.combine(now.astimezone(zone).date() + timedelta(days=1), time(0)), zone)
        start = calendar.next_open(midnight)
        if start == midnight and calendar.is_open(midnight - timedelta(microseconds=1)):
            shift_end = next(iter(calendar.open_intervals(midnight, midnight + timedelta(days=1))))[1]
            if shift_end < midnight + timedelta(days=1):
                start = calendar.next_open(shift_end)
        return start

    def _facts(self, session: Session, ticket: Ticket, known: Prefetched | None = None) -> TicketFacts:
        if known is None:
            query = select(*HAPPENING).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id)
            events = [Happening(kind, at, data) for kind, at, data in session.execute(query)]
        else:
            events = known.events[ticket.id]
        return TicketFacts(
            created_at=ticket.created_at,
            priority=ticket.priority,
            status=ticket.status,
            tier=ticket.customer.tier,
            source=ticket.source,
            customer=ticket.customer.name,
            events=events,
        )

    @staticmethod
    def _copy(row: SlaClock, state: ClockState, now: datetime) -> set[str]:
        """Bring the row to the derived state; the names of the columns that changed. A row already in that state is
        left alone, so an unchanged clock costs no UPDATE: most changes to a ticket move one of its clocks, if any."""
        values = {
            "policy": state.policy,
            "state": state.state,
            "target_seconds": int(state.target.duration.total_seconds()),
            "business_hours": state.target.business_hours,
            "started_at": state.started_at,
            "deadline_at": state.deadline_at,
            "breached_at": state.breached_at,
            "stopped_at": state.stopped_at,
            "breach_reason": state.breach_reason,
            "elapsed_seconds": int(state.elapsed.total_seconds()) if state.stopped_at is not None else None,
            "paused_seconds": int(state.paused.total_seconds()),
            "paused_since": state.paused_since,
        }
        changed = {name: value for name, value in values.items() if getattr(row, name) != value}
        for name, value in changed.items():
            setattr(row, name, value)
        if changed:
            row.updated_at = now
        return set(changed)

    def _replace_timers(
        self,
        session: Session,
        ticket: Ticket,
        row: SlaClock,
        state: ClockState,
        now: datetime,
        *,
        new: bool = False,
        newly_breached: bool,
        announced: bool,
        writes: TimerWrites | None = None,
    ) -> None:
        if not new:  # a clock first derived now has no timers yet
            self._cancel(session, row, writes)
        target = state.target
        if state.state == RUNNING and state.deadline_at is not None and state.resumed_at is not None:
            used, total = state.counted_before_resume, target.duration
            marks = [(f"warn:{p}pct", total * p / 100) for p in target.warn_percent]
            marks += [(f"warn:{int(b.total_seconds())}s-before", total - b) for b in target.warn_before]
            for label, at_used in marks:
                if at_used <= used:
                    continue  # already past that mark: an earlier version had its chance to warn
                due = target.calendar.add(state.resumed_at, at_used - used)
                if target.business_hours:
                    due = target.calendar.next_open(due)  # held until working time: nobody is warned at 3 a.m.
                if due < state.deadline_at and due >= now:
                    self._timer(session, WARNING, row, due, label, now, {"mark": label}, writes)
            self._timer(session, BREACH, row, state.deadline_at, "breach", now, {}, writes)
        elif state.state == BREACHED and state.stopped_at is None:
            if newly_breached and not announced:
                self._timer(session, BREACH, row, max(state.breached_at or now, now), "breach", now, {}, writes)
            elif target.repeat_every is not None:
                self._timer(session, REMINDER, row, now + target.repeat_every, "remind:1", now, {"n": 1}, writes)

    def schedule_reminder(
        self,
        session: Session,
        row: SlaClock,
        every: timedelta,
        n: int,
        now: datetime,
        *,
        series: str = "",
        writes: TimerWrites | None = None,
    ) -> None:
        """The n-th repeat of a breach; scheduling the same one twice (same clock version and label) adds nothing."""
        data = {"n": n} | ({"series": series} if series else {})
        self._timer(session, REMINDER, row, now + every, f"{series}remind:{n}", now, data, writes)

    def schedule_ladder(
        self, session: Session, row: SlaClock, target: Target, now: datetime, *, writes: TimerWrites | None = None
    ) -> None:
        """The breach ladder's steps, each due its `after` past the breach, once per clock version; a clock that
        moves (met, paused, a new deadline) cancels them with the rest of its timers."""
        breached_at = row.breached_at or now
        for i, step in enumerate(target.ladder):
            self._timer(
                session, LADDER, row, max(breached_at + step.after, now), f"ladder:{i}", now, {"step": i}, writes
            )

    @staticmethod
    def cancel_pending(session: Session, clock_ids: Sequence[int]) -> None:
        # No synchronizing of loaded objects: the sweep holds a whole batch of timers in the session, and matching
        # each UPDATE against all of them in Python made a batch cost quadratic time.
        session.execute(
            update(Timer)
            .where(among(session, Timer.clock_id, clock_ids), Timer.state == PENDING)
            .values(state=CANCELLED)
            .execution_options(synchronize_session=False)
        )

    @classmethod
    def _cancel(cls, session: Session, row: SlaClock, writes: TimerWrites | None = None) -> None:
        if writes is not None:
            writes.cancel(row)
        else:
            cls.cancel_pending(session, [row.id])

    @staticmethod
    def _timer(
        session: Session,
        kind: str,
        row: SlaClock,
        due: datetime,
        label: str,
        now: datetime,
        data: dict,
        writes: TimerWrites | None = None,
    ) -> None:
        key = f"sla:T-{row.ticket_id}:{row.metric}#{row.cycle}:v{row.version}:{label}"
        values = {
            "kind": kind,
            "ticket_id": row.ticket_id,
            "clock_id": row.id,
            "version": row.version,
            "due_at": due,
            "dedupe_key": key,
            "state": PENDING,
            "data": data,
            "created_at": now,
        }
        if writes is not None:
            writes.add(row, values)
        else:
            insert_new(session, Timer, values, unique="dedupe_key")
