"""How responders and stakeholders read: the DM that asks for help (or says you are kept informed), its edit once
answered, the thread lines and the answers."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import ActionsBlock, ButtonElement, ContextBlock, MarkdownTextObject, SectionBlock

from bot.messages.common import as_dicts, person
from bot.text import mrkdwn
from bot.tickets import rules
from models import Ticket, TicketPerson

# Action ids of the responder DM's buttons; the value is the ticket_people row's id.
ACCEPT, DECLINE = "responder_accept", "responder_decline"


def _about(ticket: Ticket) -> str:
    return f"*{ticket.key}* {mrkdwn(ticket.subject, 200)} ({mrkdwn(ticket.customer.name, 100)}, {ticket.priority})"


def added_dm(ticket: Ticket, row: TicketPerson) -> tuple[str, list[dict[str, Any]]]:
    if row.role == "responder":
        text = f"{person(row.added_by)} asks for your help with {_about(ticket)}."
        buttons = [
            ButtonElement(text="Accept", action_id=ACCEPT, value=str(row.id), style="primary"),
            ButtonElement(text="Decline", action_id=DECLINE, value=str(row.id)),
        ]
        blocks = [
            SectionBlock(text=MarkdownTextObject(text=text)),
            ActionsBlock(block_id=f"responder:{row.id}", elements=buttons),
        ]
        return f"{ticket.key}: can you help?", as_dicts(blocks)
    text = (
        f"{person(row.added_by)} added you as a stakeholder of {_about(ticket)}: you will get a DM when its status "
        "changes or an SLA target is breached."
    )
    return text, as_dicts([SectionBlock(text=MarkdownTextObject(text=text))])


def answered_dm(ticket: Ticket, row: TicketPerson) -> tuple[str, list[dict[str, Any]]]:
    text = f"{person(row.added_by)} asked for your help with {_about(ticket)}."
    blocks = [
        SectionBlock(text=MarkdownTextObject(text=text)),
        ContextBlock(elements=[MarkdownTextObject(text=f"You {row.state}.")]),
    ]
    return f"{ticket.key}: you {row.state}", as_dicts(blocks)


def added_line(ticket: Ticket, row: TicketPerson) -> str:
    if row.role == "responder":
        return f":raising_hand: {person(row.added_by)} asked {person(row.user_id)} to help with {ticket.key}."
    return f":eyes: {person(row.added_by)} added {person(row.user_id)} as a stakeholder of {ticket.key}."


def answered_line(ticket: Ticket, row: TicketPerson) -> str:
    cue = ":white_check_mark:" if row.state == "accepted" else ":no_entry_sign:"
    return f"{cue} {person(row.user_id)} {row.state} helping with {ticket.key}."


def added_answer(ticket: Ticket, row: TicketPerson) -> str:
    if row.role == "responder":
        return f"{ticket.key}: asked {person(row.user_id)} to help; you will see their answer in the thread."
    return f"{ticket.key}: {person(row.user_id)} is kept informed of status changes and breaches."


def already(ticket: Ticket, user_id: str, role: str, state: str) -> str:
    what = f"a stakeholder of {ticket.key}" if role == "stakeholder" else f"asked to help with {ticket.key} ({state})"
    return f"{person(user_id)} is already {what}; nothing changed."


def status_dm(ticket: Ticket) -> str:
    return f":eyes: {_about(ticket)} is now *{rules.STATUS_LABELS[ticket.status]}*."


def people_line(rows: list[TicketPerson]) -> str | None:
    """`/ticket show`: who was added, and how responders answered."""
    if not rows:
        return None
    parts = [f"{person(r.user_id)} ({r.role}" + (f", {r.state})" if r.role == "responder" else ")") for r in rows]
    return "*People*: " + ", ".join(parts)
