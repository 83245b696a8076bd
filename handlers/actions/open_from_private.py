"""The "Open a ticket…" button under the prompt about a private message: the new-ticket modal, prefilled with it."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext, Respond

from bot.errors import BadPayload
from bot.gateway import SlackError
from bot.messages.modals import Prefill, new_ticket_modal
from bot.messages.tickets import OPEN_FROM_PRIVATE as OPEN_FROM_PRIVATE  # registered under this action_id
from bot.messages.tickets import read_private_prompt
from bot.services import Services
from bot.tickets import rules
from bot.tickets.intake import subject_of
from handlers import payloads
from handlers.actions.feedback import tell


def open_from_private_clicked(ack: Ack, body: dict[str, Any], context: BoltContext, respond: Respond) -> None:
    ack()
    services: Services = context["services"]
    click = payloads.click(body)
    where = read_private_prompt(click.value)
    if where is None or not payloads.CHANNEL_ID.match(where[0]) or not payloads.SLACK_TS.match(where[1]):
        raise BadPayload("private prompt value")
    channel, ts = where
    existing = services.tickets.find_by_source(f"message:{channel}:{ts}")
    if existing is not None:
        tell(services, click, respond, f"This message already has a ticket: *{existing.key}*.")
        return
    text = services.reactions.message_text(channel, ts)
    if text is None:
        tell(services, click, respond, "That message is gone, so there is nothing to open a ticket from.")
        return
    prefill = Prefill(
        subject=subject_of(text),
        description=text,
        source=rules.SOURCE_REACTION,
        channel=channel,
        message_ts=ts,
        permalink=services.gateway.permalink(channel, ts),
    )
    try:
        services.gateway.open_view(click.trigger_id or "", new_ticket_modal(prefill, services.tickets.customers()))
    except SlackError as error:
        tell(services, click, respond, f"Slack could not open the form ({error.error}). Please click again.")
        return
    respond(delete_original=True)  # the question is answered; the modal's Cancel leaves the message where it is
