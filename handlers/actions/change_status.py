"""The card's status select."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext, Respond

from bot.errors import UserFacingError
from bot.services import Services
from bot.tickets import rules
from handlers.actions.feedback import tell


def status_selected(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, respond: Respond
) -> None:
    ack()
    services: Services = context["services"]
    key = action["block_id"].removeprefix("card:")
    try:
        status = rules.parse_status(action["selected_option"]["value"])
        ticket = services.tickets.set_status(services.actor(body["user"]["id"]), key, status)
    except UserFacingError as error:
        tell(services, body, respond, str(error))
        return
    tell(services, body, respond, f"{ticket.key}: status is now {rules.STATUS_LABELS[ticket.status]}.")
