"""Tickets and their append-only event log."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, BigIntId, JsonDict, intpk, slack_id, utc
from models.customer import Customer


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_status_priority", "status", "priority"),
        Index("ix_tickets_assignee_id_status", "assignee_id", "status"),
        Index("ix_tickets_created_at", "created_at"),
        # The customer context on the card: a customer's open tickets counted, their last solved ones listed.
        Index("ix_tickets_customer_id_status", "customer_id", "status"),
        Index("ix_tickets_customer_id_solved_at", "customer_id", "solved_at"),
    )

    id: Mapped[intpk]
    subject: Mapped[str] = mapped_column(String(250))
    description: Mapped[str] = mapped_column(Text, default="")
    customer_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("customers.id"), index=True)
    priority: Mapped[str] = mapped_column(String(2))
    status: Mapped[str] = mapped_column(String(16))
    assignee_id: Mapped[slack_id | None]
    requester_id: Mapped[slack_id]
    source: Mapped[str] = mapped_column(String(16))
    # What the ticket was made from (a modal view, a message); unique so a retry or double click cannot duplicate it.
    source_ref: Mapped[str | None] = mapped_column(String(200), unique=True)
    source_permalink: Mapped[str | None] = mapped_column(String(500))
    queue_channel: Mapped[slack_id]
    card_ts: Mapped[str | None] = mapped_column(String(32))
    card_version: Mapped[int] = mapped_column(Integer, default=0)
    # The nearest running SLA deadline, kept with the clocks so lists sort by it in SQL.
    next_deadline_at: Mapped[utc | None] = mapped_column(index=True)
    # True while any SLA target of the ticket is breached and not yet met.
    sla_breached: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[utc]
    updated_at: Mapped[utc]
    # When it last went from an active status to solved or closed (kept when it reopens; a new solve replaces it).
    solved_at: Mapped[utc | None]
    # Optimistic lock: every ORM update checks and bumps it, so two changes racing on one ticket cannot both apply
    # to the same state (the loser's unit of work is retried on the new state).
    row_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": row_version}

    customer: Mapped[Customer] = relationship(lazy="joined", innerjoin=True)

    @property
    def key(self) -> str:
        return f"T-{self.id}"


class TicketEvent(Base):
    __tablename__ = "ticket_events"
    # Digests count events of a kind in a period (reopens) without reading every ticket's log.
    __table_args__ = (Index("ix_ticket_events_kind_created_at", "kind", "created_at"),)

    id: Mapped[intpk]
    ticket_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("tickets.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    author_id: Mapped[slack_id]
    body: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[JsonDict] = mapped_column(default=dict)
    created_at: Mapped[utc]


class TicketPerson(Base):
    """Someone added to a ticket: a responder (asked to help; accepts or declines) or a stakeholder (kept informed:
    a DM on each status change and breach)."""

    __tablename__ = "ticket_people"
    __table_args__ = (UniqueConstraint("ticket_id", "user_id", "role"),)

    id: Mapped[intpk]
    ticket_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("tickets.id"), index=True)
    user_id: Mapped[slack_id]
    role: Mapped[str] = mapped_column(String(16))
    # responders: asked, accepted, declined; stakeholders: subscribed
    state: Mapped[str] = mapped_column(String(16))
    added_by: Mapped[slack_id]
    created_at: Mapped[utc]
    answered_at: Mapped[utc | None]
