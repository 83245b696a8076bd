"""The card's Add note button opens the note modal."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext, Respond

from bot.errors import UserFacingError
from bot.gateway import SlackError
from bot.messages.modals import note_modal
from bot.services import Services
from handlers.actions.feedback import tell


def add_note_clicked(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, respond: Respond
) -> None:
    ack()
    services: Services = context["services"]
    actor = services.actor(body["user"]["id"])
    try:
        ticket = services.tickets.for_change(actor, action["value"])
        services.gateway.open_view(body["trigger_id"], note_modal(ticket.key, ticket.subject))
    except UserFacingError as error:
        tell(services, body, respond, str(error))
    except SlackError as error:
        tell(services, body, respond, f"Slack could not open the form ({error.error}). Please click again.")
