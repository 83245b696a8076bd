"""Ticket lifecycle: every change is one unit of work that appends an event, bumps the card and queues its posts."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot import outbox
from bot.clock import Clock
from bot.config import LiaisonConfig
from bot.db import Database, insert_new
from bot.errors import PermissionDenied, TicketNotFound, UsageError
from bot.messages.activity import activity_text
from bot.sla.clocks import STOPPED_STATUSES
from bot.sla.service import Prefetched, SlaService
from bot.templating import render
from bot.tickets import loads, rules
from bot.tickets.cards import post_card, post_in_thread, sla_lines, update_card
from bot.tickets.lists import list_query
from bot.tickets.values import Actor, Change, Opened, TicketDetails, TicketDraft, TicketLine
from models import AppliedRequest, Customer, SlaClock, Ticket, TicketEvent


class TicketService:
    def __init__(self, database: Database, clock: Clock, config: LiaisonConfig) -> None:
        self.database = database
        self.clock = clock
        self.config = config
        self.sla = SlaService(config.sla)
        # Called in the unit of work of every change, after the change (paging resolves a solved ticket's pages).
        # Each gets the event the change recorded (its kind, body and data).
        self.observers: list[Callable[[Session, Ticket, TicketEvent, datetime], None]] = []

    # Reading

    def customers(self) -> list[Customer]:
        with self.database.session() as session:
            return list(session.scalars(select(Customer).order_by(func.lower(Customer.name)).limit(100)))

    def find_by_source(self, source_ref: str) -> Ticket | None:
        with self.database.session() as session:
            return session.scalar(select(Ticket).where(Ticket.source_ref == source_ref))

    def show(self, actor: Actor, key: str, extra: Sequence[TicketLine] = ()) -> TicketDetails:
        """The ticket, its last events and SLA lines; for agents also the `extra` lines, all in one unit of work."""
        with self.database.session() as session:
            ticket = self._get(session, key)
            if not actor.is_agent and ticket.requester_id != actor.user_id:
                raise PermissionDenied(f"{ticket.key} is not one of your tickets. Support agents can see every ticket.")
            query = select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
            if not actor.is_agent:
                query = query.where(TicketEvent.kind.in_(rules.PUBLIC_EVENTS))
            events = list(session.scalars(query.order_by(TicketEvent.id.desc()).limit(10)))
            now = self.clock.now()
            lines = sla_lines(session, ticket, now, self.sla.book)
            context = [line for add in extra if (line := add(session, ticket, now))] if actor.is_agent else []
            return TicketDetails(ticket, list(reversed(events)), lines, "\n".join(context) or None)

    def for_change(self, actor: Actor, key: str) -> Ticket:
        """The ticket, if the actor may change it (to open a form about it); refuses like any change would."""
        with self.database.session() as session:
            return self._changeable(session, actor, key)

    def for_change_in(self, session: Session, actor: Actor, key: str) -> Ticket:
        """`for_change` in the caller's unit of work."""
        return self._changeable(session, actor, key)

    def list(self, actor: Actor, scope: str = "open", limit: int = 20) -> list[Ticket]:
        """Most urgent first: breached, then nearest SLA deadline, priority, waiting on us before the customer, age."""
        kind = scope if scope in ("mine", "open") else "customer"
        query = list_query(kind, actor.is_agent)
        with self.database.session() as session:
            return list(session.scalars(query, {"user": actor.user_id, "search": scope.lower(), "limit": limit}))

    def home_lists(self, actor: Actor) -> tuple[list[Ticket], list[Ticket]]:
        """The App Home's two lists: the actor's own open tickets, and the queue's most urgent unsolved ones."""
        return self.list(actor, "mine", limit=20), (self.list(actor, "open", limit=10) if actor.is_agent else [])

    # Changing

    def open(self, actor: Actor, draft: TicketDraft) -> Opened:
        """Open a ticket and queue its card; opening the same source twice returns the first ticket."""

        def unit(session: Session) -> Opened:
            if draft.source_ref is not None:
                existing = session.scalar(select(Ticket).where(Ticket.source_ref == draft.source_ref))
                if existing is not None:
                    return Opened(existing, created=False)
            return Opened(self._open(session, actor, draft), created=True)

        try:
            return self.database.transaction(unit)
        except IntegrityError:
            # Two deliveries of the same request raced; the other one won.
            if draft.source_ref is not None and (existing := self.find_by_source(draft.source_ref)) is not None:
                return Opened(existing, created=False)
            raise

    def _open(self, session: Session, actor: Actor, draft: TicketDraft) -> Ticket:
        now = self.clock.now()
        customer = self._customer(session, draft, now)
        ticket = Ticket(
            subject=draft.subject.strip(),
            description=draft.description.strip(),
            customer=customer,
            priority=draft.priority,
            status="new",
            requester_id=actor.user_id,
            source=draft.source,
            source_ref=draft.source_ref,
            source_permalink=draft.source_permalink,
            queue_channel=self.config.queue_channel,
            card_version=0,
            created_at=now,
            updated_at=now,
        )
        session.add(ticket)
        session.flush()
        event = self._event(
            session,
            ticket,
            rules.CREATED,
            actor.user_id,
            draft.description,
            now,
            source=draft.source,
            priority=draft.priority,
        )
        self.sla.refresh(session, ticket, now, known=Prefetched.new_ticket(ticket, event))  # nothing to read back
        post_card(session, ticket, now)
        self._thread_post(session, ticket, event, now)
        for observer in self.observers:
            observer(session, ticket, event, now)
        if draft.source_channel is not None and draft.source_channel == customer.slack_channel_id:
            return ticket  # the customer's shared channel: its thread gets the ticket's status line instead
        outbox.enqueue(
            session,
            now=now,
            dedupe_key=f"opened:{ticket.key}",
            method="chat.postMessage",
            payload={"channel": actor.user_id, "text": render("opened_dm.md.j2", ticket=ticket)},
            ordering_key=f"user:{actor.user_id}",
        )
        if draft.source_channel and draft.source_ts:
            outbox.enqueue(
                session,
                now=now,
                dedupe_key=f"source:{ticket.key}",
                method="chat.postMessage",
                payload={
                    "channel": draft.source_channel,
                    "thread_ts": draft.source_ts,
                    "text": render("source_reply.md.j2", author=actor.user_id, key=ticket.key, subject=ticket.subject),
                },
                ordering_key=f"source:{ticket.key}",
            )
        return ticket

    # Each change takes `request`, the key of the person's one action (a slash command's trigger id, a modal's view
    # id, ...): recorded with the change in one commit, so a Slack retry or a double submission applies once.

    def claim(self, actor: Actor, key: str, *, request: str | None = None) -> Change:
        return self.assign(actor, key, actor.user_id, request=request)

    def assign(self, actor: Actor, key: str, assignee_id: str | None, *, request: str | None = None) -> Change:
        if assignee_id is not None:
            assignee_id = rules.parse_user_id(assignee_id)

        def work(session: Session) -> Change:
            ticket = self._changeable(session, actor, key)
            if ticket.assignee_id == assignee_id:
                return Change(ticket, applied=False)
            old, ticket.assignee_id = ticket.assignee_id, assignee_id
            if ticket.status == "new" and assignee_id is not None:
                ticket.status = "open"
            self._changed(session, ticket, rules.ASSIGNEE_CHANGE, actor, old=old, new=assignee_id)
            return Change(ticket)

        return self._apply(key, request, work)

    def set_status(self, actor: Actor, key: str, status: str, *, request: str | None = None) -> Change:
        return self._set(actor, key, "status", rules.parse_status(status), rules.STATUS_CHANGE, request)

    def set_priority(self, actor: Actor, key: str, priority: str, *, request: str | None = None) -> Change:
        return self._set(actor, key, "priority", rules.parse_priority(priority), rules.PRIORITY_CHANGE, request)

    def _set(self, actor: Actor, key: str, field_name: str, value: str, kind: str, request: str | None) -> Change:
        """Change one field and log it as `kind` with its old and new value; setting the same value changes nothing."""

        def work(session: Session) -> Change:
            ticket = self._changeable(session, actor, key)
            old = getattr(ticket, field_name)
            if old == value:
                return Change(ticket, applied=False)
            setattr(ticket, field_name, value)
            self._changed(session, ticket, kind, actor, old=old, new=value)
            return Change(ticket)

        return self._apply(key, request, work)

    def assign_in(self, session: Session, actor: Actor, ticket: Ticket, assignee_id: str) -> None:
        """An assignment in the caller's unit of work (an agent accepting a routed ticket)."""
        old, ticket.assignee_id = ticket.assignee_id, assignee_id
        if ticket.status == "new":
            ticket.status = "open"
        self._changed(session, ticket, rules.ASSIGNEE_CHANGE, actor, old=old, new=assignee_id)

    def set_status_in(self, session: Session, actor: Actor, ticket: Ticket, status: str) -> None:
        """A status change in the caller's unit of work (an incident resolving its linked tickets together)."""
        old, ticket.status = ticket.status, rules.parse_status(status)
        self._changed(session, ticket, rules.STATUS_CHANGE, actor, old=old, new=ticket.status)

    def reply(
        self, actor: Actor, key: str, text: str, *, request: str | None = None, slack_ts: str | None = None
    ) -> Change:
        """Record a public reply to the customer; a reply to a new ticket opens it. `slack_ts`: the reply was
        written in the customer's shared thread (so it is not posted there again)."""

        def work(session: Session) -> Change:
            ticket = self._changeable(session, actor, key)
            if ticket.status == "new":
                ticket.status = "open"
            self._changed(session, ticket, rules.PUBLIC_REPLY, actor, body=text, **_posted_at(slack_ts))
            return Change(ticket)

        return self._apply(key, request, work)

    def note(self, actor: Actor, key: str, text: str, *, request: str | None = None) -> Change:
        def work(session: Session) -> Change:
            ticket = self._changeable(session, actor, key)
            self._changed(session, ticket, rules.INTERNAL_NOTE, actor, body=text)
            return Change(ticket)

        return self._apply(key, request, work)

    def customer_message(
        self, actor: Actor, key: str, text: str, *, request: str | None = None, slack_ts: str | None = None
    ) -> Change:
        """Record a message from the customer; the requester may add one to their own ticket. `slack_ts`: it was
        written in the ticket's thread in the customer's shared channel, where anyone of the customer may answer."""

        def work(session: Session) -> Change:
            ticket = self._get(session, key)
            if not actor.is_agent and ticket.requester_id != actor.user_id and slack_ts is None:
                raise self._refusal(ticket)
            if ticket.status in ("pending", "solved"):
                # The customer answered, or came back: the ball is with us again. Logged as a status change of its
                # own, so the clocks (derived from the log) see the ticket reopen.
                old, ticket.status = ticket.status, "open"
                self._changed(session, ticket, rules.STATUS_CHANGE, actor, old=old, new="open")
            self._changed(session, ticket, rules.CUSTOMER_MESSAGE, actor, body=text, **_posted_at(slack_ts))
            return Change(ticket)

        return self._apply(key, request, work)

    def snooze(self, actor: Actor, clock_id: int, choice: str) -> tuple[Ticket, datetime]:
        """Hold a breached target's reminders: '30m', '2h' or 'tomorrow' (its calendar's next working day)."""
        with self.database.session() as session:
            row = session.get(SlaClock, clock_id)
            if row is None:
                raise UsageError("That SLA target no longer exists.")
            ticket = self._changeable(session, actor, f"T-{row.ticket_id}")
            now = self.clock.now()
            if choice == "tomorrow":
                until = self.sla.tomorrow(self.sla.book.target(row.policy, ticket.priority, row.metric), now)
            else:
                until = now + {"30m": timedelta(minutes=30), "2h": timedelta(hours=2)}[choice]
            self.sla.snooze(session, row, until, now)
            return ticket, until

    # Internals

    def _apply(self, key: str, request: str | None, work: Callable[[Session], Change]) -> Change:
        """Run one change as a unit of work that is re-run on the new state if it lost a race on the ticket, and
        that applies once per request: the request's key is recorded first, in the same transaction."""

        def unit(session: Session) -> Change:
            if request is not None:
                # First in the transaction: a concurrent delivery of the same request waits here on PostgreSQL's
                # unique index (on SQLite, on the write lock) and then finds the key taken.
                applied = {"key": request, "created_at": self.clock.now()}
                if not insert_new(session, AppliedRequest, applied, unique="key"):
                    return Change(self._get(session, key), applied=False, repeated=True)
            return work(session)

        return self.database.transaction(unit)

    def _get(self, session: Session, key: str) -> Ticket:
        number = rules.parse_key(key)
        ticket = session.get(Ticket, number)
        if ticket is None:
            raise TicketNotFound(f"T-{number}")
        return ticket

    def _changeable(self, session: Session, actor: Actor, key: str) -> Ticket:
        ticket = self._get(session, key)
        if not actor.is_agent:
            raise self._refusal(ticket)
        return ticket

    @staticmethod
    def _refusal(ticket: Ticket) -> PermissionDenied:
        return PermissionDenied(
            f"Only support agents can change {ticket.key}. You can open tickets and follow the ones you opened."
        )

    def _customer(self, session: Session, draft: TicketDraft, now: datetime) -> Customer:
        if draft.customer_id is not None:
            customer = session.get(Customer, draft.customer_id)
            if customer is None:
                raise UsageError("That customer no longer exists; pick another or type a new name.")
            return customer
        if draft.customer_channel is not None:
            shared = session.scalar(select(Customer).where(Customer.slack_channel_id == draft.customer_channel))
            if shared is not None:
                return shared
        name = " ".join((draft.new_customer or "").split())
        if not name:
            raise UsageError("Pick a customer or type a new one.")
        existing = session.scalar(select(Customer).where(func.lower(Customer.name) == name.lower()))
        if existing is not None:
            return existing
        customer = Customer(name=name, tier=draft.new_customer_tier, created_at=now)
        session.add(customer)
        return customer

    def _event(
        self, session: Session, ticket: Ticket, kind: str, author: str, body: str, now: datetime, **data: object
    ) -> TicketEvent:
        event = TicketEvent(ticket_id=ticket.id, kind=kind, author_id=author, body=body, data=data, created_at=now)
        session.add(event)
        session.flush()
        return event

    def _changed(
        self, session: Session, ticket: Ticket, kind: str, actor: Actor, body: str = "", **data: object
    ) -> None:
        now = self.clock.now()
        ticket.updated_at = now
        if kind == rules.ASSIGNEE_CHANGE:
            loads.moved(session, (_str(data["old"]), ticket.status), (ticket.assignee_id, ticket.status), now)
        elif kind == rules.STATUS_CHANGE:
            loads.moved(session, (ticket.assignee_id, str(data["old"])), (ticket.assignee_id, ticket.status), now)
            if data["old"] in rules.ACTIVE_STATUSES and ticket.status in STOPPED_STATUSES:
                ticket.solved_at = now
        event = self._event(session, ticket, kind, actor.user_id, body, now, **data)
        self.sla.refresh(session, ticket, now)  # re-derive the clocks, replacing moved timers
        update_card(session, ticket, now)
        self._thread_post(session, ticket, event, now)
        for observer in self.observers:
            observer(session, ticket, event, now)

    def _thread_post(self, session: Session, ticket: Ticket, event: TicketEvent, now: datetime) -> None:
        text = activity_text(ticket, event)
        post_in_thread(session, ticket, now, f"thread:{ticket.key}:event:{event.id}", text)


def _str(value: object) -> str | None:
    return None if value is None else str(value)


def _posted_at(slack_ts: str | None) -> dict[str, str]:
    """Event data for text that was written in Slack (the message's ts), so it is never posted there again."""
    return {"slack_ts": slack_ts} if slack_ts else {}
