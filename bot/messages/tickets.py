"""Ephemeral replies about tickets: a list, one ticket in detail, a one-line confirmation."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import ContextBlock, DividerBlock, MarkdownTextObject, SectionBlock

from bot.messages.activity import activity_text
from bot.messages.card import ticket_card
from bot.messages.common import as_dicts, person, slack_date
from bot.text import mrkdwn, truncate
from bot.tickets import rules
from bot.tickets.service import TicketDetails
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
    text, card = ticket_card(ticket, details.sla_lines)
    card = [block for block in card if block["type"] != "actions"]
    activity = [
        activity_text(ticket, e) + f"  _{slack_date(e.created_at, '{date_short} {time}')}_" for e in details.events
    ]
    blocks: list = [DividerBlock()]
    if activity:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=truncate("\n".join(activity), 3000))))
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=f"Last change {slack_date(ticket.updated_at)}")]))
    return text, card + as_dicts(blocks)


def confirmation(ticket: Ticket, what: str) -> str:
    return f"{ticket.key}: {what}"
