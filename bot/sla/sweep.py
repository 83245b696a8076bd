"""The SLA timer kinds: a warning before a deadline, the breach, and the repeat reminders after it.

Registered with the timer registry (bot/timers.py), which claims, fires and isolates them. Each handler re-checks
the timer against its clock (a timer of an older clock version is stale and cancelled: its replacement fires) and
collects its messages, under keys derived from the timer's dedupe key, in the batch (`Batch`); the batch's `finish`
writes them all in the transaction that marks the timers fired: the clock and ticket rows in one flush, the timer
changes in two statements, the outbox rows in one.

Storms fold: when FOLD_AT or more alerts of one kind in one batch are for the same channel or person, they go as one
summary (bot/messages/sla.py `storm_message`), while each ticket's thread still gets its own line, carrying the
Snooze buttons the folded alert would have had. The summary's dedupe key is made from its alerts' own keys, so a
batch fired again after a rollback queues the same summary once.

Repeats never depend on who saw the breach first: whichever firing announces a breach also makes sure the clock's
first reminder exists (one key per clock version, so making sure twice adds nothing), and re-deriving a ticket's
clocks always writes the ticket row, so two processes re-deriving one ticket at once conflict and one runs again on
the other's result instead of cancelling its reminders.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from bot import outbox
from bot.db import among
from bot.messages.sla import (
    STORM_BREACH,
    STORM_REMINDER,
    STORM_WARNING,
    StormItem,
    breach_message,
    storm_message,
    warning_text,
)
from bot.sla.clocks import BREACHED, RUNNING
from bot.sla.policy import Target
from bot.sla.service import BREACH, REMINDER, WARNING, Prefetched, TimerWrites
from bot.tickets.cards import ordering
from bot.tickets.people import stakeholders
from bot.tickets.service import TicketService
from bot.timers import TimerRegistry
from models import SlaClock, Ticket, Timer

# Three or more alerts for one channel or person in one sweep batch go as one summary. Slack takes about one message
# a second per channel with a short burst: two messages go out at once, a third would already wait in line, and a
# reader facing three alerts at once is better served by one list ranked by urgency than by three separate posts.
FOLD_AT = 3
POST = "chat.postMessage"
STORM_KINDS = {WARNING: STORM_WARNING, BREACH: STORM_BREACH, REMINDER: STORM_REMINDER}


@dataclass
class Alert:
    """A message to a channel or person about one ticket, which a storm may fold into a summary."""

    key: str
    channel: str
    text: str
    blocks: list | None
    ticket: Ticket
    row: SlaClock
    target: Target
    thread: dict[str, Any]  # the ticket's thread line: it takes the alert's buttons when the alert is folded


@dataclass
class Batch:
    """A batch's clocks and tickets (read in a few queries), and what its timers collect as they fire."""

    kind: str
    clocks: dict[int, SlaClock]
    tickets: dict[int, Ticket]
    known: Prefetched | None = None
    writes: TimerWrites = field(default_factory=TimerWrites)
    messages: list[dict[str, Any]] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    touched: dict[int, Ticket] = field(default_factory=dict)  # tickets whose clocks were re-derived
    stakeholders: dict[int, list[str]] = field(default_factory=dict)  # told of every breach (bot/tickets/people.py)


