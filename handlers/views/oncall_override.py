"""The on-call override form was submitted: inline errors for bad fields, otherwise record it and say so."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext

from bot.errors import UserFacingError
from bot.messages import oncall as views_of
from bot.oncall import commands
from bot.services import Services
from handlers import payloads


def override_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
    services: Services = context["services"]
    user = payloads.submitter(body)
    values = payloads.values(view)
    spec = services.oncall.spec(values.get(views_of.SCHEDULE_BLOCK) or "")
    person = values.get(views_of.PERSON_BLOCK)
    if spec is None or person is None:
        missing = views_of.SCHEDULE_BLOCK if spec is None else views_of.PERSON_BLOCK
        ack(response_action="errors", errors={missing: "Pick one."})
        return
    if not services.actor(user).is_agent:
        ack(
            response_action="errors", errors={views_of.SCHEDULE_BLOCK: "Only support agents can change who is on call."}
        )
        return
    try:
        length, until = commands.parse_length(values.get(views_of.LENGTH_BLOCK) or "", "for example `4h`")
        request = commands.OnCallRequest("override", spec.name, person, length=length, until=until)
        start, end = commands.override_span(request, services.clock.now(), spec.timezone)
    except UserFacingError as error:
        ack(response_action="errors", errors={views_of.LENGTH_BLOCK: str(error)})
        return
    services.oncall.add_override(spec.name, person, start, end, by=user, request=payloads.view_key(view))
    ack(
        response_action="update",
        view=views_of.override_done_modal(views_of.override_done(spec.name, person, start, end)),
    )
