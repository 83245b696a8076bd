"""How routing reads: the offer DM with Accept and Pass, its edit once answered, the card thread's lines, and the
queue's notice when nobody can take a ticket."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from slack_sdk.models.blocks import ActionsBlock, ButtonElement, ContextBlock, MarkdownTextObject, SectionBlock

from bot.messages.common import as_dicts, person
from bot.messages.sla import span
from bot.text import mrkdwn
from models import RoutingOffer, Ticket

# Action ids of the offer DM's buttons; the value is the routing_offers row's id.
ACCEPT, PASS = "route_accept", "route_pass"


def _about(ticket: Ticket) -> str:
    return f"*{ticket.key}* {mrkdwn(ticket.subject, 200)} ({mrkdwn(ticket.customer.name, 100)}, {ticket.priority})"


def offer_dm(ticket: Ticket, offer: RoutingOffer, timeout: timedelta, deadline: str | None) -> tuple[str, list]:
    text = f":incoming_envelope: Can you take {_about(ticket)}?"
    context = f"It goes to the next agent if you pass or do not answer within {span(timeout)}."
    if deadline:
        context = f"Its nearest SLA deadline is {deadline}. " + context
    blocks = [
        SectionBlock(text=MarkdownTextObject(text=text)),
        ContextBlock(elements=[MarkdownTextObject(text=context)]),
        ActionsBlock(
            block_id=f"route:{offer.id}",
            elements=[
                ButtonElement(text="Accept", action_id=ACCEPT, value=str(offer.id), style="primary"),
                ButtonElement(text="Pass", action_id=PASS, value=str(offer.id)),
            ],
        ),
    ]
    return f"Can you take {ticket.key}?", as_dicts(blocks)


def answered_dm(ticket: Ticket, offer: RoutingOffer) -> tuple[str, list[dict[str, Any]]]:
    outcome = {
        "accepted": "You took it: it is assigned to you.",
        "passed": "You passed; it was offered to the next agent.",
        "expired": "No answer in time; it was offered to the next agent.",
        "withdrawn": f"It is no longer waiting: {person(ticket.assignee_id, 'nobody')} has it.",
    }[offer.state]
    blocks = [
        SectionBlock(text=MarkdownTextObject(text=f":incoming_envelope: {_about(ticket)}")),
        ContextBlock(elements=[MarkdownTextObject(text=outcome)]),
    ]
    return f"{ticket.key}: {outcome}", as_dicts(blocks)


def offered_line(ticket: Ticket, offer: RoutingOffer) -> str:
    return f":incoming_envelope: Offered {ticket.key} to {person(offer.user_id)}."


def answered_line(ticket: Ticket, offer: RoutingOffer) -> str:
    what = {"accepted": "accepted", "passed": "passed on", "expired": "did not answer for"}[offer.state]
    return f":incoming_envelope: {person(offer.user_id)} {what} {ticket.key}."


def nobody_notice(ticket: Ticket, why: str, paging: str | None) -> str:
    text = f":warning: Nobody can take {_about(ticket)} now: {mrkdwn(why, 500)}."
    if paging:
        text += f" Paging the `{paging}` escalation policy."
    return text + " Claim it from its card, or it is offered as soon as someone is free."
