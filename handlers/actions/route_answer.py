"""Accept or Pass on a routed ticket's offer (the DM routing sent)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext, Respond

from bot.errors import BadPayload
from bot.messages.routing import ACCEPT
from bot.services import Services
from handlers import payloads


def route_answered(ack: Ack, body: dict[str, Any], context: BoltContext, respond: Respond) -> None:
    ack()
    services: Services = context["services"]
    click = payloads.click(body)
    if not (click.value or "").isdigit():
        raise BadPayload("the button carries no offer id")
    text = services.routing.answer(click.user, int(click.value or 0), accept=click.action_id == ACCEPT)
    respond(text=text, response_type="ephemeral", replace_original=False)
