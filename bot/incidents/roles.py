"""Incident roles: handing a role over (ending the previous holder's turn, with history), and the customer liaison a
major incident gets from the liaison schedule, paged to acknowledge."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.errors import UsageError
from bot.incidents import notices, queries
from bot.incidents.config import LIAISON, IncidentConfig
from bot.incidents.events import incident_event
from bot.messages import incidents as msg
from bot.oncall.config import OnCallBook
from bot.paging.service import PagingService, Started
from models import Incident, IncidentRole

LIAISON_PAGE = "liaison"


def hand_role(
    session: Session, config: IncidentConfig, incident: Incident, role: str, user_id: str, by: str, now: datetime
) -> str | None:
    """Give the role to the user, ending the previous holder's turn; the previous holder, if any."""
    current = session.scalar(
        select(IncidentRole).where(
            IncidentRole.incident_id == incident.id, IncidentRole.role == role, IncidentRole.ended_at.is_(None)
        )
    )
    previous = current.user_id if current is not None else None
    if current is not None:
        current.ended_at = now
    session.add(IncidentRole(incident_id=incident.id, role=role, user_id=user_id, assigned_by=by, started_at=now))
    session.flush()
    event = incident_event(session, incident, "role", by, now, role=role, user=user_id, previous=previous)
    instructions = config.roles.get(role, "").format(key=incident.key)
    notices.dm(
        session,
        incident,
        user_id,
        f"event:{event.id}",
        msg.role_dm(incident, role, instructions),
    )
    notices.to_channel(
        session,
        incident,
        now,
        f"event:{event.id}",
        msg.role_line(incident, role, user_id, previous, by),
    )
    notices.invite(session, incident, user_id)
    notices.refresh(session, incident, now, topic=True)
    return previous


def automatic_liaison(
    session: Session,
    config: IncidentConfig,
    oncall: OnCallBook,
    paging: PagingService,
    incident: Incident,
    by: str,
    now: datetime,
) -> None:
    """A major incident gets a customer liaison: the liaison schedule's on-call, paged to acknowledge."""
    if LIAISON in queries.roles(session, incident.id) or config.liaison_schedule is None:
        return
    on_call = paging.directory.resolve([config.liaison_schedule], session, now)
    if not on_call:
        notices.to_channel(session, incident, now, "liaison:nobody", msg.no_liaison_line(incident))
        return
    liaison = on_call[0].user_id
    hand_role(session, config, incident, LIAISON, liaison, by, now)
    policy = oncall.policies.get(config.liaison_policy or "")
    first = {"targets": [liaison], "timeout": int(policy.levels[0].timeout.total_seconds()) if policy else 900}
    snapshot = {
        "name": policy.name if policy else None,
        "repeat": policy.repeat if policy else 0,
        "pagerduty": False,
        "levels": [first, *(policy.snapshot()["levels"][1:] if policy else [])],
    }
    reason = f"You are customer liaison of {incident.key} ({incident.severity})."
    try:
        started: Started = paging.open_in(
            session,
            by,
            f"{incident.key} {incident.title}",
            reason,
            snapshot,
            None,
            config.channel,
            f"incident:{incident.id}:liaison:{liaison}",
        )
    except UsageError:
        return
    started.page.incident_id, started.page.purpose = incident.id, LIAISON_PAGE
