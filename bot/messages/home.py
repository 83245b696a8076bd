"""The App Home tab: the agent's own open tickets and the queue's most urgent ones."""

from __future__ import annotations

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
from bot.messages.tickets import ticket_line
from models import Ticket


def home_view(mine: list[Ticket], urgent: list[Ticket], *, is_agent: bool) -> dict[str, Any]:
    blocks: list = [HeaderBlock(text="Your tickets" if is_agent else "Tickets you opened")]
    blocks += _rows(mine, claimable=False) or [_empty("Nothing open on your plate.")]
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
