"""Ephemeral replies about tickets: a list, one ticket in detail, the prompt about a private message."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.messages.activity import activity_text
from bot.messages.card import ticket_card
from bot.messages.common import as_dicts, person, slack_date
from bot.text import mrkdwn, truncate
from bot.tickets import rules
from bot.tickets.service import Change, TicketDetails
from models import Ticket


def ticket_line(ticket: Ticket) -> str:
    return (
        f"{sla_cue(ticket)}*{ticket.key}* {mrkdwn(ticket.subject, 150)} · {mrkdwn(ticket.customer.name, 100)}"
        f" ({ticket.customer.tier}) · {ticket.priority} · {rules.STATUS_LABELS[ticket.status]}"
        f" · {person(ticket.assignee_id)}"
    )


def sla_cue(ticket: Ticket) -> str:
    """A breached ticket is marked red; one with a running SLA shows its next deadline."""
    if ticket.sla_breached:
        return ":red_circle: SLA breached · "
    if ticket.next_deadline_at is not None:
        return f":large_green_circle: due {slack_date(ticket.next_deadline_at)} · "
    return ""


def ticket_list(tickets: list[Ticket], scope: str) -> tuple[str, list[dict[str, Any]]]:
    title = {"mine": "Your tickets", "open": "Open tickets"}.get(scope, f"Tickets for “{mrkdwn(scope, 100)}”")
    if not tickets:
        text = f"{title}: none. Open one with `/ticket new`."
        return text, as_dicts([SectionBlock(text=MarkdownTextObject(text=text))])
    # One section per ten tickets keeps each under Slack's 3000-character limit.
    lines = [ticket_line(t) for t in tickets]
    blocks: list = [SectionBlock(text=MarkdownTextObject(text=f"*{title}*, most urgent first"))]
    for start in range(0, len(lines), 10):
        blocks.append(SectionBlock(text=MarkdownTextObject(text=truncate("\n".join(lines[start : start + 10]), 3000))))
    return f"{title}: {len(tickets)}", as_dicts(blocks)


def ticket_details(details: TicketDetails) -> tuple[str, list[dict[str, Any]]]:
    ticket = details.ticket
    text, card = ticket_card(ticket, details.sla_lines, details.context)
    card = [block for block in card if block["type"] != "actions"]
    activity = [
        activity_text(ticket, e) + f"  _{slack_date(e.created_at, '{date_short} {time}')}_" for e in details.events
    ]
    blocks: list = [DividerBlock()]
    if activity:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=truncate("\n".join(activity), 3000))))
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=f"Last change {slack_date(ticket.updated_at)}")]))
    return text, card + as_dicts(blocks)


OPEN_FROM_PRIVATE = "ticket_open_private"


def private_message_prompt(channel: str, ts: str) -> tuple[str, list[dict[str, Any]]]:
    """Shown only to whoever reacted to a message in a private conversation: the ticket is theirs to open."""
    text = (
        "That message is in a private conversation, so Liaison did not copy it into the support queue."
        " If the support team may read it, open a ticket from it yourself."
    )
    button = ButtonElement(text="Open a ticket…", action_id=OPEN_FROM_PRIVATE, value=f"{channel} {ts}")
    return text, as_dicts([SectionBlock(text=MarkdownTextObject(text=text)), ActionsBlock(elements=[button])])


def read_private_prompt(value: object) -> tuple[str, str] | None:
    """(channel, ts) from the prompt's button value; None when it is not one."""
    parts = value.split(" ") if isinstance(value, str) else []
    return (parts[0], parts[1]) if len(parts) == 2 and all(parts) else None


def change_answer(change: Change, done: str, unchanged: str = "") -> str:
    """The answer to a change: `done`, or `unchanged` when the ticket already was so, or `done` noted as a repeat."""
    if change.repeated:
        return f"{done} (Already done: this request arrived more than once and was applied once.)"
    return done if change.applied else unchanged
