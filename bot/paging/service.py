"""Paging: a page walks an escalation policy's levels until someone acknowledges it.

Rules a team relies on, decided here:

- A page keeps a snapshot of its policy (levels, targets, timeouts, repeat), so editing the policy file never
  changes a page already running; who a schedule or user group reaches is resolved when each level is paged.
- Paging a level DMs each person it reaches (once, however many of its targets name them) with Acknowledge and
  Decline, and posts a line in the ticket's thread (or, for a page without a ticket, in the channel it was started
  from). A level that reaches nobody is skipped at once and the line says so. A page that would reach nobody at all
  is refused before anything is sent.
- Moving on: when the level's timeout passes without an acknowledgement (a `page.escalate` timer, fired by the
  timer sweep exactly once), or when everyone paged at the level has declined. After the last level the ladder
  runs again `repeat` times; then the page is "exhausted" and the thread says nobody acknowledged. An exhausted
  page can still be acknowledged late.
- Anyone paged by the page (at any level) may acknowledge it; the first acknowledgement wins (the page row's
  version makes two at once conflict, and the loser is told who won). Acknowledging stops the page, and every DM
  it sent is edited to say who acknowledged and when.
- A ticket has at most one running page. Solving or closing the ticket resolves its pages; buttons on a page that
  has ended answer with its state instead of acting.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.access import require_agent
from bot.clock import Clock
from bot.db import Database
from bot.errors import UsageError
from bot.messages import paging as msg
from bot.messages.common import person
from bot.messages.sla import span
from bot.oncall.config import GROUP, SCHEDULE, USER, EscalationPolicy, OnCallBook, target_kind
from bot.oncall.directory import OnCallDirectory
from bot.pagerduty import PagerDutyConfig
from bot.paging import notices, steps
from bot.paging.steps import ACKNOWLEDGED, ESCALATE, EXHAUSTED, RESOLVED, TRIGGERED
from bot.text import code
from bot.tickets import rules
from bot.tickets.service import Actor, TicketService
from bot.timers import TimerRegistry
from models import Page, PageNotice, Ticket, TicketEvent, Timer

log = logging.getLogger(__name__)

ACKNOWLEDGED_ANSWER, DECLINED_ANSWER = "acknowledged", "declined"


@dataclass(frozen=True)
class Started:
    page: Page
    people: list[str]
    repeated: bool = False


@dataclass(frozen=True)
class Answer:
    text: str
    applied: bool


class PagingService:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        book: OnCallBook,
        directory: OnCallDirectory,
        tickets: TicketService,
        *,
        pagerduty: PagerDutyConfig | None = None,
    ) -> None:
        self.pagerduty = pagerduty
        self.database = database
        self.clock = clock
        self.book = book
        self.directory = directory
        self.tickets = tickets
        # Called in the acknowledging unit of work (an incident makes whoever acknowledges its liaison page liaison).
        self.acknowledged: list[Callable[[Session, Page, str, datetime], None]] = []

    def register(self, timers: TimerRegistry) -> None:
        timers.register(ESCALATE, self._fire)
        self.tickets.observers.append(self._ticket_changed)

    # Starting a page

    def policy(self, name: str | None) -> EscalationPolicy:
        """The named policy, or the default one; a wrong name is answered with the valid ones."""
        name = name or self.book.default_policy
        if name is None or name not in self.book.policies:
            known = ", ".join(f"`{n}`" for n in sorted(self.book.policies)) or "none are configured"
            problem = f"There is no escalation policy `{name}`." if name else "There is no default escalation policy."
            raise UsageError(f"{problem} The policies are: {known}.")
        return self.book.policies[name]

    def escalate(
        self, actor: Actor, key: str, policy: str | None = None, reason: str = "", *, request: str | None = None
    ) -> Started:
        """Page a ticket's escalation policy (the default one unless named)."""
        chosen = self.policy(policy)
        ticket = self.tickets.for_change(actor, key)
        if ticket.status in ("solved", "closed"):
            raise UsageError(f"{ticket.key} is {ticket.status}; reopen it before escalating.")
        title = f"{ticket.key} {ticket.subject}"
        return self._start(actor, title, reason, chosen.snapshot(), ticket_id=ticket.id, channel=None, request=request)

    def page(
        self, actor: Actor, target: str, message: str, *, channel: str | None, request: str | None = None
    ) -> Started:
        """`/page <@user|@group|schedule|policy> <message>`: a policy walks its levels; anything else is one level."""
        require_agent(actor, "page people")
        if target in self.book.policies:
            snapshot = self.book.policies[target].snapshot()
        else:
            kind = target_kind(target)
            if kind == SCHEDULE and target not in self.book.schedules:
                raise UsageError(self._unknown_target(target))
            timeout = int(self.book.direct_timeout.total_seconds())
            snapshot = {
                "name": None,
                "repeat": self.book.direct_repeat,
                "levels": [{"targets": [target], "timeout": timeout}],
            }
        return self._start(actor, message, "", snapshot, ticket_id=None, channel=channel, request=request)

    def _unknown_target(self, target: str) -> str:
        schedules = ", ".join(f"`{n}`" for n in sorted(self.book.schedules)) or "none"
        policies = ", ".join(f"`{n}`" for n in sorted(self.book.policies)) or "none"
        return (
            f"`{code(target)}` is not a person, a user group, a schedule or a policy. "
            f"Schedules: {schedules}. Policies: {policies}. Name a person as @name."
        )

    def _start(
        self,
        actor: Actor,
        title: str,
        reason: str,
        snapshot: dict[str, Any],
        *,
        ticket_id: int | None,
        channel: str | None,
        request: str | None,
    ) -> Started:
        def unit(session: Session) -> Started:
            return self.open_in(session, actor.user_id, title, reason, snapshot, ticket_id, channel, request)

        return self.database.transaction(unit)

    def open_in(
        self,
        session: Session,
        opened_by: str,
        title: str,
        reason: str,
        snapshot: dict[str, Any],
        ticket_id: int | None,
        channel: str | None,
        request: str | None,
    ) -> Started:
        """Start a page in the caller's unit of work (a request's, or a timer's for the breach ladder)."""
        if request is not None:
            existing = session.scalar(select(Page).where(Page.request == request))
            if existing is not None:
                return Started(existing, [], repeated=True)
        now = self.clock.now()
        if ticket_id is not None:
            running = session.scalar(select(Page).where(Page.ticket_id == ticket_id, Page.state == TRIGGERED))
            if running is not None:
                raise UsageError(
                    f"T-{ticket_id} is already being escalated ({running.key}, {msg.step_of(running).label()}). "
                    "It moves on by itself; the people paged can acknowledge it from their DMs."
                )
        self._refuse_nobody(session, snapshot, now)
        page = Page(
            ticket_id=ticket_id,
            title=title.strip()[:250] or "Page",
            reason=reason.strip(),
            policy=snapshot,
            state=TRIGGERED,
            round=0,
            level=0,
            opened_by=opened_by,
            channel=channel,
            created_at=now,
            updated_at=now,
            request=request,
        )
        session.add(page)
        session.flush()
        people = steps.page_level(session, self.directory, page, now, why=None, first=True)
        notices.pagerduty_event(session, self.pagerduty, page, now, "trigger")
        return Started(page, [p.user_id for p in people])

    def _refuse_nobody(self, session: Session, snapshot: dict[str, Any], now: datetime) -> None:
        targets = [t for level in snapshot["levels"] for t in level["targets"]]
        if self.directory.resolve(targets, session, now):
            return
        reasons = [self._why_nobody(target) for target in dict.fromkeys(targets)]
        raise UsageError("Nobody to page: " + "; ".join(reasons) + ". Nothing was sent.")

    @staticmethod
    def _why_nobody(target: str) -> str:
        kind = target_kind(target)
        if kind == GROUP:
            return f"{steps.target_name(target)} has no members Liaison can see"
        if kind == USER:
            return f"{person(target)} cannot be paged"
        return f"schedule `{target}` has nobody on call now"

    # Walking the ladder

    def _fire(self, session: Session, timer: Timer, now: datetime, loaded: object) -> bool:
        """A level's timeout: move on, unless the page was answered or moved on meanwhile (then nothing to do)."""
        page = session.get(Page, int(timer.data["page"]))
        if page is None or page.state != TRIGGERED:
            return False
        if (page.round, page.level) != (timer.data["round"], timer.data["level"]):
            return False
        timeout = timedelta(seconds=int(page.policy["levels"][page.level]["timeout"]))
        steps.move_on(session, self.directory, page, now, f"No acknowledgement within {span(timeout)}.")
        return True

    # Answers from the people paged

    def acknowledge(self, user_id: str, page_id: int) -> Answer:
        def work(session: Session) -> Answer:
            self._lock_timeouts(session, page_id)
            page = session.get(Page, page_id, populate_existing=True)
            if page is None:
                return Answer("That page no longer exists.", False)
            if page.state == ACKNOWLEDGED:
                who = "you" if page.acked_by == user_id else person(page.acked_by)
                return Answer(f"{page.key} was already acknowledged by {who}. {msg.outcome_line(page)}", False)
            if page.state == RESOLVED:
                return Answer(f"{page.key}: {msg.outcome_line(page)}", False)
            mine = self._notices(session, page, user_id)
            if not mine:
                return Answer(self._not_yours(session, page), False)
            now = self.clock.now()
            page.state, page.acked_by, page.acked_at, page.updated_at = ACKNOWLEDGED, user_id, now, now
            page.ended_at = page.ended_at or now
            mine[-1].answer, mine[-1].answered_at = ACKNOWLEDGED_ANSWER, now
            steps.stop(session, page, now, msg.acknowledged_text(page, msg.waited(page)))
            notices.pagerduty_event(session, self.pagerduty, page, now, "acknowledge")
            for hook in self.acknowledged:
                hook(session, page, user_id, now)
            return Answer(f"You acknowledged {page.key}: {msg.subject(page)}. The escalation has stopped.", True)

        return self.database.transaction(work)

    def decline(self, user_id: str, page_id: int) -> Answer:
        def work(session: Session) -> Answer:
            self._lock_timeouts(session, page_id)
            page = session.get(Page, page_id, populate_existing=True)
            if page is None:
                return Answer("That page no longer exists.", False)
            if page.state != TRIGGERED:
                return Answer(f"{page.key}: {msg.outcome_line(page)}", False)
            mine = self._notices(session, page, user_id)
            if not mine:
                return Answer(self._not_yours(session, page), False)
            current = [n for n in mine if (n.round, n.level) == (page.round, page.level)]
            if not current:
                return Answer(f"{page.key} has moved on since you were paged ({msg.step_of(page).label()}).", False)
            if current[0].answer == DECLINED_ANSWER:
                return Answer(f"You already declined {page.key}.", False)
            now = self.clock.now()
            notice = current[0]
            notice.answer, notice.answered_at = DECLINED_ANSWER, now
            step = msg.step_of(page)
            text, blocks = msg.page_dm_ended(page, msg.declined_line(step))
            notices.edit_dm(session, page, notice, now, "declined", text, blocks)
            level = session.scalars(
                select(PageNotice).where(
                    PageNotice.page_id == page.id, PageNotice.round == page.round, PageNotice.level == page.level
                )
            ).all()
            waiting = [n.user_id for n in level if n.answer != DECLINED_ANSWER]
            if waiting:
                line = f"{person(user_id)} declined {page.key}; still waiting on {', '.join(map(person, waiting))}."
                notices.announce(session, page, now, f"declined:{notice.id}", line)
            else:
                steps.move_on(
                    session, self.directory, page, now, f"{', '.join(person(n.user_id) for n in level)} declined."
                )
            page.updated_at = now
            return Answer(f"You declined {page.key}.", True)

        return self.database.transaction(work)

    @staticmethod
    def _lock_timeouts(session: Session, page_id: int) -> None:
        """Take the page's pending timeout first, as the timer sweep does (it locks the timers it fires before it
        writes anything else). One order for both, so an answer and a sweep moving the same page on wait for each
        other instead of deadlocking; the one that waited then finds the page changed and runs again on it."""
        locked = None
        while True:
            step = session.execute(select(Page.round, Page.level).where(Page.id == page_id)).first()
            if step is None or tuple(step) == locked:
                return
            # While this waited, a sweep may have moved the page on to a new level: take that level's timeout too.
            locked = tuple(step)
            key = steps.timeout_key(page_id, step.round, step.level)
            session.execute(select(Timer.id).where(Timer.dedupe_key == key).with_for_update()).all()

    def _notices(self, session: Session, page: Page, user_id: str) -> list[PageNotice]:
        return list(
            session.scalars(
                select(PageNotice)
                .where(PageNotice.page_id == page.id, PageNotice.user_id == user_id)
                .order_by(PageNotice.round, PageNotice.level)
            )
        )

    @staticmethod
    def _not_yours(session: Session, page: Page) -> str:
        current = session.scalars(
            select(PageNotice.user_id).where(
                PageNotice.page_id == page.id, PageNotice.round == page.round, PageNotice.level == page.level
            )
        ).all()
        return f"{page.key} was not sent to you; it pages {', '.join(map(person, current)) or 'nobody now'}."

    # Ending

    def _ticket_changed(self, session: Session, ticket: Ticket, event: TicketEvent, now: datetime) -> None:
        """Solving or closing a ticket resolves its running (or exhausted) pages."""
        if event.kind != rules.STATUS_CHANGE or ticket.status not in ("solved", "closed"):
            return
        pages = session.scalars(
            select(Page).where(Page.ticket_id == ticket.id, Page.state.in_((TRIGGERED, EXHAUSTED, ACKNOWLEDGED)))
        ).all()
        for page in pages:
            if page.state != ACKNOWLEDGED:
                page.state, page.updated_at = RESOLVED, now
                page.ended_at = page.ended_at or now
                steps.stop(session, page, now, msg.resolved_text(page))
            # Once per page however often the ticket is solved: the event's key is the page's.
            notices.pagerduty_event(session, self.pagerduty, page, now, "resolve")
