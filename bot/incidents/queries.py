"""Reading incidents: current role holders, affected counts (SQL aggregates), linked tickets, and the pinned
summary, topic and card line as they are now (the outbox renders the summary and topic when it delivers them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.messages import incidents as msg
from models import Customer, Incident, IncidentRole, IncidentTicket, Ticket


@dataclass(frozen=True)
class Counts:
    tickets: int
    customers: int
    by_tier: dict[str, int]
    by_priority: dict[str, int]


def roles(session: Session, incident_id: int) -> dict[str, str]:
    rows = session.execute(
        select(IncidentRole.role, IncidentRole.user_id)
        .where(IncidentRole.incident_id == incident_id, IncidentRole.ended_at.is_(None))
        .order_by(IncidentRole.id)
    )
    return dict(rows.tuples().all())


def counts(session: Session, incident_id: int) -> Counts:
    linked = select(IncidentTicket.ticket_id).where(IncidentTicket.incident_id == incident_id)
    base = select(Ticket).join(Customer).where(Ticket.id.in_(linked)).subquery()
    total, customers = session.execute(
        select(func.count(), func.count(func.distinct(base.c.customer_id))).select_from(base)
    ).one()
    tiers = session.execute(
        select(Customer.tier, func.count())
        .join(Ticket, Ticket.customer_id == Customer.id)
        .where(Ticket.id.in_(linked))
        .group_by(Customer.tier)
    )
    priorities = session.execute(
        select(Ticket.priority, func.count()).where(Ticket.id.in_(linked)).group_by(Ticket.priority)
    )
    return Counts(total, customers, dict(tiers.tuples().all()), dict(priorities.tuples().all()))


def render_summary(session: Session, incident_id: int, now: datetime) -> dict[str, Any]:
    incident = session.get(Incident, incident_id)
    assert incident is not None
    recent = session.scalars(
        select(Ticket)
        .join(IncidentTicket, IncidentTicket.ticket_id == Ticket.id)
        .where(IncidentTicket.incident_id == incident_id)
        .order_by(IncidentTicket.id.desc())
        .limit(msg.LISTED)
    ).all()
    return msg.summary(incident, roles(session, incident_id), counts(session, incident_id), recent, now)


def render_topic(session: Session, incident_id: int, now: datetime) -> dict[str, Any]:
    incident = session.get(Incident, incident_id)
    assert incident is not None
    return msg.topic(incident, roles(session, incident_id))


def card_line(session: Session, ticket: Ticket, now: datetime) -> str | None:
    linked = select(IncidentTicket.incident_id).where(IncidentTicket.ticket_id == ticket.id)
    incidents = session.scalars(select(Incident).where(Incident.id.in_(linked)).order_by(Incident.id)).all()
    return msg.card_line(incidents)


def linked(session: Session, incident_id: int) -> list[Ticket]:
    linked = select(IncidentTicket.ticket_id).where(IncidentTicket.incident_id == incident_id)
    return list(session.scalars(select(Ticket).where(Ticket.id.in_(linked)).order_by(Ticket.id)))
