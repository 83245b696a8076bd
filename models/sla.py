"""SLA state: one row per ticket clock (its current deadline and version) and the timers that remind about it."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigIntId, JsonDict, intpk, utc


class SlaClock(Base):
    """A ticket's clock for one metric (and cycle, for next response), as last derived from its event log."""

    __tablename__ = "sla_clocks"
    __table_args__ = (
        UniqueConstraint("ticket_id", "metric", "cycle"),
        # Digests and /ticket stats count clocks by when they breached or stopped, over millions of rows.
        Index("ix_sla_clocks_breached_at", "breached_at"),
        Index("ix_sla_clocks_metric_stopped_at", "metric", "stopped_at"),
    )

    id: Mapped[intpk]
    ticket_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("tickets.id"))
    metric: Mapped[str] = mapped_column(String(32))
    cycle: Mapped[int] = mapped_column(Integer, default=0)
    policy: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(16))
    target_seconds: Mapped[int] = mapped_column(Integer)
    business_hours: Mapped[bool]
    started_at: Mapped[utc]
    deadline_at: Mapped[utc | None]
    breached_at: Mapped[utc | None]
    stopped_at: Mapped[utc | None]
    breach_reason: Mapped[str | None] = mapped_column(String(200))
    # Bumped whenever the deadline or state moves; timers of an older version are stale and never fire.
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[utc]
    # For reporting, on the same calendar as the deadline: the working time counted once the clock stopped (None
    # while it runs), and the wall time it was not counting: pauses that ended, plus since when it is paused now.
    elapsed_seconds: Mapped[int | None] = mapped_column(Integer)
    paused_seconds: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    paused_since: Mapped[utc | None]


class Timer(Base):
    """Something due at a time: claimed by the sweep when due, re-checked against its subject, fired once."""

    __tablename__ = "timers"
    __table_args__ = (
        Index("ix_timers_state_due_at", "state", "due_at"),
        # Replacing a clock's pending timers looks them up by clock, whatever the size of the table.
        Index("ix_timers_clock_id_state", "clock_id", "state"),
    )

    id: Mapped[intpk]
    kind: Mapped[str] = mapped_column(String(32))
    ticket_id: Mapped[int | None] = mapped_column(BigIntId, ForeignKey("tickets.id"), index=True)
    clock_id: Mapped[int | None] = mapped_column(BigIntId, ForeignKey("sla_clocks.id"))
    version: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[utc]
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    data: Mapped[JsonDict] = mapped_column(default=dict)
    # A lease, as on outbox rows: the sweeping process and until when; failures count and back off.
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[utc | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[utc]
    fired_at: Mapped[utc | None]
