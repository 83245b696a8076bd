"""Accept or Decline on a request for help (a responder's DM)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext, Respond

from bot.errors import BadPayload
from bot.messages.people import ACCEPT
from bot.services import Services
from handlers import payloads


def responder_answered(ack: Ack, body: dict[str, Any], context: BoltContext, respond: Respond) -> None:
    ack()
    services: Services = context["services"]
    click = payloads.click(body)
    if not (click.value or "").isdigit():
        raise BadPayload("the button carries no request id")
    text = services.people.answer(click.user, int(click.value or 0), accept=click.action_id == ACCEPT)
    respond(text=text, response_type="ephemeral", replace_original=False)
