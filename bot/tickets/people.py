"""Responders and stakeholders on a ticket.

- `/ticket responder T-12 @user` asks someone to help: they get a DM with Accept and Decline, their answer is
  recorded once (a second press says what they answered) and posted in the ticket's thread.
- `/ticket stakeholder T-12 @user` keeps someone informed without asking anything of them: a DM on every status
  change (here) and on every SLA breach (bot/sla/sweep.py reads `stakeholders`). Managers are often added so.

Adding the same person again changes nothing and says so; only agents add people; anyone may be added.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import outbox
from bot.db import among
from bot.messages import people as msg
from bot.tickets import rules
from bot.tickets.cards import post_in_thread
from bot.tickets.service import Actor, TicketService
from models import Ticket, TicketEvent, TicketPerson

RESPONDER, STAKEHOLDER = "responder", "stakeholder"
ASKED, ACCEPTED, DECLINED, SUBSCRIBED = "asked", "accepted", "declined", "subscribed"


class TicketPeople:
    def __init__(self, tickets: TicketService) -> None:
        self.tickets = tickets
        self.database = tickets.database
        self.clock = tickets.clock

    def register(self) -> None:
        self.tickets.observers.append(self._changed)

    def add(self, actor: Actor, key: str, user_id: str, role: str) -> str:
        """Add a responder (asked by DM) or a stakeholder; the answer for whoever added them."""
        user_id = rules.parse_user_id(user_id)

        def work(session: Session) -> str:
            ticket = self.tickets.for_change_in(session, actor, key)
            existing = session.scalar(
                select(TicketPerson).where(
                    TicketPerson.ticket_id == ticket.id, TicketPerson.user_id == user_id, TicketPerson.role == role
                )
            )
            if existing is not None:
                return msg.already(ticket, user_id, role, existing.state)
            now = self.clock.now()
            state = ASKED if role == RESPONDER else SUBSCRIBED
            row = TicketPerson(
                ticket_id=ticket.id, user_id=user_id, role=role, state=state, added_by=actor.user_id, created_at=now
            )
            session.add(row)
            session.flush()
            text, blocks = msg.added_dm(ticket, row)
            outbox.enqueue(
                session,
                now=now,
                dedupe_key=f"people:{row.id}:added",
                method=outbox.POST,
                payload={"channel": user_id, "text": text, "blocks": blocks},
                ordering_key=f"people:{row.id}",
            )
            post_in_thread(session, ticket, now, f"people:{row.id}:thread", msg.added_line(ticket, row))
            return msg.added_answer(ticket, row)

        return self.database.transaction(work)

    def answer(self, user_id: str, person_id: int, accept: bool) -> str:
        """A responder's Accept or Decline; a second press (or someone else's) says how things stand."""

        def work(session: Session) -> str:
            row = session.get(TicketPerson, person_id)
            if row is None or row.role != RESPONDER:
                return "That request for help no longer exists."
            ticket = session.get(Ticket, row.ticket_id)
            assert ticket is not None  # a person row always has its ticket
            if row.user_id != user_id:
                return f"{ticket.key} asked <@{row.user_id}> for help, not you."
            if row.state != ASKED:
                return f"You already {row.state} helping with {ticket.key}."
            now = self.clock.now()
            row.state, row.answered_at = (ACCEPTED if accept else DECLINED), now
            text, blocks = msg.answered_dm(ticket, row)
            outbox.follow(
                session,
                now=now,
                after=f"people:{row.id}:added",
                dedupe_key=f"people:{row.id}:answered",
                method="chat.update",
                payload={"text": text, "blocks": blocks},
                ordering_key=f"people:{row.id}",
            )
            post_in_thread(session, ticket, now, f"people:{row.id}:{row.state}", msg.answered_line(ticket, row))
            return f"You {row.state} helping with {ticket.key}." + (" Thank you!" if accept else "")

        return self.database.transaction(work)

    @staticmethod
    def line(session: Session, ticket: Ticket, now: datetime) -> str | None:
        """`/ticket show`'s line of who was added and how responders answered; None when nobody was."""
        query = select(TicketPerson).where(TicketPerson.ticket_id == ticket.id).order_by(TicketPerson.id)
        return msg.people_line(list(session.scalars(query)))

    def _changed(self, session: Session, ticket: Ticket, event: TicketEvent, now: datetime) -> None:
        """A status change: every stakeholder hears of it."""
        if event.kind != rules.STATUS_CHANGE:
            return
        version = ticket.card_version
        for user_id in stakeholders(session, [ticket.id]).get(ticket.id, []):
            outbox.enqueue(
                session,
                now=now,
                dedupe_key=f"stakeholder:{ticket.key}:v{version}:{user_id}",
                method=outbox.POST,
                payload={"channel": user_id, "text": msg.status_dm(ticket)},
                ordering_key=f"user:{user_id}",
            )


def stakeholders(session: Session, ticket_ids: Sequence[int]) -> dict[int, list[str]]:
    """The stakeholders of each ticket, read at once for a batch."""
    found: dict[int, list[str]] = {}
    if not ticket_ids:
        return found
    rows = session.execute(
        select(TicketPerson.ticket_id, TicketPerson.user_id)
        .where(among(session, TicketPerson.ticket_id, ticket_ids), TicketPerson.role == STAKEHOLDER)
        .order_by(TicketPerson.id)
    )
    for ticket_id, user_id in rows:
        found.setdefault(ticket_id, []).append(user_id)
    return found
