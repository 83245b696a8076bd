"""What an incident writes for Slack, in the caller's unit of work: DMs, lines in its channel (which wait for the
channel to exist), invitations, and the pinned summary and topic (rendered when delivered)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from bot import outbox
from models import Incident


def channel_anchor(incident_id: int) -> str:
    """The outbox row the provisioning job writes once the incident's channel exists (its id as posted_channel)."""
    return f"incident:{incident_id}:channel"


def summary_key(incident_id: int) -> str:
    return f"incident:{incident_id}:summary"


def channel_ordering(incident_id: int) -> str:
    return f"incident:{incident_id}:channel"


def dm(session: Session, incident: Incident, user_id: str, suffix: str, text: str) -> None:
    outbox.enqueue(
        session,
        now=incident.updated_at,
        dedupe_key=f"incident:{incident.id}:dm:{suffix}",
        method=outbox.POST,
        payload={"channel": user_id, "text": text, "unfurl_links": False},
        ordering_key=f"user:{user_id}",
    )


def to_channel(session: Session, incident: Incident, now: datetime, suffix: str, text: str) -> None:
    """A message in the incident's channel: it waits for the channel to exist (its anchor row)."""
    outbox.follow(
        session,
        now=now,
        after=channel_anchor(incident.id),
        dedupe_key=f"incident:{incident.id}:channel:{suffix}",
        method=outbox.POST,
        payload={"text": text, "unfurl_links": False},
        ordering_key=channel_ordering(incident.id),
        as_="channel",
    )


def invite(session: Session, incident: Incident, user_id: str) -> None:
    outbox.follow(
        session,
        now=incident.updated_at,
        after=channel_anchor(incident.id),
        dedupe_key=f"incident:{incident.id}:invite:{user_id}",
        method="conversations.invite",
        payload={"users": user_id},
        ordering_key=channel_ordering(incident.id),
        as_="channel",
    )


def refresh(session: Session, incident: Incident, now: datetime, *, topic: bool = False) -> None:
    """The pinned summary and the topic are rendered when delivered, so one update shows every change so far.

    Before the channel exists there is nothing to update: the provisioning job posts the summary and sets the
    topic as they are then. Both write the incident row, so a change racing the channel's creation conflicts with
    it and runs again, then seeing the channel.
    """
    incident.updated_at = now
    if incident.channel_id is None:
        return
    # Every change queues its own update (two changes in one millisecond too); a rolled-back change queued nothing.
    stamp = uuid.uuid4().hex
    outbox.follow(
        session,
        now=now,
        after=summary_key(incident.id),
        dedupe_key=f"incident:{incident.id}:summary:{stamp}",
        method="chat.update",
        payload={outbox.RENDER: "incident_summary", outbox.SUBJECT: incident.id},
        ordering_key=channel_ordering(incident.id),
        as_="ts",
    )
    if not topic:
        return  # the topic shows severity, status, roles and the bridge; Slack allows ~20 topic changes a minute
    outbox.follow(
        session,
        now=now,
        after=channel_anchor(incident.id),
        dedupe_key=f"incident:{incident.id}:topic:{stamp}",
        method="conversations.setTopic",
        payload={outbox.RENDER: "incident_topic", outbox.SUBJECT: incident.id},
        ordering_key=channel_ordering(incident.id),
        as_="channel",
    )
