"""The ticket card: one message per ticket in its queue channel, rebuilt from the ticket on every change."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
)

from bot.messages.common import as_dicts, option_for, person, slack_date, status_options
from bot.text import mrkdwn, plain
from bot.tickets import rules
from models import Ticket

# Action ids the card's controls send; handlers/actions registers one listener for each.
CLAIM, STATUS, NOTE, ESCALATE = "ticket_claim", "ticket_status", "ticket_note", "ticket_escalate"
LINK_INCIDENT = "ticket_link_incident"
PRIORITY_EMOJI = {
    "P1": ":red_circle:",
    "P2": ":large_orange_circle:",
    "P3": ":large_blue_circle:",
    "P4": ":white_circle:",
}


def ticket_card(
    ticket: Ticket, sla_lines: list[str] | None = None, escalation: str | None = None
) -> tuple[str, list[dict[str, Any]]]:
    """The card's fallback text and blocks; `sla_lines` are the SLA targets as bot/messages/sla.py writes them,
    `escalation` who the ticket escalates to (or its running page), as bot/paging/service.py writes it."""
    customer = ticket.customer
    # The fallback text is shown in notifications and parsed as mrkdwn, so it is escaped like any user text.
    text = f"{ticket.key} · {ticket.priority} · {rules.STATUS_LABELS[ticket.status]} · {mrkdwn(ticket.subject, 200)}"
    fields = [
        MarkdownTextObject(text=f"*Customer*\n{mrkdwn(customer.name, 200)} ({customer.tier})"),
        MarkdownTextObject(
            text=f"*Priority*\n{PRIORITY_EMOJI[ticket.priority]} {rules.PRIORITY_LABELS[ticket.priority]}"
        ),
        MarkdownTextObject(text=f"*Status*\n{rules.STATUS_LABELS[ticket.status]}"),
        MarkdownTextObject(text=f"*Assignee*\n{person(ticket.assignee_id)}"),
    ]
    blocks: list = [
        HeaderBlock(text=PlainTextObject(text=plain(f"{ticket.key} · {ticket.subject}", 150), emoji=False)),
        SectionBlock(fields=fields),
    ]
    if sla_lines:
        blocks.append(SectionBlock(text=MarkdownTextObject(text="\n".join(sla_lines)[:3000])))
    if escalation:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=escalation[:3000])]))
    if ticket.description:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=mrkdwn(ticket.description, 2000))))
    context = f"Opened by {person(ticket.requester_id)} via {ticket.source} · {slack_date(ticket.created_at)}"
    if ticket.source_permalink:
        context += f" · <{ticket.source_permalink}|original message>"
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=context)]))
    blocks.append(card_actions(ticket))
    return text, as_dicts(blocks)


def card_actions(ticket: Ticket) -> ActionsBlock:
    """Claim, change status, add note, escalate, link to an incident."""
    options = status_options()
    elements: list = []
    if ticket.status not in ("solved", "closed"):
        label = "Claim" if ticket.assignee_id is None else "Take over"
        elements.append(ButtonElement(text=label, action_id=CLAIM, value=ticket.key, style="primary"))
    elements.append(
        StaticSelectElement(
            action_id=STATUS,
            placeholder="Change status",
            options=options,
            initial_option=option_for(options, ticket.status),
        )
    )
    elements.append(ButtonElement(text="Add note", action_id=NOTE, value=ticket.key))
    if ticket.status not in ("solved", "closed"):
        elements.append(ButtonElement(text="Escalate", action_id=ESCALATE, value=ticket.key))
        elements.append(ButtonElement(text="Link to incident", action_id=LINK_INCIDENT, value=ticket.key))
    return ActionsBlock(block_id=f"card:{ticket.key}", elements=elements)
