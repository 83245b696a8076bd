"""Satisfaction: the customer's answer to a solved ticket's one-question survey, once per ticket."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigIntId, intpk, slack_id, utc


class Satisfaction(Base):
    __tablename__ = "satisfaction"

    id: Mapped[intpk]
    # Unique: the first answer is the ticket's; a second click, or a second survey after a reopen, changes nothing.
    ticket_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("tickets.id"), unique=True)
    user_id: Mapped[slack_id]
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[utc]
    updated_at: Mapped[utc]
