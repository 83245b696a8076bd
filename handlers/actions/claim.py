"""Claim (or take over) a ticket from its card or the App Home tab."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext, Respond

from bot.errors import UserFacingError
from bot.messages.tickets import change_answer
from bot.services import Services
from handlers import payloads
from handlers.actions.feedback import tell


def claim_clicked(ack: Ack, body: dict[str, Any], context: BoltContext, respond: Respond) -> None:
    ack()
    services: Services = context["services"]
    click = payloads.click(body)
    try:
        key = payloads.ticket_key(click.value)
        change = services.tickets.claim(services.actor(click.user), key, request=click.key)
    except UserFacingError as error:
        tell(services, click, respond, str(error))
        return
    tell(services, click, respond, change_answer(change, f"{key} is yours.", f"{key} is already yours."))
