"""The buttons of a suggested incident (similar tickets): declare one for them, link them to an open one, dismiss."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext, Respond

from bot.incidents.patterns import DISMISSED, SUGGESTED
from bot.messages.incident_forms import SUGGEST_DECLARE, SUGGEST_DISMISS, declare_modal, link_modal
from bot.services import Services
from handlers import payloads


def suggestion_clicked(ack: Ack, body: dict[str, Any], context: BoltContext, respond: Respond) -> None:
    ack()
    services: Services = context["services"]
    click = payloads.click(body)
    key = click.value or ""
    state = services.patterns.state_of(key)
    if state != SUGGESTED:
        answer = "That suggestion no longer exists." if state is None else f"Someone already {state} this suggestion."
        respond(text=answer, response_type="ephemeral", replace_original=False)
        return
    if not services.actor(click.user).is_agent:
        respond(text="Only support agents can act on suggestions.", response_type="ephemeral", replace_original=False)
        return
    tickets = services.patterns.tickets_of(key)
    if click.action_id == SUGGEST_DISMISS:
        services.patterns.decide(key, DISMISSED, click.user, f"Dismissed by <@{click.user}>: not one incident.")
        return
    if click.action_id == SUGGEST_DECLARE:
        title = services.patterns.title_of(key)
        services.gateway.open_view(click.trigger_id or "", declare_modal(title, tickets=tickets, suggestion=key))
        return
    open_now = [
        (i.incident.key, f"{i.incident.key} {i.incident.severity} {i.incident.title}")
        for i in services.incidents.open_incidents()
    ]
    if not open_now:
        respond(text="No incident is open; declare one instead.", response_type="ephemeral", replace_original=False)
        return
    services.gateway.open_view(click.trigger_id or "", link_modal(tickets, open_now, suggestion=key))
