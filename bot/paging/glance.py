"""Who a ticket escalates to, at a glance: the line on the card and in `/ticket show`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.messages import paging as msg
from bot.messages.common import person
from bot.oncall.config import SCHEDULE, OnCallBook, target_kind
from bot.oncall.directory import OnCallDirectory, Paged
from bot.paging.service import ACKNOWLEDGED, TRIGGERED
from models import Page, PageNotice, Ticket


class EscalationPoint:
    def __init__(self, book: OnCallBook, directory: OnCallDirectory) -> None:
        self.book = book
        self.directory = directory

    def line(self, session: Session, ticket: Ticket, now: datetime) -> str | None:
        """The ticket's page if one runs (or was acknowledged), else who the default policy would page now (its
        first level that reaches someone) and after that (the next such level); None for a closed ticket."""
        if ticket.status in ("solved", "closed"):
            return None
        page = session.scalar(select(Page).where(Page.ticket_id == ticket.id).order_by(Page.id.desc()).limit(1))
        if page is not None and page.state == TRIGGERED:
            paged = session.scalars(
                select(PageNotice.user_id)
                .where(PageNotice.page_id == page.id, PageNotice.round == page.round, PageNotice.level == page.level)
                .order_by(PageNotice.id)
            ).all()
            who = ", ".join(map(person, paged)) or "nobody yet"
            return f":rotating_light: *Escalating* {page.key} ({msg.step_of(page).label()}): paged {who}"
        if page is not None and page.state == ACKNOWLEDGED:
            return f"*Escalation* {page.key}: {msg.outcome_line(page)}"
        policy = self.book.policies.get(self.book.default_policy or "")
        if policy is None:
            return None
        reached = [self.directory.resolve(level.targets, session, now) for level in policy.levels]
        first = next((i for i, people in enumerate(reached) if people), None)
        if first is None:
            return f"*Escalation* ({policy.name}): nobody on call now"
        line = f"*Escalation* ({policy.name}): {_people_via(reached[first])}"
        after = next((people for people in reached[first + 1 :] if people), None)
        return line + (f" · then {_people_via(after)}" if after else "")


def _people_via(people: list[Paged]) -> str:
    """'<@U1> (primary), <@U2>': each person, and the schedule that put them there."""
    return ", ".join(person(p.user_id) + (f" ({p.via})" if target_kind(p.via) == SCHEDULE else "") for p in people)
