"""How SLA state reads in Slack: the card's target lines, and the warning, breach and reminder messages."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from slack_sdk.models.blocks import ActionsBlock, ButtonElement, ContextBlock, MarkdownTextObject, SectionBlock

from bot.messages.common import as_dicts, slack_date
from bot.sla.clocks import BREACHED, MET, PAUSED, RUNNING
from bot.sla.policy import METRIC_LABELS, Target
from bot.text import mrkdwn
from models import SlaClock, Ticket

SNOOZE = "sla_snooze"
CUE = {
    RUNNING: ":large_green_circle:",
    PAUSED: ":double_vertical_bar:",
    MET: ":white_check_mark:",
    BREACHED: ":red_circle:",
}
WARN_CUE = ":large_yellow_circle:"


def span(delta: timedelta) -> str:
    """'2h 05m', '3d 4h', '45s' — short and exact enough for a glance."""
    seconds = max(int(delta.total_seconds()), 0)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m" if minutes else f"{secs}s"


def clock_line(row: SlaClock, now: datetime, target: Target | None = None) -> str:
    label = METRIC_LABELS[row.metric]
    hours = "business hours" if row.business_hours else "24/7"
    if row.state == RUNNING and row.deadline_at is not None:
        # The card is not re-rendered every minute, so it shows the deadline itself (in each reader's time zone);
        # the time left is spelled out in the warnings, when it is read.
        near = target is not None and _share_left(row, target, now) <= 0.25
        return f"{WARN_CUE if near else CUE[RUNNING]} *{label}* due {slack_date(row.deadline_at)} ({hours})"
    if row.state == BREACHED:
        late = f"breached {slack_date(row.breached_at)}" if row.breached_at else "breached"
        return f"{CUE[BREACHED]} *{label}* {late}" + (" · met late" if row.stopped_at else "")
    if row.state == MET:
        return f"{CUE[MET]} *{label}* met"
    return f"{CUE[PAUSED]} *{label}* paused (waiting on the customer)"


def remaining(row: SlaClock, target: Target, now: datetime) -> str:
    """Business and calendar time left, e.g. '1h 30m of business time left (2d 2h on the clock)'."""
    deadline = row.deadline_at or now
    on_clock = deadline - now
    if not target.business_hours:
        return f"{span(on_clock)} left"
    return f"{span(target.calendar.elapsed(now, deadline))} of business time left ({span(on_clock)} on the clock)"


def _share_left(row: SlaClock, target: Target, now: datetime) -> float:
    total = target.duration.total_seconds() or 1
    left = target.calendar.elapsed(now, row.deadline_at) if row.deadline_at else timedelta(0)
    return left.total_seconds() / total


def warning_text(ticket: Ticket, row: SlaClock, target: Target, now: datetime) -> str:
    return (
        f"{WARN_CUE} *{METRIC_LABELS[row.metric]}* for *{ticket.key}* ({mrkdwn(ticket.customer.name, 100)}, "
        f"{ticket.priority}) is due {slack_date(row.deadline_at or now)}: {remaining(row, target, now)}."
    )


def breach_message(ticket: Ticket, row: SlaClock, *, reminder: bool) -> tuple[str, list[dict[str, Any]]]:
    what = "is still breached" if reminder else "breached"
    text = (
        f"{CUE[BREACHED]} *{METRIC_LABELS[row.metric]}* for *{ticket.key}* {what}: {mrkdwn(ticket.subject, 150)} "
        f"({mrkdwn(ticket.customer.name, 100)}, {ticket.priority})."
    )
    if row.breach_reason and row.breach_reason != "the target passed":
        text += f" Why: {row.breach_reason}."
    since = slack_date(row.breached_at) if row.breached_at else "now"
    blocks = [
        SectionBlock(text=MarkdownTextObject(text=text)),
        ContextBlock(elements=[MarkdownTextObject(text=f"Breached {since} · policy {mrkdwn(row.policy, 100)}")]),
        ActionsBlock(
            block_id=f"snooze:{row.id}",
            elements=[
                ButtonElement(text="Snooze 30 min", action_id=f"{SNOOZE}_30m", value=f"{row.id}:30m"),
                ButtonElement(text="Snooze 2 h", action_id=f"{SNOOZE}_2h", value=f"{row.id}:2h"),
                ButtonElement(
                    text="Until tomorrow's hours", action_id=f"{SNOOZE}_tomorrow", value=f"{row.id}:tomorrow"
                ),
            ],
        ),
    ]
    return text, as_dicts(blocks)
