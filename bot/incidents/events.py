"""The lines an incident writes to its own timeline and to its linked tickets' logs, in the caller's unit of work."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.messages.activity import activity_text
from bot.tickets.cards import post_in_thread
from models import Incident, IncidentEvent, Ticket, TicketEvent


def incident_event(
    session: Session, incident: Incident, kind: str, author: str, now: datetime, body: str = "", **data: Any
) -> IncidentEvent:
    event = IncidentEvent(incident_id=incident.id, kind=kind, author_id=author, body=body, data=data, created_at=now)
    session.add(event)
    session.flush()
    return event


def ticket_event(session: Session, ticket: Ticket, kind: str, author: str, incident: Incident, now: datetime) -> None:
    """The ticket's own log and thread show what the incident did to it (SLA clocks ignore these kinds)."""
    event = TicketEvent(
        ticket_id=ticket.id,
        kind=kind,
        author_id=author,
        body=incident.title,
        data={"incident": incident.key},
        created_at=now,
    )
    session.add(event)
    session.flush()
    post_in_thread(session, ticket, now, f"thread:{ticket.key}:event:{event.id}", activity_text(ticket, event))
