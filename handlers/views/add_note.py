"""The add-note modal was submitted."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext

from bot.errors import UserFacingError
from bot.services import Services
from handlers import payloads


def add_note_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
    services: Services = context["services"]
    key, text, errors = payloads.note_form(view)
    if text is None:
        ack(response_action="errors", errors=errors)
        return
    actor = services.actor(payloads.submitter(body))
    try:
        # The view id is the request: Slack's retries and a double submission of this modal add the note once.
        services.tickets.note(actor, key, text, request=payloads.view_key(view))
    except UserFacingError as error:
        ack(response_action="errors", errors={"note": str(error)})
        return
    ack()