class SlaTimers:
    def __init__(self, tickets: TicketService, *, fold_at: int = FOLD_AT) -> None:
        self.tickets = tickets
        self.fold_at = fold_at

    def register(self, registry: TimerRegistry) -> None:
        registry.register(WARNING, self.warning, load=self.loader(WARNING), finish=self.finish)
        registry.register(BREACH, self.breach, load=self.loader(BREACH), finish=self.finish)
        registry.register(REMINDER, self.reminder, load=self.loader(REMINDER), finish=self.finish)

    @staticmethod
    def loader(kind: str) -> Any:
        def load(session: Session, timers: Sequence[Timer]) -> Batch:
            ticket_ids = sorted({t.ticket_id for t in timers if t.ticket_id is not None})
            # Each ticket comes with its customer (a joined load), which every message names.
            tickets = {t.id: t for t in session.scalars(select(Ticket).where(among(session, Ticket.id, ticket_ids)))}
            if kind == BREACH:
                # A breach re-derives its ticket's clocks from the event log: read every ticket's clocks and log at
                # once; the timers' own clocks are among them.
                known = Prefetched.read(session, ticket_ids)
                clocks = {c.id: c for rows in known.clocks.values() for c in rows}
                batch = Batch(kind, clocks, tickets, known)
                batch.stakeholders = stakeholders(session, ticket_ids)
                return batch
            clock_ids = {t.clock_id for t in timers if t.clock_id is not None}
            query = select(SlaClock).where(among(session, SlaClock.id, clock_ids))
            return Batch(kind, {c.id: c for c in session.scalars(query)}, tickets)

        return load

    def warning(self, session: Session, timer: Timer, now: datetime, batch: Batch) -> bool:
        subject = self._subject(timer, batch)
        if subject is None or subject[0].state != RUNNING:
            return False
        row, ticket, target = subject
        text = warning_text(ticket, row, target, now)
        thread = self._thread(batch, ticket, f"{timer.dedupe_key}:thread", text)
        self._tell_owner(batch, ticket, row, target, f"{timer.dedupe_key}:owner", text, None, thread)
        return True

    def breach(self, session: Session, timer: Timer, now: datetime, batch: Batch) -> bool:
        subject = self._subject(timer, batch)
        if subject is None:
            return False
        row, ticket, target = subject
        sla = self.tickets.sla
        sla.refresh(session, ticket, now, announced=row.id, known=batch.known, writes=batch.writes)
        batch.touched[ticket.id] = ticket
        if row.state != BREACHED:
            return False
        text, blocks = breach_message(ticket, row, reminder=False)
        thread = self._thread(batch, ticket, f"{timer.dedupe_key}:thread", text)
        alert = target.alert_channel or ticket.queue_channel
        batch.alerts.append(Alert(f"{timer.dedupe_key}:alert", alert, text, blocks, ticket, row, target, thread))
        if ticket.assignee_id is not None or alert != ticket.queue_channel:
            self._tell_owner(batch, ticket, row, target, f"{timer.dedupe_key}:owner", text, blocks, thread)
        # The card is rendered by the outbox when this update is delivered; here it only gets its new version.
        ticket.card_version += 1
        batch.messages.append(
            {
                "dedupe_key": f"card:{ticket.key}:v{ticket.card_version}",
                "method": "chat.update",
                "payload": {},
                "ordering_key": ordering(ticket),
                "ticket_id": ticket.id,
                "role": outbox.CARD_UPDATE,
                "channel": ticket.queue_channel,
            }
        )
        if target.repeat_every is not None and row.stopped_at is None:
            # Usually the refresh above made this very reminder; not when another firing re-derived the clock
            # first (a second clock's breach at the same moment), which must not stop the repeats.
            sla.schedule_reminder(session, row, target.repeat_every, 1, now, writes=batch.writes)
        for user_id in batch.stakeholders.get(ticket.id, []):
            batch.messages.append(
                {
                    "dedupe_key": f"{timer.dedupe_key}:stakeholder:{user_id}",
                    "method": POST,
                    "payload": {"channel": user_id, "text": text, "unfurl_links": False},
                    "ordering_key": f"user:{user_id}",
                }
            )
        if target.ladder and row.stopped_at is None:
            sla.schedule_ladder(session, row, target, now, writes=batch.writes)
        return True

    def reminder(self, session: Session, timer: Timer, now: datetime, batch: Batch) -> bool:
        subject = self._subject(timer, batch)
        if subject is None or subject[0].state != BREACHED or subject[0].stopped_at is not None:
            return False
        row, ticket, target = subject
        text, blocks = breach_message(ticket, row, reminder=True)
        thread = self._thread(batch, ticket, f"{timer.dedupe_key}:thread", text)
        self._tell_owner(batch, ticket, row, target, f"{timer.dedupe_key}:owner", text, blocks, thread)
        if target.repeat_every is not None:
            if timer.data.get("snoozed"):
                # A snooze cancelled the numbered reminders of this version; the repeats after it are a new series.
                series, n = f"snooze{timer.id}:", 1
            else:
                series, n = str(timer.data.get("series", "")), int(timer.data.get("n", 0)) + 1
            self.tickets.sla.schedule_reminder(
                session, row, target.repeat_every, n, now, series=series, writes=batch.writes
            )
        return True

    def finish(self, session: Session, now: datetime, batch: Batch) -> None:
        """Write the batch: tickets, clocks, timer changes, then its messages with storms folded."""
        _write_tickets(session, list(batch.touched.values()))
        batch.writes.write(session)
        by_channel: dict[str, list[Alert]] = defaultdict(list)
        for alert in batch.alerts:
            by_channel[alert.channel].append(alert)
        posts: list[dict[str, Any]] = []
        for channel, alerts in by_channel.items():
            if len(alerts) >= self.fold_at:
                posts.append(self._summary(batch.kind, channel, alerts, now))
                continue
            for alert in alerts:
                payload = {"channel": channel, "text": alert.text, "unfurl_links": False}
                payload |= {"blocks": alert.blocks} if alert.blocks else {}
                # Per ticket and recipient: one ticket's alerts arrive in order without queueing behind others'.
                order = f"ticket:{alert.ticket.id}:to:{channel}"
                posts.append({"dedupe_key": alert.key, "method": POST, "payload": payload, "ordering_key": order})
        outbox.enqueue_many(session, now=now, messages=batch.messages + posts)

    @staticmethod
    def _summary(kind: str, channel: str, alerts: list[Alert], now: datetime) -> dict[str, Any]:
        items = [StormItem(a.ticket, a.row, a.target) for a in alerts]
        text, blocks = storm_message(items, STORM_KINDS[kind], now, direct=channel[:1] in ("U", "W"))
        for alert in alerts:
            if alert.blocks:
                # Folded: the ticket's own thread line carries its full Snooze choice instead.
                alert.thread["payload"]["blocks"] = alert.blocks
        digest = hashlib.sha256("\n".join(sorted(a.key for a in alerts)).encode()).hexdigest()[:24]
        return {
            "dedupe_key": f"sla:storm:{kind}:{channel}:{digest}",
            "method": POST,
            "payload": {"channel": channel, "text": text, "blocks": blocks, "unfurl_links": False},
            "ordering_key": f"sla:to:{channel}",
        }

    def _subject(self, timer: Timer, batch: Batch) -> tuple[SlaClock, Ticket, Target] | None:
        """The timer's clock, ticket and target, or None when the deadline moved since the timer was set."""
        row = batch.clocks.get(timer.clock_id) if timer.clock_id is not None else None
        ticket = batch.tickets.get(timer.ticket_id) if timer.ticket_id is not None else None
        if row is None or ticket is None or row.version != timer.version:
            return None
        target = self.tickets.sla.book.target(row.policy, ticket.priority, row.metric)
        return None if target is None else (row, ticket, target)

    @staticmethod
    def _thread(batch: Batch, ticket: Ticket, key: str, text: str) -> dict[str, Any]:
        """The ticket's card thread gets its own line, folded or not (as `cards.post_in_thread` queues it)."""
        message = {
            "dedupe_key": key,
            "method": POST,
            "payload": {"text": text, "unfurl_links": False},
            "ordering_key": ordering(ticket),
            "ticket_id": ticket.id,
            "role": outbox.CARD_THREAD,
            "channel": ticket.queue_channel,
        }
        batch.messages.append(message)
        return message

    @staticmethod
    def _tell_owner(
        batch: Batch,
        ticket: Ticket,
        row: SlaClock,
        target: Target,
        key: str,
        text: str,
        blocks: list | None,
        thread: dict[str, Any],
    ) -> None:
        """The assignee by DM, or the queue channel when nobody has the ticket."""
        channel = ticket.assignee_id or ticket.queue_channel
        batch.alerts.append(Alert(key, channel, text, blocks, ticket, row, target, thread))


