"""`/page <who> <message>`: page a person, a user group, a schedule's on-call or an escalation policy."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext

from bot.errors import UserFacingError
from bot.messages.paging import started_answer
from bot.oncall.commands import parse_page
from bot.services import Services
from handlers import payloads


def page_command(ack: Ack, command: dict[str, Any], context: BoltContext) -> None:
    services: Services = context["services"]
    slash = payloads.slash_command(command)
    try:
        request = parse_page(slash.text)
        started = services.paging.page(
            services.actor(slash.user), request.target, request.message, channel=slash.channel, request=slash.key
        )
    except UserFacingError as error:
        ack(response_type="ephemeral", text=str(error))
        return
    ack(response_type="ephemeral", text=started_answer(started.page, started.people, started.repeated))
