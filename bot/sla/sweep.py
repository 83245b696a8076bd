"""The SLA timer kinds: a warning before a deadline, the breach, and the repeat reminders after it.

Registered with the timer registry (bot/timers.py), which claims, fires and isolates them. Each handler re-checks
the timer against its clock (a timer of an older clock version is stale and cancelled: its replacement fires) and
queues its messages under keys derived from the timer's dedupe key, in the transaction that marks it fired.

Repeats never depend on who saw the breach first: whichever firing announces a breach also makes sure the clock's
first reminder exists (one key per clock version, so making sure twice adds nothing), and re-deriving a ticket's
clocks always writes the ticket row, so two processes re-deriving one ticket at once conflict and one runs again on
the other's result instead of cancelling its reminders.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import outbox
from bot.messages.sla import breach_message, warning_text
from bot.sla.clocks import BREACHED, RUNNING
from bot.sla.policy import Target
from bot.sla.service import BREACH, REMINDER, WARNING
from bot.tickets.cards import post_in_thread, update_card
from bot.tickets.service import TicketService
from bot.timers import TimerRegistry
from models import Customer, SlaClock, Ticket, Timer


@dataclass(frozen=True)
class Loaded:
    """A batch's clocks and tickets, read in three queries instead of three per timer."""

    clocks: dict[int, SlaClock]
    tickets: dict[int, Ticket]


class SlaTimers:
    def __init__(self, tickets: TicketService) -> None:
        self.tickets = tickets

    def register(self, registry: TimerRegistry) -> None:
        registry.register(WARNING, self.warning, load=self.load)
        registry.register(BREACH, self.breach, load=self.load)
        registry.register(REMINDER, self.reminder, load=self.load)

    @staticmethod
    def load(session: Session, timers: Sequence[Timer]) -> Loaded:
        clock_ids = {t.clock_id for t in timers if t.clock_id is not None}
        ticket_ids = {t.ticket_id for t in timers if t.ticket_id is not None}
        clocks = {c.id: c for c in session.scalars(select(SlaClock).where(SlaClock.id.in_(clock_ids)))}
        tickets = {t.id: t for t in session.scalars(select(Ticket).where(Ticket.id.in_(ticket_ids)))}
        # The messages name the customer; load them all at once rather than lazily per ticket.
        customer_ids = {t.customer_id for t in tickets.values()}
        list(session.scalars(select(Customer).where(Customer.id.in_(customer_ids))))
        return Loaded(clocks, tickets)

    def warning(self, session: Session, timer: Timer, now: datetime, loaded: Loaded) -> bool:
        subject = self._subject(timer, loaded)
        if subject is None or subject[0].state != RUNNING:
            return False
        row, ticket, target = subject
        text = warning_text(ticket, row, target, now)
        post_in_thread(session, ticket, now, f"{timer.dedupe_key}:thread", text)
        self._tell_owner(session, ticket, now, f"{timer.dedupe_key}:owner", text, None)
        return True

    def breach(self, session: Session, timer: Timer, now: datetime, loaded: Loaded) -> bool:
        subject = self._subject(timer, loaded)
        if subject is None:
            return False
        row, ticket, target = subject
        rows = self.tickets.sla.refresh(session, ticket, now, announced=row.id)
        latest = list({r.metric: r for r in rows}.values())  # the card shows each metric's latest cycle
        if row.state != BREACHED:
            return False
        text, blocks = breach_message(ticket, row, reminder=False)
        post_in_thread(session, ticket, now, f"{timer.dedupe_key}:thread", text)
        alert = target.alert_channel or ticket.queue_channel
        self._post(session, now, f"{timer.dedupe_key}:alert", alert, text, blocks, ticket)
        if ticket.assignee_id is not None or alert != ticket.queue_channel:
            self._tell_owner(session, ticket, now, f"{timer.dedupe_key}:owner", text, blocks)
        update_card(session, ticket, now, self.tickets.describe(ticket, latest, now))
        if target.repeat_every is not None and row.stopped_at is None:
            # Usually the refresh above made this very reminder; not when another firing re-derived the clock
            # first (a second clock's breach at the same moment), which must not stop the repeats.
            self.tickets.sla.schedule_reminder(session, row, target.repeat_every, 1, now)
        return True

    def reminder(self, session: Session, timer: Timer, now: datetime, loaded: Loaded) -> bool:
        subject = self._subject(timer, loaded)
        if subject is None or subject[0].state != BREACHED or subject[0].stopped_at is not None:
            return False
        row, ticket, target = subject
        text, blocks = breach_message(ticket, row, reminder=True)
        post_in_thread(session, ticket, now, f"{timer.dedupe_key}:thread", text)
        self._tell_owner(session, ticket, now, f"{timer.dedupe_key}:owner", text, blocks)
        if target.repeat_every is not None:
            if timer.data.get("snoozed"):
                # A snooze cancelled the numbered reminders of this version; the repeats after it are a new series.
                series, n = f"snooze{timer.id}:", 1
            else:
                series, n = str(timer.data.get("series", "")), int(timer.data.get("n", 0)) + 1
            self.tickets.sla.schedule_reminder(session, row, target.repeat_every, n, now, series=series)
        return True

    def _subject(self, timer: Timer, loaded: Loaded) -> tuple[SlaClock, Ticket, Target] | None:
        """The timer's clock, ticket and target, or None when the deadline moved since the timer was set."""
        row = loaded.clocks.get(timer.clock_id) if timer.clock_id is not None else None
        ticket = loaded.tickets.get(timer.ticket_id) if timer.ticket_id is not None else None
        if row is None or ticket is None or row.version != timer.version:
            return None
        target = self.tickets.sla.book.target(row.policy, ticket.priority, row.metric)
        return None if target is None else (row, ticket, target)

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
