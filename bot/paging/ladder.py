"""The SLA breach ladder: steps after a target's breach that tell people and/or page an escalation policy.

Each step is a timer (`sla_ladder`) of the breached clock's version, scheduled when the breach is announced
(bot/sla/sweep.py), so it fires at most once per deadline version, and a clock that moves (the target met, the
ticket paused, a new deadline) cancels its pending steps with its other timers. A step also does nothing once a
page about the ticket has been acknowledged since the breach: someone has it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import outbox
from bot.errors import UsageError
from bot.messages import paging as msg
from bot.oncall.config import USER, target_kind
from bot.paging.service import ACKNOWLEDGED, PagingService
from bot.sla.clocks import BREACHED
from bot.sla.policy import METRIC_LABELS
from bot.sla.service import LADDER
from bot.tickets.cards import post_in_thread
from bot.timers import TimerRegistry
from models import Page, SlaClock, Ticket, Timer

# Who opened a page the ladder started (shown as "the SLA breach ladder", never as a mention).
AUTHOR = msg.LADDER_AUTHOR


class BreachLadder:
    def __init__(self, paging: PagingService) -> None:
        self.paging = paging

    def register(self, timers: TimerRegistry) -> None:
        timers.register(LADDER, self.fire)

    def fire(self, session: Session, timer: Timer, now: datetime, loaded: object) -> bool:
        clock = session.get(SlaClock, timer.clock_id) if timer.clock_id is not None else None
        ticket = session.get(Ticket, timer.ticket_id) if timer.ticket_id is not None else None
        if clock is None or ticket is None or clock.version != timer.version:
            return False
        if clock.state != BREACHED or clock.stopped_at is not None or clock.breached_at is None:
            return False
        target = self.paging.tickets.sla.book.target(clock.policy, ticket.priority, clock.metric)
        index = int(timer.data.get("step", -1))
        if target is None or not 0 <= index < len(target.ladder):
            return False
        acknowledged = session.scalar(
            select(Page.id)
            .where(Page.ticket_id == ticket.id, Page.state == ACKNOWLEDGED, Page.acked_at >= clock.breached_at)
            .limit(1)
        )
        if acknowledged is not None:
            return False
        step = target.ladder[index]
        text = msg.ladder_text(ticket, clock.metric, now - clock.breached_at, index + 1, len(target.ladder))
        channel = target.alert_channel or ticket.queue_channel
        for recipient in self._recipients(session, step.notify, ticket, channel, now):
            outbox.enqueue(
                session,
                now=now,
                dedupe_key=f"{timer.dedupe_key}:{recipient}",
                method=outbox.POST,
                payload={"channel": recipient, "text": text, "unfurl_links": False},
                ordering_key=f"user:{recipient}" if target_kind(recipient) == USER else f"channel:{recipient}",
            )
        post_in_thread(session, ticket, now, f"{timer.dedupe_key}:thread", text)
        policy = self.paging.book.policies.get(step.page or "")
        if policy is not None:
            reason = f"{METRIC_LABELS.get(clock.metric, clock.metric)} breached (SLA breach ladder)"
            title = f"{ticket.key} {ticket.subject}"
            try:
                self.paging.open_in(
                    session, AUTHOR, title, reason, policy.snapshot(), ticket.id, None, f"{timer.dedupe_key}:page"
                )
            except UsageError as refused:  # a page already runs, or the policy reaches nobody now
                post_in_thread(session, ticket, now, f"{timer.dedupe_key}:no-page", f"Breach ladder: {refused}")
        return True

    def _recipients(
        self, session: Session, names: Sequence[str], ticket: Ticket, channel: str, now: datetime
    ) -> list[str]:
        found: list[str] = []
        for name in names:
            if name == "assignee":
                found.append(ticket.assignee_id or channel)  # nobody has it: the channel hears instead
            elif name == "channel":
                found.append(channel)
            elif target_kind(name) == USER:
                found.append(name)
            else:
                found += [p.user_id for p in self.paging.directory.resolve([name], session, now)]
        return list(dict.fromkeys(found))
