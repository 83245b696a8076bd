"""Customers: who a ticket is for, and the support tier that decides its SLA."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, intpk, slack_id, utc


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[intpk]
    name: Mapped[str] = mapped_column(String(200), unique=True)
    tier: Mapped[str] = mapped_column(String(32), default="standard")
    slack_channel_id: Mapped[slack_id | None]
    created_at: Mapped[utc]
