"""The new-ticket modal was submitted: inline errors for bad fields, otherwise open the ticket and close the modal."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext

from bot.errors import UserFacingError
from bot.services import Services
from handlers import payloads


def new_ticket_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
    services: Services = context["services"]
    draft, errors = payloads.new_ticket_form(view)
    if draft is None:
        ack(response_action="errors", errors=errors)
        return
    actor = services.actor(payloads.submitter(body))
    try:
        # The draft's source_ref (the view id, or the message) makes retries and double submissions open one ticket.
        services.tickets.open(actor, draft)
    except UserFacingError as error:
        ack(response_action="errors", errors={"new_customer": str(error)})
        return
    ack()
