"""Link to incident on the ticket card: a form to pick one of the open incidents."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext, Respond

from bot.errors import UserFacingError
from bot.messages.incident_forms import link_modal
from bot.services import Services
from handlers import payloads
from handlers.actions.feedback import tell


def link_incident_clicked(ack: Ack, body: dict[str, Any], context: BoltContext, respond: Respond) -> None:
    ack()
    services: Services = context["services"]
    click = payloads.click(body)
    try:
        ticket = services.tickets.for_change(services.actor(click.user), payloads.ticket_key(click.value))
    except UserFacingError as error:
        tell(services, click, respond, str(error))
        return
    open_now = [
        (i.incident.key, f"{i.incident.key} {i.incident.severity} {i.incident.title}")
        for i in services.incidents.open_incidents()
    ]
    if not open_now:
        tell(
            services,
            click,
            respond,
            f"No incident is open. Declare one from the ticket with `/ticket incident {ticket.key}`.",
        )
        return
    services.gateway.open_view(click.trigger_id or "", link_modal([ticket.key], open_now))
