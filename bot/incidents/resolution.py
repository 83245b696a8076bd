"""Resolving an incident, in the caller's unit of work: every linked ticket is changed with it, each assignee gets one
DM listing theirs, and the channel, stakeholders and the announcement channel are told."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy.orm import Session

from bot import outbox
from bot.incidents import notices, queries
from bot.incidents.config import IncidentConfig
from bot.incidents.events import incident_event, ticket_event
from bot.messages import incidents as msg
from bot.tickets import rules
from bot.tickets.cards import update_card
from bot.tickets.service import Actor, TicketService
from models import Incident, Ticket


def resolve_in(
    session: Session, config: IncidentConfig, tickets: TicketService, actor: Actor, incident: Incident, now: datetime
) -> int:
    """Resolve the incident and update its linked tickets; how many tickets are linked."""
    old, incident.status, incident.resolved_at, incident.updated_at = incident.status, "resolved", now, now
    incident_event(session, incident, "resolved", actor.user_id, now, old=old)
    linked = queries.linked(session, incident.id)
    by_assignee: dict[str, list[Ticket]] = defaultdict(list)
    for ticket in linked:
        ticket_event(session, ticket, rules.INCIDENT_RESOLVED, actor.user_id, incident, now)
        status = config.resolve_status
        if status is not None and ticket.status not in ("solved", "closed") and ticket.status != status:
            tickets.set_status_in(session, actor, ticket, status)
        else:
            update_card(session, ticket, now)
        if ticket.assignee_id:
            by_assignee[ticket.assignee_id].append(ticket)
    for assignee, theirs in by_assignee.items():
        notices.dm(session, incident, assignee, f"resolved:{assignee}", msg.resolved_dm(incident, theirs))
    resolved = msg.resolved_line(incident, actor.user_id, len(linked))
    notices.to_channel(session, incident, now, "resolved", resolved)
    notices.tell_stakeholders(session, incident, "resolved", resolved, linked)
    if config.channel:
        outbox.enqueue(
            session,
            now=now,
            dedupe_key=f"incident:{incident.id}:resolved:announce",
            method=outbox.POST,
            payload={"channel": config.channel, "text": msg.resolved_announcement(incident, len(linked))},
            ordering_key=f"incident:{incident.id}:announce",
        )
    notices.refresh(session, incident, now, topic=True)
    return len(linked)
