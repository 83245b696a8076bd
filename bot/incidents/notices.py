"""What an incident writes for Slack, in the caller's unit of work: DMs, lines in its channel (which wait for the
channel to exist), invitations, and the pinned summary and topic (rendered when delivered)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import outbox
from bot.incidents import queries
from bot.tickets.people import stakeholders
from models import Incident, IncidentStakeholder, OutboxMessage, Ticket


def channel_anchor(incident_id: int) -> str:
    """The outbox row the provisioning job writes once the incident's channel exists (its id as posted_channel)."""
    return f"incident:{incident_id}:channel"


def summary_key(incident_id: int) -> str:
    return f"incident:{incident_id}:summary"


def channel_ordering(incident_id: int) -> str:
    return f"incident:{incident_id}:channel"


SUMMARY = {outbox.RENDER: "incident_summary"}
TOPIC = {outbox.RENDER: "incident_topic"}


def in_channel(
    session: Session,
    incident_id: int,
    now: datetime,
    dedupe_key: str,
    method: str,
    payload: dict[str, Any],
    *,
    after: str | None = None,
    as_: str = "channel",
) -> None:
    """A call on the incident's channel, in the channel's order; it waits for the channel to exist (or for the
    earlier row `after`, e.g. the summary it edits or pins), which supplies the channel id (and that row's ts)."""
    outbox.follow(
        session,
        now=now,
        after=after or channel_anchor(incident_id),
        dedupe_key=dedupe_key,
        method=method,
        payload=payload,
        ordering_key=channel_ordering(incident_id),
        as_=as_,
    )


def dm(session: Session, incident: Incident, user_id: str, suffix: str, text: str) -> None:
    outbox.enqueue(
        session,
        now=incident.updated_at,
        dedupe_key=f"incident:{incident.id}:dm:{suffix}",
        method=outbox.POST,
        payload={"channel": user_id, "text": text, "unfurl_links": False},
        ordering_key=f"user:{user_id}",
    )


def tell_stakeholders(
    session: Session, incident: Incident, suffix: str, line: str, tickets: Sequence[Ticket] | None = None
) -> None:
    """A DM to each stakeholder, once: the incident's own, and those of its linked tickets."""
    tickets = queries.linked(session, incident.id) if tickets is None else tickets
    people = set(
        session.scalars(select(IncidentStakeholder.user_id).where(IncidentStakeholder.incident_id == incident.id))
    )
    people |= {u for users in stakeholders(session, [t.id for t in tickets]).values() for u in users}
    for user_id in sorted(people):
        dm(session, incident, user_id, f"{suffix}:{user_id}", line)


def to_channel(session: Session, incident: Incident, now: datetime, suffix: str, text: str) -> None:
    """A message in the incident's channel."""
    payload = {"text": text, "unfurl_links": False}
    in_channel(session, incident.id, now, f"incident:{incident.id}:channel:{suffix}", outbox.POST, payload)


def invite(session: Session, incident: Incident, user_id: str) -> None:
    key = f"incident:{incident.id}:invite:{user_id}"
    in_channel(session, incident.id, incident.updated_at, key, "conversations.invite", {"users": user_id})


def post_summary(session: Session, incident: Incident, now: datetime) -> None:
    """The summary's first post, pinned, and the first topic: once the channel exists (the provisioning job)."""
    key, subject = summary_key(incident.id), {outbox.SUBJECT: incident.id}
    in_channel(session, incident.id, now, key, outbox.POST, SUMMARY | subject)
    in_channel(session, incident.id, now, f"{key}:pin", "pins.add", {}, after=key, as_="timestamp")
    in_channel(session, incident.id, now, f"incident:{incident.id}:topic", "conversations.setTopic", TOPIC | subject)


def refresh(session: Session, incident: Incident, now: datetime, *, topic: bool = False) -> None:
    """The pinned summary and the topic are rendered when delivered, so one update shows every change so far.

    Before the channel exists there is nothing to update: the provisioning job posts the summary and sets the
    topic as they are then. Both write the incident row, so a change racing the channel's creation conflicts with
    it and runs again, then seeing the channel.
    """
    incident.updated_at = now
    if incident.channel_id is None:
        return
    stamp, subject = uuid.uuid4().hex, {outbox.SUBJECT: incident.id}
    if not _summary_update_waiting(session, incident.id):
        # A new update for this change (a rolled-back change queued nothing); while one is still waiting, it will
        # show this change too, so a burst of links costs one chat.update, not one each (Slack allows ~50 a minute).
        key, after = f"incident:{incident.id}:summary:{stamp}", summary_key(incident.id)
        in_channel(session, incident.id, now, key, "chat.update", SUMMARY | subject, after=after, as_="ts")
    if topic:  # the topic shows severity, status, roles and the bridge; Slack allows ~20 topic changes a minute
        key = f"incident:{incident.id}:topic:{stamp}"
        in_channel(session, incident.id, now, key, "conversations.setTopic", TOPIC | subject)


def _summary_update_waiting(session: Session, incident_id: int) -> bool:
    """Is a summary update queued and not yet taken by a delivery? It is locked until this change commits, so a
    delivery cannot take and render it before this change is visible (on SQLite the write lock does the same)."""
    waiting = session.scalar(
        select(OutboxMessage.id)
        .where(
            OutboxMessage.ordering_key == channel_ordering(incident_id),
            OutboxMessage.state == outbox.PENDING,
            OutboxMessage.method == "chat.update",
            OutboxMessage.lease_owner.is_(None),
        )
        .limit(1)
        .with_for_update()
    )
    return waiting is not None
