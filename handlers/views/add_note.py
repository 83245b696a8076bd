"""The add-note modal was submitted."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext

from bot.errors import UserFacingError
from bot.messages.modals import read_note
from bot.services import Services


def add_note_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
    services: Services = context["services"]
    key, text, errors = read_note(view)
    if text is None:
        ack(response_action="errors", errors=errors)
        return
    try:
        services.tickets.note(services.actor(body["user"]["id"]), key, text)
    except UserFacingError as error:
        ack(response_action="errors", errors={"note": str(error)})
        return
    ack()
