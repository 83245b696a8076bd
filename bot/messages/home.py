"""The App Home tab: the agent's own open tickets, their on-call shifts and the queue's most urgent tickets."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import (
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.messages.card import CLAIM
from bot.messages.common import slack_date
from bot.messages.tickets import ticket_line
from bot.oncall.schedule import Segment
from models import Ticket


def home_view(
    mine: list[Ticket], urgent: list[Ticket], *, is_agent: bool, shifts: Sequence[tuple[str, Segment]] = ()
) -> dict[str, Any]:
    blocks: list = [HeaderBlock(text="Your tickets" if is_agent else "Tickets you opened")]
    blocks += _rows(mine, claimable=False) or [_empty("Nothing open on your plate.")]
    if shifts:
        lines = [
            f"• *{name}*: {slack_date(segment.start)} → {slack_date(segment.end)}"
            + (" (override)" if segment.overridden else "")
            for name, segment in shifts[:20]
        ]
        blocks += [DividerBlock(), HeaderBlock(text="Your on-call shifts, next 7 days")]
        blocks.append(SectionBlock(text=MarkdownTextObject(text="\n".join(lines))))
    if is_agent:
        blocks += [DividerBlock(), HeaderBlock(text="Most urgent in the queue")]
        blocks += _rows(urgent, claimable=True) or [_empty("The queue is empty.")]
    blocks.append(
        ContextBlock(
            elements=[MarkdownTextObject(text="Open a ticket with `/ticket new`; `/ticket help` lists every command.")]
        )
    )
    view = View(type="home", callback_id="home", blocks=blocks[:100])
    view.validate_json()
    return view.to_dict()


def _rows(tickets: list[Ticket], *, claimable: bool) -> list[SectionBlock]:
    rows = []
    for ticket in tickets:
        accessory = None
        if claimable and ticket.assignee_id is None:
            accessory = ButtonElement(text="Claim", action_id=CLAIM, value=ticket.key)
        rows.append(SectionBlock(text=MarkdownTextObject(text=ticket_line(ticket)), accessory=accessory))
    return rows


def _empty(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=f"_{text}_"))
