"""Linking tickets to an incident, in the caller's unit of work: each link once, logged on both sides."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.access import require_agent
from bot.db import insert_new
from bot.incidents import notices
from bot.incidents.events import incident_event, ticket_event
from bot.tickets import rules
from bot.tickets.cards import update_card
from bot.tickets.service import Actor, TicketService
from models import Incident, IncidentTicket, Ticket


def link_tickets(
    session: Session,
    tickets: TicketService,
    incident: Incident,
    ticket_keys: Sequence[str],
    actor: Actor,
    now: datetime,
) -> list[Ticket]:
    require_agent(actor, "link tickets to incidents")
    linked = []
    for ticket_key in ticket_keys:
        ticket = tickets.for_change_in(session, actor, ticket_key)
        row = {"incident_id": incident.id, "ticket_id": ticket.id, "linked_by": actor.user_id, "linked_at": now}
        if not _insert_link(session, row):
            continue
        linked.append(ticket)
        incident_event(session, incident, "linked", actor.user_id, now, ticket=ticket.key)
        ticket_event(session, ticket, rules.INCIDENT_LINKED, actor.user_id, incident, now)
        update_card(session, ticket, now)
    if linked:
        notices.refresh(session, incident, now)
    return linked


def _insert_link(session: Session, row: dict[str, Any]) -> bool:
    """Link once: two agents linking the same ticket at the same moment make one link (the second finds it)."""
    return insert_new(session, IncidentTicket, row, unique="incident_id, ticket_id")
