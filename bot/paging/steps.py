"""Walking a page's escalation ladder, in the caller's unit of work: paging a level, moving on when it times out or
is declined, exhausting the page after the last round, and stopping it when it ends."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot import outbox
from bot.db import insert_new
from bot.messages import paging as msg
from bot.messages.common import person
from bot.oncall.config import GROUP, USER, target_kind
from bot.oncall.directory import OnCallDirectory, Paged
from bot.paging import notices
from bot.timers import PENDING
from models import Page, PageNotice, Timer

TRIGGERED, ACKNOWLEDGED, EXHAUSTED, RESOLVED = "triggered", "acknowledged", "exhausted", "resolved"
ESCALATE = "page.escalate"


def page_level(
    session: Session, directory: OnCallDirectory, page: Page, now: datetime, why: str | None, *, first: bool = False
) -> list[Paged]:
    """Page the current level, or the first after it that reaches someone; exhausts the page if none does."""
    levels = page.policy["levels"]
    skipped: list[str] = []
    while True:
        level = levels[page.level]
        people = directory.resolve(level["targets"], session, now)
        if people:
            break
        skipped.append(f"level {page.level + 1} ({', '.join(target_name(t) for t in level['targets'])})")
        if not next_level(page):
            exhaust(session, page, now, why)
            return []
    step = msg.step_of(page)
    user_ids = [p.user_id for p in people]
    for paged in people:
        dm_key = f"page:{page.id}:r{page.round}:l{page.level}:{paged.user_id}"
        session.add(
            PageNotice(
                page_id=page.id,
                round=page.round,
                level=page.level,
                user_id=paged.user_id,
                via=paged.via,
                notified_at=now,
                dm_key=dm_key,
            )
        )
        text, blocks = msg.page_dm(page, step, [u for u in user_ids if u != paged.user_id], paged.via)
        outbox.enqueue(
            session,
            now=now,
            dedupe_key=dm_key,
            method=outbox.POST,
            payload={"channel": paged.user_id, "text": text, "blocks": blocks},
            ordering_key=notices.dm_ordering(page, paged.user_id),
        )
    line = msg.level_paged_text(page, step, user_ids, skipped)
    text = (f"{why}\n" if why else "") + line
    notices.announce(session, page, now, f"r{page.round}:l{page.level}", text, first=first)
    timeout = timedelta(seconds=int(levels[page.level]["timeout"]))
    insert_new(
        session,
        Timer,
        {
            "kind": ESCALATE,
            "ticket_id": page.ticket_id,
            "clock_id": None,
            "version": 0,
            "due_at": now + timeout,
            "dedupe_key": timeout_key(page.id, page.round, page.level),
            "state": PENDING,
            "data": {"page": page.id, "round": page.round, "level": page.level},
            "created_at": now,
            "attempts": 0,
        },
        unique="dedupe_key",
    )
    page.updated_at = now
    notices.touch_card(session, page, now)
    return people


def move_on(session: Session, directory: OnCallDirectory, page: Page, now: datetime, why: str) -> None:
    if next_level(page):
        page_level(session, directory, page, now, msg.moved_on_text(page, why))
    else:
        exhaust(session, page, now, msg.moved_on_text(page, why))


def exhaust(session: Session, page: Page, now: datetime, why: str | None) -> None:
    page.state, page.ended_at, page.updated_at = EXHAUSTED, now, now
    paged = session.scalars(select(PageNotice.user_id).where(PageNotice.page_id == page.id).order_by(PageNotice.id))
    text = msg.exhausted_text(page, list(dict.fromkeys(paged)))
    notices.announce(session, page, now, "exhausted", (f"{why}\n" if why else "") + text, broadcast=True)
    notices.touch_card(session, page, now)


def stop(session: Session, page: Page, now: datetime, line: str) -> None:
    """The page ended: edit every DM it sent, say so in the thread, cancel its pending timeout."""
    outcome = msg.outcome_line(page)
    text, blocks = msg.page_dm_ended(page, outcome)
    for notice in session.scalars(select(PageNotice).where(PageNotice.page_id == page.id)):
        notices.edit_dm(session, page, notice, now, "end", text, blocks)
    notices.announce(session, page, now, page.state, line)
    notices.touch_card(session, page, now)
    # Only the current level's timeout can still be pending: the earlier ones fired to get here.
    session.execute(
        update(Timer)
        .where(Timer.dedupe_key == timeout_key(page.id, page.round, page.level), Timer.state == PENDING)
        .values(state="cancelled")
        .execution_options(synchronize_session=False)
    )


def next_level(page: Page) -> bool:
    """Step to the next level (or the first of the next round); False when the ladder is used up."""
    if page.level + 1 < len(page.policy["levels"]):
        page.level += 1
        return True
    if page.round < int(page.policy.get("repeat", 0)):
        page.round, page.level = page.round + 1, 0
        return True
    return False


def timeout_key(page_id: int, round_: int, level: int) -> str:
    return f"page:{page_id}:r{round_}:l{level}"


def target_name(target: str) -> str:
    kind = target_kind(target)
    if kind == USER:
        return person(target)
    if kind == GROUP:
        # Named, not mentioned: a mention would notify the whole group in the channel.
        return f"user group `{target}`"
    return f"`{target}`"
