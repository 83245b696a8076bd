"""The satisfaction comment form was submitted."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt import Ack, BoltContext

from bot.services import Services
from handlers import payloads


def comment_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
    services: Services = context["services"]
    values = (view.get("state") or {}).get("values") or {}
    text = str(((values.get("comment") or {}).get("value") or {}).get("value") or "").strip()
    if not text:
        ack(response_action="errors", errors={"comment": "Write a few words, or close the form."})
        return
    try:
        ticket_id = int(json.loads(view.get("private_metadata") or "{}")["ticket"])
    except (ValueError, KeyError, TypeError):
        ack(response_action="errors", errors={"comment": "This form is out of date; click Add a comment again."})
        return
    ack()
    services.satisfaction.comment(payloads.submitter(body), ticket_id, text)
