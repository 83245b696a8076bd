"""On-call state that changes at run time: overrides made from Slack, and the last good copy of each iCal feed."""

from __future__ import annotations

from sqlalchemy import Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, intpk, slack_id, utc


class OnCallOverride(Base):
    """Someone takes a schedule's shift for a while; beats every layer of the schedule while it lasts."""

    __tablename__ = "oncall_overrides"
    __table_args__ = (Index("ix_oncall_overrides_schedule_ends_at", "schedule", "ends_at"),)

    id: Mapped[intpk]
    schedule: Mapped[str] = mapped_column(String(50))
    user_id: Mapped[slack_id]
    starts_at: Mapped[utc]
    ends_at: Mapped[utc]
    created_by: Mapped[slack_id]
    created_at: Mapped[utc]
    # A retried or double-submitted request makes one override.
    request: Mapped[str | None] = mapped_column(String(200), unique=True)


class ScheduleFeed(Base):
    """An iCalendar layer's last good copy: a refresh that fails keeps `body` and records why in `last_error`."""

    __tablename__ = "schedule_feeds"
    __table_args__ = (UniqueConstraint("schedule", "layer"),)

    id: Mapped[intpk]
    schedule: Mapped[str] = mapped_column(String(50))
    layer: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(1000))
    body: Mapped[str | None] = mapped_column(Text)
    fetched_at: Mapped[utc | None]
    attempted_at: Mapped[utc | None]
    last_error: Mapped[str | None] = mapped_column(Text)
