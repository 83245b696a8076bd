"""The declare-incident form was submitted: inline errors for bad fields, otherwise declare and close the form."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext

from bot.errors import UserFacingError
from bot.incidents.patterns import DECLARED
from bot.messages import incident_forms as form
from bot.services import Services
from handlers import payloads


def declare_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
    services: Services = context["services"]
    values = payloads.values(view)
    title, bridge = (values.get(form.TITLE) or "").strip(), (values.get(form.BRIDGE) or "").strip() or None
    if not title:
        ack(response_action="errors", errors={form.TITLE: "Say what is broken."})
        return
    if bridge is not None and not bridge.startswith(("https://", "http://")):
        ack(response_action="errors", errors={form.BRIDGE: "A link starting with https://"})
        return
    user = payloads.submitter(body)
    meta = payloads.metadata(view)
    tickets = [meta["ticket"]] if meta.get("ticket") else (meta.get("tickets") or "").split()
    try:
        declared = services.incidents.declare(
            services.actor(user),
            title,
            values.get(form.SEVERITY) or "SEV3",
            values.get(form.DESCRIPTION) or "",
            bridge=bridge,
            ticket_keys=tickets,
            request=payloads.view_key(view),
        )
    except UserFacingError as error:
        ack(response_action="errors", errors={form.TITLE: str(error)})
        return
    if meta.get("suggestion"):
        line = f":rotating_light: <@{user}> declared {declared.key} for these tickets."
        services.patterns.decide(meta["suggestion"] or "", DECLARED, user, line)
    ack()
