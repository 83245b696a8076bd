"""Pages: a request for someone to act now, moving up an escalation policy until someone acknowledges it."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigIntId, JsonDict, intpk, slack_id, utc


class Page(Base):
    __tablename__ = "pages"
    __table_args__ = (Index("ix_pages_ticket_id_state", "ticket_id", "state"),)

    id: Mapped[intpk]
    ticket_id: Mapped[int | None] = mapped_column(BigIntId, ForeignKey("tickets.id"))
    # A page about an incident (its customer liaison); `purpose` says what acknowledging it means.
    incident_id: Mapped[int | None] = mapped_column(BigIntId, ForeignKey("incidents.id"))
    purpose: Mapped[str | None] = mapped_column(String(32))
    # What the page is about, as the people paged read it (the ticket's key and subject, or the /page message).
    title: Mapped[str] = mapped_column(String(250))
    reason: Mapped[str] = mapped_column(Text, default="")
    # The escalation policy as it was when the page started: {"name", "repeat", "levels": [{"targets", "timeout"}]}.
    policy: Mapped[JsonDict]
    state: Mapped[str] = mapped_column(String(16))
    round: Mapped[int] = mapped_column(Integer, default=0)
    level: Mapped[int] = mapped_column(Integer, default=0)
    opened_by: Mapped[slack_id]
    # Where the page is announced when it has no ticket (the channel /page was used in); None: the ticket's thread.
    channel: Mapped[str | None] = mapped_column(String(32))
    acked_by: Mapped[str | None] = mapped_column(String(32))
    acked_at: Mapped[utc | None]
    ended_at: Mapped[utc | None]
    created_at: Mapped[utc]
    updated_at: Mapped[utc]
    # A retried or double-submitted request starts one page.
    request: Mapped[str | None] = mapped_column(String(200), unique=True)
    row_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": row_version}

    @property
    def key(self) -> str:
        return f"PG-{self.id}"


class PageNotice(Base):
    """One person paged at one level of one round, and what they answered."""

    __tablename__ = "page_notices"
    __table_args__ = (UniqueConstraint("page_id", "round", "level", "user_id"),)

    id: Mapped[intpk]
    page_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("pages.id"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    level: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[slack_id]
    # How they came to be paged: the schedule or user group that named them, or "user".
    via: Mapped[str] = mapped_column(String(60))
    answer: Mapped[str | None] = mapped_column(String(16))
    answered_at: Mapped[utc | None]
    notified_at: Mapped[utc]
    # The outbox row of their DM, so later changes edit that message.
    dm_key: Mapped[str] = mapped_column(String(200))
