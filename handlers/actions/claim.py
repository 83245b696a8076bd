"""Claim (or take over) a ticket from its card or the App Home tab."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext, Respond

from bot.errors import UserFacingError
from bot.services import Services
from handlers.actions.feedback import tell


def claim_clicked(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, respond: Respond
) -> None:
    ack()
    services: Services = context["services"]
    try:
        ticket = services.tickets.claim(services.actor(body["user"]["id"]), action["value"])
    except UserFacingError as error:
        tell(services, body, respond, str(error))
        return
    tell(services, body, respond, f"{ticket.key} is yours.")
