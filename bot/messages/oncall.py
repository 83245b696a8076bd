"""How on-call reads in Slack: who is on call now and next, a schedule's week, an override's confirmation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.messages.common import person, slack_date
from bot.oncall.config import USER, target_kind
from bot.oncall.schedule import Segment
from bot.text import mrkdwn


@dataclass(frozen=True)
class ScheduleNow:
    name: str
    current: Segment
    next: Segment | None
    # Feed layers with no good copy, or whose last refresh failed: (layer, problem).
    feed_problems: Sequence[tuple[str, str]] = ()


def people(users: Sequence[str]) -> str:
    """Slack users as mentions; a feed's person with no Slack account by name, never as a mention."""
    if not users:
        return "_nobody_"
    return ", ".join(person(u) if target_kind(u) == USER else mrkdwn(u, 80) for u in users)


def overview(rows: Sequence[ScheduleNow]) -> str:
    if not rows:
        return "No on-call schedules are configured. Add them under `[oncall.schedules]` in the policy file."
    lines = ["*Who is on call*"]
    for row in rows:
        line = f"• *{row.name}*: {people(row.current.users)}"
        if row.current.overridden:
            line += " (override)"
        if row.next is not None:
            line += f" · next {people(row.next.users)} from {slack_date(row.next.start)}"
        lines.append(line)
        lines += [f"   :warning: feed `{layer}`: {mrkdwn(problem, 200)}" for layer, problem in row.feed_problems]
    lines.append("`/oncall <schedule>` shows the next 7 days.")
    return "\n".join(lines)


def schedule_week(name: str, timezone: str, segments: Sequence[Segment]) -> str:
    lines = [f"*{name}* for the next 7 days (hand-offs in {timezone}; times below are shown in yours):"]
    for segment in segments:
        flag = " (override)" if segment.overridden else ""
        lines.append(f"• {slack_date(segment.start)} → {slack_date(segment.end)}: {people(segment.users)}{flag}")
    return "\n".join(lines[:60])


def override_done(schedule: str, user: str, start: datetime, end: datetime) -> str:
    return f"{person(user)} is on call for *{schedule}* from {slack_date(start)} until {slack_date(end)}."
