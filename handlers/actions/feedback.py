"""Telling the person who clicked what happened: an ephemeral reply on a message, a refreshed App Home tab."""

from __future__ import annotations

from typing import Any

from slack_bolt import Respond

from bot.messages.home import home_view
from bot.services import Services


def tell(services: Services, body: dict[str, Any], respond: Respond, text: str) -> None:
    if body.get("container", {}).get("type") == "view" or not body.get("response_url"):
        publish_home(services, body["user"]["id"])
        return
    respond(text=text, response_type="ephemeral", replace_original=False)


def publish_home(services: Services, user_id: str) -> None:
    actor = services.actor(user_id)
    mine, urgent = services.tickets.home_lists(actor)
    services.gateway.publish_home(user_id, home_view(mine, urgent, is_agent=actor.is_agent))
