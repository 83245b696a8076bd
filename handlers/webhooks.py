"""`POST /webhooks/pagerduty`: PagerDuty V3 webhooks, signature checked before anything is read.

Answers as PagerDuty expects: 401 for a missing or bad signature (logged; PagerDuty does not retry a 4xx), 400 for a
body that is not a webhook, 202 for an event taken or deliberately ignored, and a 500 only when Liaison itself
failed, so PagerDuty delivers it again (acting on an event twice changes nothing: see bot/incidents/from_pagerduty.py).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from bot import pagerduty_webhooks as webhooks
from bot.incidents import from_pagerduty
from bot.incidents.service import IncidentService

log = logging.getLogger("liaison.webhooks")

PATH = "/webhooks/pagerduty"


def pagerduty_receiver(incidents: IncidentService, secrets: Sequence[str]) -> Callable[..., Iterable[bytes]]:
    def receive(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        try:
            length = min(int(environ.get("CONTENT_LENGTH") or 0), webhooks.MAX_BODY_BYTES)
        except ValueError:
            length = 0
        body = environ["wsgi.input"].read(length) if length else b""
        if not webhooks.verify(body, environ.get(webhooks.SIGNATURE_ENVIRON_KEY), secrets):
            log.warning("refused a PagerDuty webhook: missing or bad signature (%s bytes)", len(body))
            return _answer(start_response, "401 Unauthorized", {"ok": False, "error": "bad signature"})
        try:
            event = webhooks.parse(body)
        except webhooks.WebhookError as error:
            log.warning("refused a PagerDuty webhook: %s", error)
            return _answer(start_response, "400 Bad Request", {"ok": False, "error": str(error)})
        action = webhooks.wants(event)
        if action is None or event.incident is None:
            return _answer(start_response, "202 Accepted", {"ok": True, "ignored": event.event_type})
        outcome = from_pagerduty.handle(incidents, event.incident, action, event.event_type)
        return _answer(start_response, "202 Accepted", {"ok": True, "outcome": outcome})

    return receive


def _answer(start_response: Callable[..., Any], status: str, answer: dict[str, Any]) -> list[bytes]:
    body = json.dumps(answer).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
