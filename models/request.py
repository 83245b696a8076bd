"""Requests already applied: a Slack retry or a double submission carries the same key and changes nothing again."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, intpk, utc


class AppliedRequest(Base):
    __tablename__ = "applied_requests"

    id: Mapped[intpk]
    # What identifies one person's one action: a slash command's trigger id, a modal's view id, an event id.
    key: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[utc] = mapped_column(index=True)
