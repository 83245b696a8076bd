"""Assign a role on the incident's pinned summary: the form to hand a role over."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext

from bot.messages.incident_forms import role_modal
from bot.services import Services
from handlers import payloads


def assign_role_clicked(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    ack()
    services: Services = context["services"]
    click = payloads.click(body)
    roles = list(services.config.incidents.roles)
    services.gateway.open_view(click.trigger_id or "", role_modal(click.value or "", roles))
