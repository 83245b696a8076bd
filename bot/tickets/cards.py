"""Queueing the ticket card's posts: the card itself, its updates and its thread, all in the caller's transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot import outbox
from bot.messages.card import ticket_card
from models import Ticket


def ordering(ticket: Ticket) -> str:
    """Everything about one ticket's card is delivered in the order it was queued."""
    return f"ticket:{ticket.id}"


def post_card(session: Session, ticket: Ticket, now: datetime, sla_lines: list[str]) -> None:
    text, blocks = ticket_card(ticket, sla_lines)
    outbox.enqueue(
        session,
        now=now,
        dedupe_key=f"card:{ticket.key}:post",
        method="chat.postMessage",
        payload={"channel": ticket.queue_channel, "text": text, "blocks": blocks, "unfurl_links": False},
        ordering_key=ordering(ticket),
        ticket_id=ticket.id,
        role=outbox.CARD_POST,
    )


def update_card(session: Session, ticket: Ticket, now: datetime, sla_lines: list[str]) -> None:
    """Bump the card's version and queue its re-rendered blocks."""
    ticket.card_version += 1
    text, blocks = ticket_card(ticket, sla_lines)
    outbox.enqueue(
        session,
        now=now,
        dedupe_key=f"card:{ticket.key}:v{ticket.card_version}",
        method="chat.update",
        payload={"text": text, "blocks": blocks},
        ordering_key=ordering(ticket),
        ticket_id=ticket.id,
        role=outbox.CARD_UPDATE,
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
    )
