"""Digest subscriptions (a channel, a cadence, a filter) and the periods already sent to each."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigIntId, intpk, slack_id, utc


class DigestSubscription(Base):
    """A channel's digest: from the policy file (`name` is its key there) or from `/ticket digest subscribe`."""

    __tablename__ = "digest_subscriptions"

    id: Mapped[intpk]
    # The policy file's name for it; None for subscriptions made in Slack.
    name: Mapped[str | None] = mapped_column(String(100), unique=True)
    channel_id: Mapped[slack_id]
    # The cadence as bot/digests/schedule.py reads it back ("daily 09:00 Europe/Paris").
    cadence: Mapped[str] = mapped_column(String(100))
    filter: Mapped[str] = mapped_column(String(300), default="")
    created_by: Mapped[slack_id]
    created_at: Mapped[utc]
    # Periods ending before this were never owed (a new subscription does not send the past).
    starts_at: Mapped[utc]
    active: Mapped[bool] = mapped_column(default=True)
    row_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": row_version}


class DigestRun(Base):
    """One (subscription, period) sent: the unique key is what makes it exactly once across processes."""

    __tablename__ = "digest_runs"
    __table_args__ = (UniqueConstraint("subscription_id", "period_end"),)

    id: Mapped[intpk]
    subscription_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("digest_subscriptions.id"))
    period_start: Mapped[utc]
    period_end: Mapped[utc]
    # True when it went out well after its time (the bot was not running then); the digest says so.
    late: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[utc]
