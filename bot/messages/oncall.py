"""How on-call reads in Slack: who is on call now and next, a schedule's week, an override's confirmation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import (
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    SectionBlock,
    StaticSelectElement,
    UserSelectElement,
)
from slack_sdk.models.views import View

from bot.messages.common import option_for, person, slack_date
from bot.oncall.config import USER, target_kind
from bot.oncall.schedule import Segment
from bot.text import mrkdwn

# The override form: its callback id and blocks (each input's action id is "value", as in every Liaison form).
OVERRIDE, SCHEDULE_BLOCK, PERSON_BLOCK, LENGTH_BLOCK = "oncall_override", "schedule", "person", "length"


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


def override_modal(schedules: Sequence[str], schedule: str | None) -> dict[str, Any]:
    """`/oncall override` without the rest: pick the schedule and the person, say for how long."""
    options = [Option(value=name, text=name) for name in schedules]
    blocks = [
        InputBlock(
            block_id=SCHEDULE_BLOCK,
            label="Schedule",
            element=StaticSelectElement(
                action_id="value", options=options, initial_option=option_for(options, schedule or "")
            ),
        ),
        InputBlock(
            block_id=PERSON_BLOCK,
            label="Who takes it",
            element=UserSelectElement(action_id="value", placeholder="Pick a person"),
        ),
        InputBlock(
            block_id=LENGTH_BLOCK,
            label="For how long, from now",
            hint="4h, 1d, until 18:00 or until 2026-12-24 09:00 (in the schedule's time zone)",
            element=PlainTextInputElement(action_id="value", initial_value="4h", max_length=40),
        ),
    ]
    view = View(
        type="modal",
        callback_id=OVERRIDE,
        title="On-call override",
        submit="Override",
        close="Cancel",
        blocks=blocks,
    )
    view.validate_json()
    return view.to_dict()


def override_done_modal(text: str) -> dict[str, Any]:
    view = View(
        type="modal",
        callback_id=f"{OVERRIDE}_done",
        title="On-call override",
        close="Done",
        blocks=[SectionBlock(text=MarkdownTextObject(text=text))],
    )
    view.validate_json()
    return view.to_dict()
