"""The card's status select."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext, Respond

from bot.errors import UserFacingError
from bot.messages.tickets import change_answer
from bot.services import Services
from bot.tickets import rules
from handlers import payloads
from handlers.actions.feedback import tell


def status_selected(ack: Ack, body: dict[str, Any], context: BoltContext, respond: Respond) -> None:
    ack()
    services: Services = context["services"]
    click = payloads.click(body)
    try:
        key = payloads.ticket_key(click.block_id.removeprefix("card:"))
        status = rules.parse_status(click.selected or "")
        change = services.tickets.set_status(services.actor(click.user), key, status, request=click.key)
    except UserFacingError as error:
        tell(services, click, respond, str(error))
        return
    label = rules.STATUS_LABELS[status]
    answer = change_answer(change, f"{key}: status is now {label}.", f"{key} is already {label}.")
    tell(services, click, respond, answer)
