"""How SLA state reads in Slack: the card's target lines, and the warning, breach and reminder messages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_sdk.models.blocks import ButtonElement, ContextBlock, MarkdownTextObject, SectionBlock

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
    return text, breach_blocks(text, f"Breached {since} · policy {mrkdwn(row.policy, 100)}", row.id)


def breach_blocks(text: str, context: str, clock_id: int) -> list[dict[str, Any]]:
    """The alert's blocks with its Snooze buttons, as plain dicts.

    Built without `slack_sdk.models` on purpose: a storm of breaches builds hundreds in one sweep batch, and
    validating and serialising the objects cost more than the rest of a breach. The shape is fixed and every text in
    it is cut to its limit; tests/bot/sla/test_storm.py checks the output against slack_sdk's limits.
    """

    def button(label: str, choice: str) -> dict[str, Any]:
        return {
            "type": "button",
            "text": {"type": "plain_text", "text": label, "emoji": True},
            "action_id": f"{SNOOZE}_{choice}",
            "value": f"{clock_id}:{choice}",
        }

    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": context[:2000]}]},
        {
            "type": "actions",
            "block_id": f"snooze:{clock_id}",
            "elements": [
                button("Snooze 30 min", "30m"),
                button("Snooze 2 h", "2h"),
                button("Until tomorrow's hours", "tomorrow"),
            ],
        },
    ]


# A storm summary lists at most this many tickets, one section each: with its header and "… and N more" it stays
# within Slack's 50 blocks a message. Its fallback text stops before this many characters.
STORM_LISTED = 45
STORM_TEXT = 3500
STORM_BREACH, STORM_REMINDER, STORM_WARNING = "breach", "reminder", "warning"
_STORM_HEADERS = {
    STORM_BREACH: "SLA breaches",
    STORM_REMINDER: "tickets still in breach",
    STORM_WARNING: "SLA deadlines coming up",
}


@dataclass(frozen=True)
class StormItem:
    """One ticket's alert in a storm summary."""

    ticket: Ticket
    row: SlaClock
    target: Target | None


def storm_urgency(item: StormItem) -> tuple[str, datetime, int]:
    """Most urgent first: priority (P1 before P2), then the oldest breach or the nearest deadline."""
    at = item.row.breached_at or item.row.deadline_at or datetime.max.replace(tzinfo=UTC)
    return item.ticket.priority, at, item.ticket.id


def storm_line(item: StormItem, kind: str, now: datetime) -> str:
    ticket, row = item.ticket, item.row
    label = METRIC_LABELS[row.metric]
    head = f"*{ticket.key}* {mrkdwn(ticket.subject, 150)} ({mrkdwn(ticket.customer.name, 100)}, {ticket.priority})"
    if kind == STORM_WARNING:
        left = f": {remaining(row, item.target, now)}" if item.target is not None else ""
        return f"{WARN_CUE} {head}: {label} due {slack_date(row.deadline_at or now)}{left}"
    since = slack_date(row.breached_at) if row.breached_at else "now"
    what = "still breached, since" if kind == STORM_REMINDER else "breached"
    return f"{CUE[BREACHED]} {head}: {label} {what} {since}"


def storm_message(
    items: Sequence[StormItem], kind: str, now: datetime, *, direct: bool
) -> tuple[str, list[dict[str, Any]]]:
    """Many alerts for one channel or person in one message, most urgent first, cut to Slack's limits.

    Breaches and reminders carry a "Snooze 2 h" button per listed ticket (the choice that covers working through a
    storm); every Snooze choice stays on the ticket's own thread line.
    """
    ordered = sorted(items, key=storm_urgency)
    cue = WARN_CUE if kind == STORM_WARNING else CUE[BREACHED]
    whose = " on your tickets" if direct else ""
    header = f"{cue} *{len(ordered)} {_STORM_HEADERS[kind]}*{whose}, most urgent first."
    listed = ordered[:STORM_LISTED]
    lines = [storm_line(item, kind, now) for item in listed]
    sections = []
    for item, line in zip(listed, lines, strict=True):
        button = None
        if kind != STORM_WARNING:
            button = ButtonElement(text="Snooze 2 h", action_id=f"{SNOOZE}_2h", value=f"{item.row.id}:2h")
        text = MarkdownTextObject(text=line)
        sections.append(SectionBlock(block_id=f"storm:{item.row.id}", text=text, accessory=button))
    hidden = len(ordered) - len(listed)
    more = f"… and {hidden} more: each ticket's thread has its own line." if hidden else None
    details = "Each ticket's thread has its own line" + (" with every Snooze choice." if kind != STORM_WARNING else ".")
    blocks = [SectionBlock(text=MarkdownTextObject(text=header)), *sections]
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=more or details)]))
    return _storm_text(header, lines, len(ordered)), as_dicts(blocks)


def _storm_text(header: str, lines: list[str], total: int) -> str:
    """The fallback text: the header and as many lines as fit, then how many more there are."""
    text = header
    for shown, line in enumerate(lines):
        rest = f"\n… and {total - shown} more"
        if len(text) + 1 + len(line) + len(rest) > STORM_TEXT:
            return text + rest
        text += "\n" + line
    return text + (f"\n… and {total - len(lines)} more" if total > len(lines) else "")
