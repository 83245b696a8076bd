"""Escalate on the ticket card: page the default escalation policy for the ticket."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext, Respond

from bot.errors import UserFacingError
from bot.messages.paging import started_answer
from bot.services import Services
from handlers import payloads
from handlers.actions.feedback import tell


def escalate_clicked(ack: Ack, body: dict[str, Any], context: BoltContext, respond: Respond) -> None:
    ack()
    services: Services = context["services"]
    click = payloads.click(body)
    try:
        key = payloads.ticket_key(click.value)
        started = services.paging.escalate(services.actor(click.user), key, request=click.key)
    except UserFacingError as error:
        tell(services, click, respond, str(error))
        return
    tell(services, click, respond, started_answer(started.page, started.people, started.repeated))