TICKET_WRITE = (
    update(Ticket)
    .where(Ticket.id == bindparam("ticket_id"), Ticket.row_version == bindparam("seen_version"))
    .values(
        next_deadline_at=bindparam("deadline"),
        sla_breached=bindparam("breached"),
        card_version=bindparam("card"),
        row_version=Ticket.row_version + 1,
    )
)


def _write_tickets(session: Session, tickets: Sequence[Ticket]) -> None:
    """The re-derived tickets in one executemany, with the ORM's own optimistic version check.

    The ORM writes a versioned row one statement at a time; a breach storm re-derives hundreds of tickets. Any ticket
    changed by someone else since it was read fails the check, and the batch runs again like any lost race.
    """
    rows = [
        {
            "ticket_id": t.id,
            "seen_version": t.row_version,
            "deadline": t.next_deadline_at,
            "breached": t.sla_breached,
            "card": t.card_version,
        }
        for t in tickets
    ]
    if not rows:
        return
    written = session.connection().execute(TICKET_WRITE, rows)
    if written.rowcount != len(rows):
        raise StaleDataError(f"{len(rows) - written.rowcount} of {len(rows)} tickets changed while their SLA moved")
    for ticket, row in zip(tickets, rows, strict=True):
        # What was just written is now the committed state: the ORM's flush has nothing left to write for them.
        for name in ("next_deadline_at", "sla_breached", "card_version"):
            set_committed_value(ticket, name, getattr(ticket, name))
        set_committed_value(ticket, "row_version", row["seen_version"] + 1)
