"""Telling the person who clicked what happened: an ephemeral reply on a message, a refreshed App Home tab."""

from __future__ import annotations

from slack_bolt import Respond

from bot.messages.home import home_view
from bot.services import Services
from handlers.payloads import Click


def tell(services: Services, click: Click, respond: Respond, text: str) -> None:
    if click.in_view or not click.response_url:
        publish_home(services, click.user)
        return
    respond(text=text, response_type="ephemeral", replace_original=False)


def publish_home(services: Services, user_id: str) -> None:
    actor = services.actor(user_id)
    mine, urgent = services.tickets.home_lists(actor)
    shifts = services.oncall.shifts_of(user_id) if actor.is_agent else []
    services.gateway.publish_home(user_id, home_view(mine, urgent, is_agent=actor.is_agent, shifts=shifts))
