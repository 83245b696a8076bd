"""Snooze buttons on a breach alert: hold the reminders for 30 minutes, 2 hours or until tomorrow's working hours."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext, Respond

from bot.errors import UserFacingError
from bot.messages.common import slack_date
from bot.services import Services
from handlers import payloads
from handlers.actions.feedback import tell


def snooze_clicked(ack: Ack, body: dict[str, Any], context: BoltContext, respond: Respond) -> None:
    ack()
    services: Services = context["services"]
    click = payloads.click(body)
    try:
        clock_id, choice = payloads.snooze_value(click.value)
        ticket, until = services.tickets.snooze(services.actor(click.user), clock_id, choice)
    except UserFacingError as error:
        tell(services, click, respond, str(error))
        return
    tell(services, click, respond, f"{ticket.key}: reminders snoozed until {slack_date(until)}.")
