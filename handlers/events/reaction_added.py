"""Reacting to a message with the ticket emoji opens a ticket from it, once per message."""

from __future__ import annotations

from typing import Any

from slack_bolt import BoltContext

from bot.services import Services


def reaction_added(event: dict[str, Any], context: BoltContext) -> None:
    services: Services = context["services"]
    item = event.get("item", {})
    if event.get("reaction") != services.config.ticket_emoji or item.get("type") != "message":
        return
    services.reactions.ticket_from_reaction(services.actor(event["user"]), item["channel"], item["ts"])
