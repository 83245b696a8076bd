"""Acknowledge or Decline on a page's DM; a stale button answers with the page's state instead of acting."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext, Respond

from bot.errors import BadPayload
from bot.messages.paging import ACKNOWLEDGE
from bot.services import Services
from handlers import payloads


def page_answered(ack: Ack, body: dict[str, Any], context: BoltContext, respond: Respond) -> None:
    ack()
    services: Services = context["services"]
    click = payloads.click(body)
    if not (click.value or "").isdigit():
        raise BadPayload("the page button carries no page id")
    answer = services.paging.acknowledge if click.action_id == ACKNOWLEDGE else services.paging.decline
    result = answer(click.user, int(click.value or 0))
    respond(text=result.text, response_type="ephemeral", replace_original=False)
