"""Message shortcut "Create ticket": the new-ticket modal, prefilled with the message and its permalink."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext, Respond

from bot.gateway import SlackError
from bot.messages.modals import Prefill, new_ticket_modal
from bot.services import Services
from bot.tickets import rules
from bot.tickets.intake import subject_of

CREATE_TICKET = "create_ticket"


def create_ticket_from_message(ack: Ack, shortcut: dict[str, Any], context: BoltContext, respond: Respond) -> None:
    ack()
    services: Services = context["services"]
    channel, message = shortcut["channel"]["id"], shortcut["message"]
    existing = services.tickets.find_by_source(f"message:{channel}:{message['ts']}")
    if existing is not None:
        respond(text=f"This message already has a ticket: *{existing.key}*.", response_type="ephemeral")
        return
    text = services.reactions.as_typed(message.get("text", ""))  # Slack sends message text encoded
    prefill = Prefill(
        subject=subject_of(text),
        description=text,
        source=rules.SOURCE_SHORTCUT,
        channel=channel,
        message_ts=message["ts"],
        permalink=services.gateway.permalink(channel, message["ts"]),
    )
    try:
        services.gateway.open_view(shortcut["trigger_id"], new_ticket_modal(prefill, services.tickets.customers()))
    except SlackError as error:
        respond(
            text=f"Slack could not open the form ({error.error}). Please try the shortcut again.",
            response_type="ephemeral",
        )
