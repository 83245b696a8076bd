"""The link-to-incident form was submitted: link the ticket, or say why not under the field."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext

from bot.errors import UserFacingError
from bot.incidents.patterns import LINKED
from bot.messages import incident_forms as form
from bot.services import Services
from handlers import payloads


def link_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
    services: Services = context["services"]
    incident = payloads.values(view).get(form.INCIDENT)
    meta = payloads.metadata(view)
    tickets = (meta.get("tickets") or "").split()
    if not incident or not tickets:
        ack(response_action="errors", errors={form.INCIDENT: "Pick an incident."})
        return
    user = payloads.submitter(body)
    try:
        answer = services.incidents.link(services.actor(user), incident, tickets)
    except UserFacingError as error:
        ack(response_action="errors", errors={form.INCIDENT: str(error)})
        return
    if meta.get("suggestion"):
        services.patterns.decide(meta["suggestion"] or "", LINKED, user, f":link: {answer} (<@{user}>)")
    ack()
