"""Publish the App Home tab when someone opens it."""

from __future__ import annotations

from typing import Any

from slack_bolt import BoltContext

from bot.services import Services
from handlers import payloads
from handlers.actions.feedback import publish_home


def app_home_opened(event: dict[str, Any], context: BoltContext) -> None:
    if event.get("tab", "home") != "home":
        return
    services: Services = context["services"]
    # A user Slack no longer knows makes views.publish fail; the error handler logs that as a warning.
    publish_home(services, payloads.event_user(event))
