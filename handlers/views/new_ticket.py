"""The new-ticket modal was submitted: inline errors for bad fields, otherwise open the ticket and close the modal."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext

from bot.errors import UserFacingError
from bot.messages.modals import read_new_ticket
from bot.services import Services


def new_ticket_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
    services: Services = context["services"]
    draft, errors = read_new_ticket(view)
    if draft is None:
        ack(response_action="errors", errors=errors)
        return
    try:
        services.tickets.open(services.actor(body["user"]["id"]), draft)
    except UserFacingError as error:
        ack(response_action="errors", errors={"new_customer": str(error)})
        return
    ack()
