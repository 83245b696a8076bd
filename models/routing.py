"""Routing: the offers of unassigned tickets to agents, and each agent's presence (away, last offered)."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigIntId, intpk, slack_id, utc


class RoutingOffer(Base):
    """A ticket offered to one agent (once: a ticket is never offered twice to the same agent). A row with no
    agent (`user_id` "") records that nobody could take the ticket, so the queue is told once."""

    __tablename__ = "routing_offers"
    __table_args__ = (
        UniqueConstraint("ticket_id", "user_id"),
        Index("ix_routing_offers_state_ticket_id", "state", "ticket_id"),
    )

    id: Mapped[intpk]
    ticket_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("tickets.id"))
    user_id: Mapped[slack_id]
    # offered, accepted, passed, expired (no answer in time), withdrawn (the ticket was taken otherwise), nobody
    state: Mapped[str] = mapped_column(String(16))
    offered_at: Mapped[utc]
    answered_at: Mapped[utc | None]
    note: Mapped[str] = mapped_column(Text, default="")


class AgentPresence(Base):
    """An agent as routing sees them, one row read for every agent at each decision: the active tickets they hold
    and the offers waiting for their answer (both counted as they change, in the same unit of work), away (since
    when, until when; no end: until they are back) and the last offer."""

    __tablename__ = "agent_presence"

    id: Mapped[intpk]
    user_id: Mapped[str] = mapped_column(String(32), unique=True)
    # Tickets new, open, pending or on hold assigned to them: kept by the ticket desk (bot/tickets/loads.py).
    open_tickets: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Offers sent to them and not yet answered, expired or withdrawn: kept by routing.
    offers_waiting: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    away_since: Mapped[utc | None]
    away_until: Mapped[utc | None]
    last_offered_at: Mapped[utc | None]
    updated_at: Mapped[utc]
