"""Reacting to a message with the ticket emoji opens a ticket from it, once per message; in a private conversation
the reactor is asked first, so private text never reaches the queue channel by itself."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import BoltContext

from bot.gateway import SlackError
from bot.messages.tickets import private_message_prompt
from bot.services import Services
from bot.tickets.intake import NeedsConfirmation

log = logging.getLogger(__name__)


def reaction_added(event: dict[str, Any], context: BoltContext) -> None:
    services: Services = context["services"]
    item = event.get("item") if isinstance(event.get("item"), dict) else {}
    user, channel, ts = event.get("user"), item.get("channel"), item.get("ts")
    if event.get("reaction") != services.config.ticket_emoji or item.get("type") != "message":
        return
    if not all(isinstance(v, str) and v for v in (user, channel, ts)):
        log.info("reaction_added without user, channel or ts: ignored")
        return
    outcome = services.reactions.ticket_from_reaction(services.actor(user), channel, ts)
    if isinstance(outcome, NeedsConfirmation):
        text, blocks = private_message_prompt(outcome.channel, outcome.ts)
        try:
            services.gateway.post_ephemeral(outcome.channel, user, text, blocks=blocks)
        except SlackError as error:  # the reactor left, or the bot cannot post there: nothing was copied either way
            log.info("could not ask %s about %s/%s: %s", user, outcome.channel, outcome.ts, error)
