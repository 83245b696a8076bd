"""The role form was submitted: hand the role over, or say why not under the field."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext

from bot.errors import UserFacingError
from bot.messages import incident_forms as form
from bot.services import Services
from handlers import payloads


def role_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
    services: Services = context["services"]
    values = payloads.values(view)
    person = values.get(form.PERSON_BLOCK)
    if person is None:
        ack(response_action="errors", errors={form.PERSON_BLOCK: "Pick the person."})
        return
    try:
        services.incidents.assign_role(
            services.actor(payloads.submitter(body)),
            payloads.metadata(view).get("incident") or "",
            values.get(form.ROLE_BLOCK) or "",
            person,
        )
    except UserFacingError as error:
        ack(response_action="errors", errors={form.ROLE_BLOCK: str(error)})
        return
    ack()
