"""The outbox: Slack messages owed because state changed, written in the same transaction as the change."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigIntId, JsonDict, intpk, utc


class OutboxMessage(Base):
    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_state_next_attempt_at", "state", "next_attempt_at"),
        # Whether a row is the oldest pending one of its key is looked up here, for every row the drain considers.
        Index("ix_outbox_ordering_key_state_id", "ordering_key", "state", "id"),
    )

    id: Mapped[intpk]
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    # Rows with the same ordering key are delivered strictly in id order (a ticket's card post before its updates).
    ordering_key: Mapped[str] = mapped_column(String(100))
    method: Mapped[str] = mapped_column(String(64))
    # Where the message goes (a channel, or a user id for a DM), so the drain can pass over a channel that must wait
    # for Slack's pace without claiming its rows.
    channel: Mapped[str | None] = mapped_column(String(32))
    payload: Mapped[JsonDict]
    # When set, the ticket's card supplies `ts` (chat.update) or `thread_ts` (thread replies) at delivery time.
    ticket_id: Mapped[int | None] = mapped_column(BigIntId, ForeignKey("tickets.id"))
    role: Mapped[str] = mapped_column(String(16), default="plain")
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[utc]
    last_error: Mapped[str | None] = mapped_column(Text)
    # A lease: the process delivering the row, and until when; an expired lease may be taken over by another process.
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[utc | None]
    # The last attempt ended without a recorded outcome (its process died mid-call): look in Slack before re-sending.
    in_doubt: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Where the message landed, kept for messages edited later (cards, pages with buttons, alerts with Snooze).
    posted_channel: Mapped[str | None] = mapped_column(String(32))
    posted_ts: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[utc]
    delivered_at: Mapped[utc | None]
