"""Every message event the manifest subscribes to: a customer's shared channel turns into ticket conversations;
everything else (other channels, bots, edits, joins) is acknowledged and left alone, so Slack never sees a failure
and never turns the app's event subscriptions off."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import BoltContext

from bot.services import Services

log = logging.getLogger(__name__)


def message(event: dict[str, Any], body: dict[str, Any], context: BoltContext) -> None:
    services: Services = context["services"]
    heard = services.customers.heard(event, home_team=body.get("team_id"))
    if not heard.outcome.startswith("ignored"):
        log.info("shared channel %s: %s %s", event.get("channel"), heard.outcome, heard.key or "")
