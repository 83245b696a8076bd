"""What a page writes, in the caller's unit of work: thread lines, DM edits, the card's update, PagerDuty events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot import outbox, pagerduty
from bot.pagerduty import PagerDutyConfig
from bot.tickets.cards import post_in_thread, update_card
from models import Page, PageNotice, Ticket


def dm_ordering(page: Page, user_id: str) -> str:
    """A person's DMs of one page (the DM, then its edits) are delivered in order."""
    return f"page:{page.id}:{user_id}"


def touch_card(session: Session, page: Page, now: datetime) -> None:
    """The card shows the ticket's page: queue an update (it is rendered when delivered)."""
    ticket = session.get(Ticket, page.ticket_id) if page.ticket_id is not None else None
    if ticket is not None:
        update_card(session, ticket, now)


def pagerduty_event(session: Session, config: PagerDutyConfig | None, page: Page, now: datetime, action: str) -> None:
    """The PagerDuty alert of a page whose policy asks for it, keyed by the ticket (or the page)."""
    if config is None or not page.policy.get("pagerduty"):
        return
    ticket = session.get(Ticket, page.ticket_id) if page.ticket_id is not None else None
    pagerduty.queue_event(
        session,
        config,
        now=now,
        action=action,
        dedup_key=ticket.key if ticket is not None else page.key,
        event_key=f"{page.key}:{action}",
        summary=page.title + (f": {page.reason}" if page.reason else ""),
        severity=pagerduty.SEVERITY.get(ticket.priority, "error") if ticket is not None else "error",
        details={"page": page.key, "policy": page.policy.get("name"), "opened_by": page.opened_by},
    )


def edit_dm(session: Session, page: Page, notice: PageNotice, now: datetime, why: str, text: str, blocks: list) -> None:
    """Replace a person's page DM (its buttons go) once they declined or the page ended."""
    outbox.follow(
        session,
        now=now,
        after=notice.dm_key,
        dedupe_key=f"{notice.dm_key}:{why}",
        method="chat.update",
        payload={"text": text, "blocks": blocks},
        ordering_key=dm_ordering(page, notice.user_id),
    )


def announce(
    session: Session,
    page: Page,
    now: datetime,
    suffix: str,
    text: str,
    *,
    broadcast: bool = False,
    first: bool = False,
) -> None:
    """A line in the ticket's thread, or (a page without a ticket) the page's first line in the channel it was
    started from, and every later line in that message's thread; `broadcast` shows it in the channel too."""
    key = f"page:{page.id}:{suffix}"
    extra = {"reply_broadcast": True} if broadcast else {}
    if page.ticket_id is not None:
        ticket = session.get(Ticket, page.ticket_id)
        if ticket is not None:
            post_in_thread(session, ticket, now, key, text, **extra)
        return
    if page.channel is None:
        return
    announcement, ordering = f"page:{page.id}:announce", f"page:{page.id}:channel"
    payload: dict[str, Any] = {"channel": page.channel, "text": text, "unfurl_links": False}
    if first:
        outbox.enqueue(
            session, now=now, dedupe_key=announcement, method=outbox.POST, payload=payload, ordering_key=ordering
        )
        return
    del payload["channel"]
    outbox.follow(
        session,
        now=now,
        after=announcement,
        dedupe_key=key,
        method=outbox.POST,
        payload=payload | extra,
        ordering_key=ordering,
        as_="thread_ts",
    )
