"""Incidents: one per outage, with its Slack channel, roles held over time, linked tickets and a timeline."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigIntId, JsonDict, intpk, slack_id, utc


class Incident(Base):
    __tablename__ = "incidents"
    __table_args__ = (Index("ix_incidents_status", "status"),)

    id: Mapped[intpk]
    title: Mapped[str] = mapped_column(String(250))
    description: Mapped[str] = mapped_column(Text, default="")
    severity: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16))
    declared_by: Mapped[slack_id]
    # The incident's own channel, created by the provisioning job (None until then) under a name that is unique.
    channel_id: Mapped[str | None] = mapped_column(String(32))
    channel_name: Mapped[str | None] = mapped_column(String(80))
    bridge_url: Mapped[str | None] = mapped_column(String(500))
    # A lease, as on timers: the process creating the channel, and until when.
    provision_owner: Mapped[str | None] = mapped_column(String(64))
    provision_until: Mapped[utc | None]
    provision_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[utc]
    updated_at: Mapped[utc]
    resolved_at: Mapped[utc | None]
    # A retried or double-submitted request declares one incident.
    request: Mapped[str | None] = mapped_column(String(200), unique=True)
    row_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": row_version}

    @property
    def key(self) -> str:
        return f"INC-{self.id}"


class IncidentRole(Base):
    """Who held a role when: the current holder has no `ended_at`; a hand-over ends one row and starts another."""

    __tablename__ = "incident_roles"
    __table_args__ = (Index("ix_incident_roles_incident_id_role", "incident_id", "role"),)

    id: Mapped[intpk]
    incident_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("incidents.id"))
    role: Mapped[str] = mapped_column(String(40))
    user_id: Mapped[slack_id]
    assigned_by: Mapped[slack_id]
    started_at: Mapped[utc]
    ended_at: Mapped[utc | None]


class IncidentTicket(Base):
    __tablename__ = "incident_tickets"
    __table_args__ = (UniqueConstraint("incident_id", "ticket_id"),)

    id: Mapped[intpk]
    incident_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("incidents.id"), index=True)
    ticket_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("tickets.id"), index=True)
    linked_by: Mapped[slack_id]
    linked_at: Mapped[utc]


class IncidentEvent(Base):
    """The incident's timeline, for the channel's history and the post-incident review (`/incident timeline`)."""

    __tablename__ = "incident_events"

    id: Mapped[intpk]
    incident_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("incidents.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    author_id: Mapped[slack_id]
    body: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[JsonDict] = mapped_column(default=dict)
    created_at: Mapped[utc]


class IncidentSuggestion(Base):
    """A group of similar tickets suggested as one incident, once per group (its key), then declared, linked or
    dismissed; a dismissed group is never suggested again."""

    __tablename__ = "incident_suggestions"

    id: Mapped[intpk]
    key: Mapped[str] = mapped_column(String(32), unique=True)
    tokens: Mapped[str] = mapped_column(String(500))
    ticket_ids: Mapped[JsonDict] = mapped_column(default=dict)
    state: Mapped[str] = mapped_column(String(16))
    decided_by: Mapped[str | None] = mapped_column(String(32))
    decided_at: Mapped[utc | None]
    created_at: Mapped[utc]


class IncidentStakeholder(Base):
    """Someone kept informed of an incident without a role in it (a manager, an account owner): a DM on each update,
    severity or status change, and the resolution."""

    __tablename__ = "incident_stakeholders"
    __table_args__ = (UniqueConstraint("incident_id", "user_id"),)

    id: Mapped[intpk]
    incident_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("incidents.id"), index=True)
    user_id: Mapped[slack_id]
    added_by: Mapped[slack_id]
    created_at: Mapped[utc]
