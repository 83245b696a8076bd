"""The card's Add note button opens the note modal."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext, Respond

from bot.errors import UserFacingError
from bot.gateway import SlackError
from bot.messages.modals import note_modal
from bot.services import Services
from handlers import payloads
from handlers.actions.feedback import tell


def add_note_clicked(ack: Ack, body: dict[str, Any], context: BoltContext, respond: Respond) -> None:
    ack()
    services: Services = context["services"]
    click = payloads.click(body)
    try:
        ticket = services.tickets.for_change(services.actor(click.user), payloads.ticket_key(click.value))
        services.gateway.open_view(click.trigger_id or "", note_modal(ticket.key, ticket.subject))
    except UserFacingError as error:
        tell(services, click, respond, str(error))
    except SlackError as error:
        tell(services, click, respond, f"Slack could not open the form ({error.error}). Please click again.")
