"""Queueing the ticket card's posts: the card itself, its updates and its thread, all in the caller's transaction.

The card's rows carry no rendering: the outbox renders the card from the ticket when it delivers (`renderer`), so
an update that waited out a Slack outage shows the ticket as it is then, never as it was when queued.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import outbox
from bot.messages.card import ticket_card
from bot.messages.sla import clock_line
from bot.sla.policy import PolicyBook
from models import SlaClock, Ticket


def ordering(ticket: Ticket) -> str:
    """Everything about one ticket's card is delivered in the order it was queued."""
    return f"ticket:{ticket.id}"


def post_card(session: Session, ticket: Ticket, now: datetime) -> None:
    """Queue the card's post; the outbox renders it when it is delivered."""
    outbox.enqueue(
        session,
        now=now,
        dedupe_key=f"card:{ticket.key}:post",
        method="chat.postMessage",
        payload={},
        ordering_key=ordering(ticket),
        ticket_id=ticket.id,
        role=outbox.CARD_POST,
        channel=ticket.queue_channel,
    )


def update_card(session: Session, ticket: Ticket, now: datetime) -> None:
    """Bump the card's version and queue an update; the outbox renders it when it is delivered."""
    ticket.card_version += 1
    outbox.enqueue(
        session,
        now=now,
        dedupe_key=f"card:{ticket.key}:v{ticket.card_version}",
        method="chat.update",
        payload={},
        ordering_key=ordering(ticket),
        ticket_id=ticket.id,
        role=outbox.CARD_UPDATE,
        channel=ticket.queue_channel,
    )


def post_in_thread(
    session: Session, ticket: Ticket, now: datetime, dedupe_key: str, text: str, **extra: object
) -> None:
    outbox.enqueue(
        session,
        now=now,
        dedupe_key=dedupe_key,
        method="chat.postMessage",
        payload={"text": text, "unfurl_links": False, **extra},
        ordering_key=ordering(ticket),
        ticket_id=ticket.id,
        role=outbox.CARD_THREAD,
        channel=ticket.queue_channel,
    )


def sla_lines(session: Session, ticket: Ticket, now: datetime, book: PolicyBook) -> list[str]:
    """One line per SLA target (the newest cycle of each metric), as stored with the ticket's clocks."""
    rows = session.scalars(select(SlaClock).where(SlaClock.ticket_id == ticket.id).order_by(SlaClock.cycle))
    latest = {row.metric: row for row in rows}
    return [clock_line(r, now, book.target(r.policy, ticket.priority, r.metric)) for r in latest.values()]


def renderer(
    book: PolicyBook, *extra: Callable[[Session, Ticket, datetime], str | None]
) -> Callable[[Session, Ticket, datetime], tuple[str, list[dict[str, Any]]]]:
    """The outbox's card renderer: the card as the ticket and its SLA clocks are at delivery, with the lines other
    features add (its escalation point, its incident)."""

    def render(session: Session, ticket: Ticket, now: datetime) -> tuple[str, list[dict[str, Any]]]:
        lines = [line for add in extra if (line := add(session, ticket, now))]
        return ticket_card(ticket, sla_lines(session, ticket, now, book), "\n".join(lines) or None)

    return render
