"""Satisfaction (CSAT): a one-question survey when a ticket is solved, answered once per ticket.

The survey goes where the customer is: the ticket's thread in their shared channel, else a DM to the requester
(unless the requester is an agent, who opened it for someone else). It is sent at each solve until the ticket has
an answer. The first click is the answer; a second click says what was recorded, and a click after the ticket was
reopened records nothing and says so. A score at or below `[customers] low_score` tells the assignee by DM and the
team in the card's thread. The card shows the score and the comment.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import outbox
from bot.config import LiaisonConfig
from bot.customers.conversations import shared_thread
from bot.db import Database, insert_new
from bot.messages import satisfaction as msg
from bot.permissions import AgentDirectory
from bot.tickets import rules
from bot.tickets.cards import post_in_thread, update_card
from bot.tickets.service import TicketService
from models import Satisfaction, Ticket, TicketEvent

SOLVED = ("solved", "closed")


class SatisfactionSurvey:
    def __init__(
        self, database: Database, config: LiaisonConfig, tickets: TicketService, agents: AgentDirectory
    ) -> None:
        self.database = database
        self.settings = config.customers
        self.tickets = tickets
        self.agents = agents

    def register(self) -> None:
        if self.settings.survey:
            self.tickets.observers.append(self._changed)

    def _changed(self, session: Session, ticket: Ticket, event: TicketEvent, now: datetime) -> None:
        """Solved: ask, unless this ticket already has its answer."""
        if event.kind != rules.STATUS_CHANGE or ticket.status != "solved" or event.data.get("old") in SOLVED:
            return
        if session.scalar(select(Satisfaction.id).where(Satisfaction.ticket_id == ticket.id)) is not None:
            return
        thread = shared_thread(ticket)
        if thread is not None:
            where = {"channel": thread[0], "thread_ts": thread[1]}
        elif not self.agents.is_agent(ticket.requester_id):
            where = {"channel": ticket.requester_id}
        else:
            return
        text, blocks = msg.survey(ticket, event.id)
        outbox.enqueue(
            session,
            now=now,
            dedupe_key=_survey_key(ticket, event.id),
            method=outbox.POST,
            payload=where | {"text": text, "blocks": blocks},
            ordering_key=f"csat:{ticket.key}",
        )

    def answer(self, user_id: str, ticket_id: int, survey_event: int, score: int) -> str:
        """A click on 1-5: recorded once per ticket; every click gets the current state in reply."""

        def work(session: Session) -> str:
            ticket = session.get(Ticket, ticket_id)
            if ticket is None or not 1 <= score <= 5:
                return "That survey no longer exists."
            existing = session.scalar(select(Satisfaction).where(Satisfaction.ticket_id == ticket.id))
            if existing is not None:
                return f"{ticket.key} was already rated {existing.score}/5. Thank you!"
            if ticket.status not in SOLVED:
                return f"{ticket.key} is open again, so there is nothing to rate yet; we will ask when it is solved."
            if not self._may_answer(ticket, user_id):
                return f"This survey is for the customer of {ticket.key}."
            now = self.tickets.clock.now()
            values = {"ticket_id": ticket.id, "user_id": user_id, "score": score, "created_at": now, "updated_at": now}
            inserted = insert_new(session, Satisfaction, values, unique="ticket_id")
            row = session.scalar(select(Satisfaction).where(Satisfaction.ticket_id == ticket.id))
            assert row is not None  # ours, or the one a simultaneous click committed first
            if not inserted:
                return f"{ticket.key} was already rated {row.score}/5. Thank you!"
            self._thanks(session, ticket, survey_event, row, now)
            low = score <= self.settings.low_score
            post_in_thread(session, ticket, now, f"csat:{ticket.key}:rated", msg.rated_line(ticket, row, low))
            if low and ticket.assignee_id:
                outbox.enqueue(
                    session,
                    now=now,
                    dedupe_key=f"csat:{ticket.key}:low",
                    method=outbox.POST,
                    payload={"channel": ticket.assignee_id, "text": msg.low_score_dm(ticket, row)},
                    ordering_key=f"user:{ticket.assignee_id}",
                )
            update_card(session, ticket, now)
            return f"Thank you: {ticket.key} rated {score}/5."

        return self.database.transaction(work)

    def comment(self, user_id: str, ticket_id: int, text: str) -> str:
        """The optional comment, after the score: once; the thread and the card show it."""

        def work(session: Session) -> str:
            row = session.scalar(select(Satisfaction).where(Satisfaction.ticket_id == ticket_id))
            ticket = session.get(Ticket, ticket_id)
            if row is None or ticket is None:
                return "Rate the ticket first; the comment comes with the score."
            if row.comment:
                return f"You already commented on {ticket.key}. Thank you!"
            if row.user_id != user_id:
                return f"This survey is for the customer of {ticket.key}."
            now = self.tickets.clock.now()
            row.comment, row.updated_at = text.strip(), now
            post_in_thread(session, ticket, now, f"csat:{ticket.key}:comment", msg.comment_line(ticket, row))
            update_card(session, ticket, now)
            return f"Thank you for your comment on {ticket.key}."

        return self.database.transaction(work)

    def for_comment(self, user_id: str, ticket_id: int) -> Ticket | None:
        """The ticket whose comment form a person may open."""
        with self.database.session() as session:
            row = session.scalar(select(Satisfaction).where(Satisfaction.ticket_id == ticket_id))
            if row is None or row.user_id != user_id or row.comment:
                return None
            return session.get(Ticket, ticket_id)

    def _may_answer(self, ticket: Ticket, user_id: str) -> bool:
        # In the shared channel anyone of the customer may answer; a DM reaches only the requester anyway. Never an
        # agent: one who opened the ticket from a customer's message is its requester, but not its customer.
        if self.agents.is_agent(user_id):
            return False
        return user_id == ticket.requester_id or shared_thread(ticket) is not None

    @staticmethod
    def _thanks(session: Session, ticket: Ticket, survey_event: int, row: Satisfaction, now: datetime) -> None:
        text, blocks = msg.answered(ticket, row)
        outbox.follow(
            session,
            now=now,
            after=_survey_key(ticket, survey_event),
            dedupe_key=f"csat:{ticket.key}:thanks",
            method="chat.update",
            payload={"text": text, "blocks": blocks},
            ordering_key=f"csat:{ticket.key}",
        )


def card_line(session: Session, ticket: Ticket, now: datetime) -> str | None:
    """The card's satisfaction line, once the customer answered."""
    row = session.scalar(select(Satisfaction).where(Satisfaction.ticket_id == ticket.id))
    return msg.card_line(row) if row is not None else None


def _survey_key(ticket: Ticket, event_id: int) -> str:
    return f"csat:{ticket.key}:survey:e{event_id}"
