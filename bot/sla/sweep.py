"""The timer sweep: claim due timers, re-check their clock, queue the reminders and mark them fired, in one commit.

On PostgreSQL due rows are claimed with FOR UPDATE SKIP LOCKED, so any number of processes sweep together and each
timer fires once; its outbox rows carry the timer's dedupe key, so even a retried commit cannot post twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot import outbox
from bot.clock import Clock
from bot.db import Database
from bot.messages.sla import breach_message, warning_text
from bot.sla.clocks import BREACHED, RUNNING
from bot.sla.service import BREACH, CANCELLED, FIRED, PENDING, REMINDER, WARNING
from bot.tickets.cards import post_in_thread, update_card
from bot.tickets.service import TicketService
from models import SlaClock, Ticket, Timer


class TimerSweep:
    def __init__(self, database: Database, clock: Clock, tickets: TicketService, *, batch_size: int = 500) -> None:
        self.database = database
        self.clock = clock
        self.tickets = tickets
        self.batch_size = batch_size

    def run(self) -> int:
        """Fire every timer due now, batch after batch; returns how many fired or were found stale."""
        handled = 0
        while True:
            count = self._batch()
            handled += count
            if count < self.batch_size:
                return handled

    def next_due(self) -> datetime | None:
        with self.database.session() as session:
            return session.scalar(select(func.min(Timer.due_at)).where(Timer.state == PENDING))

    def _batch(self) -> int:
        now = self.clock.now()
        with self.database.session() as session:
            due = list(
                session.scalars(
                    select(Timer)
                    .where(Timer.state == PENDING, Timer.due_at <= now)
                    .order_by(Timer.due_at, Timer.id)
                    .limit(self.batch_size)
                    .with_for_update(skip_locked=True)
                )
            )
            # Load the batch's clocks and tickets in two queries and hold them while the batch fires; writes go out
            # together at the commit rather than one flush per timer.
            clock_ids = {t.clock_id for t in due if t.clock_id is not None}
            ticket_ids = {t.ticket_id for t in due if t.ticket_id is not None}
            clocks = {c.id: c for c in session.scalars(select(SlaClock).where(SlaClock.id.in_(clock_ids)))}
            tickets = {t.id: t for t in session.scalars(select(Ticket).where(Ticket.id.in_(ticket_ids)))}
            with session.no_autoflush:
                for timer in due:
                    self._fire(session, timer, now, clocks.get(timer.clock_id), tickets.get(timer.ticket_id))
            return len(due)

    def _fire(self, session: Session, timer: Timer, now: datetime, row: SlaClock | None, ticket: Ticket | None) -> None:
        timer.state, timer.fired_at = FIRED, now
        if row is None or ticket is None or row.version != timer.version:
            timer.state = CANCELLED  # the deadline moved after this timer was set; its replacement will fire
            return
        target = self.tickets.sla.book.target(row.policy, ticket.priority, row.metric)
        if target is None:
            timer.state = CANCELLED
            return
        if timer.kind == WARNING and row.state == RUNNING:
            text = warning_text(ticket, row, target, now)
            post_in_thread(session, ticket, now, f"{timer.dedupe_key}:thread", text)
            self._tell_owner(session, ticket, now, f"{timer.dedupe_key}:owner", text, None)
        elif timer.kind == BREACH:
            lines = self._refresh(session, ticket, now, announced=row.id)
            if row.state != BREACHED:
                timer.state = CANCELLED
                return
            text, blocks = breach_message(ticket, row, reminder=False)
            post_in_thread(session, ticket, now, f"{timer.dedupe_key}:thread", text)
            alert = target.alert_channel or ticket.queue_channel
            self._post(session, now, f"{timer.dedupe_key}:alert", alert, text, blocks, ticket)
            if ticket.assignee_id is not None or alert != ticket.queue_channel:
                self._tell_owner(session, ticket, now, f"{timer.dedupe_key}:owner", text, blocks)
            update_card(session, ticket, now, lines)
        elif timer.kind == REMINDER and row.state == BREACHED and row.stopped_at is None:
            text, blocks = breach_message(ticket, row, reminder=True)
            post_in_thread(session, ticket, now, f"{timer.dedupe_key}:thread", text)
            self._tell_owner(session, ticket, now, f"{timer.dedupe_key}:owner", text, blocks)
            if target.repeat_every is not None:
                self.tickets.sla.schedule_reminder(
                    session, row, target.repeat_every, int(timer.data.get("n", 0)) + 1, now
                )
        else:
            timer.state = CANCELLED

    def _refresh(self, session: Session, ticket: Ticket, now: datetime, *, announced: int) -> list[str]:
        latest = {row.metric: row for row in self.tickets.sla.refresh(session, ticket, now, announced=announced)}
        return self.tickets.describe(ticket, list(latest.values()), now)

    def _tell_owner(
        self, session: Session, ticket: Ticket, now: datetime, key: str, text: str, blocks: list | None
    ) -> None:
        """The assignee by DM, or the queue channel when nobody has the ticket."""
        self._post(session, now, key, ticket.assignee_id or ticket.queue_channel, text, blocks, ticket)

    @staticmethod
    def _post(
        session: Session, now: datetime, key: str, channel: str, text: str, blocks: list | None, ticket: Ticket
    ) -> None:
        payload = {"channel": channel, "text": text, "unfurl_links": False} | ({"blocks": blocks} if blocks else {})
        # Per ticket and recipient: one ticket's reminders arrive in order without queueing behind other tickets'.
        outbox.enqueue(
            session,
            now=now,
            dedupe_key=key,
            method="chat.postMessage",
            payload=payload,
            ordering_key=f"ticket:{ticket.id}:to:{channel}",
        )
