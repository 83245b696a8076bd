"""Verifying and reading PagerDuty V3 webhooks (`POST /webhooks/pagerduty`): pure functions, no HTTP, no database.

The HTTP route reads the raw body and the `X-PagerDuty-Signature` header, calls `verify`, then `parse`, then `wants`
to learn what Liaison should do. Rules, from PagerDuty's "Verifying Signatures", "Overview" and "Behavior" pages:

- The header holds one or more comma-separated signatures. A `v1=` signature is the lowercase hex HMAC-SHA256 of the
  exact request body, keyed with the subscription's secret; during a secret rotation there is one per secret.
  Versions other than `v1` are skipped. A request is authentic when any `v1` signature matches any configured
  secret. The body is hashed as received: re-encoding or re-formatting the JSON breaks the signature.
- Each body holds one event, `{"event": {"id", "event_type", "resource_type", "occurred_at", "agent", "client",
  "data"}}`. For incident events whose `data.type` is `incident`, `data` is the incident; `incident.annotated` and
  the responder and status-update events carry a note, responder or status update there instead, whose `id` is not
  the incident's, so they yield no `PagerDutyIncident`.
- PagerDuty adds fields and event types over time: unknown fields are ignored, unknown event types parse and are
  left for the caller to acknowledge and ignore. A missing optional incident field reads as "" or None.
- Delivery is at least once and ordered per incident; PagerDuty retries on 5xx, 429 and timeouts (it expects a 2xx
  within 5 seconds) and drops the webhook without retry on any other 4xx. Bodies over 256 KB are never sent.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

SIGNATURE_HEADER = "X-PagerDuty-Signature"
# The same header as WSGI puts it in `environ`.
SIGNATURE_ENVIRON_KEY = "HTTP_X_PAGERDUTY_SIGNATURE"
# PagerDuty drops any webhook larger than 256 KB, so a bigger body is not from PagerDuty and need not be read whole.
MAX_BODY_BYTES = 256 * 1024
SIGNATURE_VERSION = "v1="

# Every V3 event type PagerDuty documents, plus the test event the web app's "Send test event" button sends.
KNOWN = frozenset(
    {
        "incident.acknowledged",
        "incident.annotated",
        "incident.delegated",
        "incident.escalated",
        "incident.priority_updated",
        "incident.reassigned",
        "incident.reopened",
        "incident.resolved",
        "incident.responder.added",
        "incident.responder.replied",
        "incident.status_update_published",
        "incident.triggered",
        "incident.unacknowledged",
        "service.created",
        "service.deleted",
        "service.updated",
        "pagey.ping",
    }
)

Action = Literal["open", "acknowledged", "resolved"]


class WebhookError(ValueError):
    """A body that is not a PagerDuty V3 webhook; the message says what is wrong with it."""


@dataclass(frozen=True)
class PagerDutyIncident:
    """The incident a V3 event carries, as PagerDuty saw it when the event was sent."""

    id: str
    number: int | None
    title: str
    status: str
    urgency: str
    html_url: str
    service: str
    incident_key: str
    conference_url: str | None
    conference_number: str | None
    created_at: datetime | None
    priority: str | None


@dataclass(frozen=True)
class WebhookEvent:
    """One V3 webhook event; `incident` is set only for events whose data is an incident."""

    id: str
    event_type: str
    occurred_at: datetime
    incident: PagerDutyIncident | None


def verify(body: bytes, header: str | None, secrets: Sequence[str]) -> bool:
    """Whether any `v1=` signature in `header` is the HMAC-SHA256 of `body` under any of `secrets`; never raises on a
    junk header. Empty secrets are skipped, so an unconfigured secret never accepts a request."""
    if isinstance(secrets, str):
        # A lone string is a Sequence[str] of one-character secrets: refuse it rather than accept forgeries.
        raise TypeError("verify() takes a sequence of secrets, not one string")
    if not header or not isinstance(header, str) or not isinstance(body, bytes | bytearray):
        return False
    candidates = _signatures(header)
    if not candidates:
        return False
    matched = False
    for secret in secrets:
        if not secret:
            continue
        expected = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()
        for candidate in candidates:
            # No early exit: the time taken does not tell which secret or signature matched.
            matched |= hmac.compare_digest(expected, candidate)
    return matched


def _signatures(header: str) -> list[bytes]:
    """The decoded `v1` signatures in a header; parts of another version or not hex are skipped."""
    found = []
    for part in header.split(","):
        part = part.strip()
        if not part.startswith(SIGNATURE_VERSION):
            continue
        digits = part[len(SIGNATURE_VERSION) :]
        if len(digits) != 2 * hashlib.sha256().digest_size or not digits.isascii():
            continue
        try:
            found.append(bytes.fromhex(digits))
        except ValueError:
            continue
    return found


def parse(body: bytes) -> WebhookEvent:
    """Read a V3 webhook body; raises `WebhookError` when it is not JSON or lacks the event's id, type or time."""
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError) as error:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise WebhookError(f"The PagerDuty webhook body is not JSON: {error}.") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("event"), dict):
        raise WebhookError('The PagerDuty webhook body has no "event" object.')
    event = payload["event"]
    event_type = event.get("event_type")
    if not isinstance(event_type, str) or not event_type:
        raise WebhookError('The PagerDuty webhook event has no "event_type".')
    event_id = event.get("id")
    if not isinstance(event_id, str) or not event_id:
        raise WebhookError(f'The PagerDuty {event_type} event has no "id".')
    occurred_at = _timestamp(event.get("occurred_at"))
    if occurred_at is None:
        raise WebhookError(
            f'The PagerDuty {event_type} event {event_id} has no ISO 8601 "occurred_at" '
            f"(got {event.get('occurred_at')!r})."
        )
    incident = None
    data = event.get("data")
    if event.get("resource_type") == "incident" and isinstance(data, dict) and data.get("type") == "incident":
        incident = _incident(data, event_type, event_id)
    return WebhookEvent(id=event_id, event_type=event_type, occurred_at=occurred_at, incident=incident)


def _incident(data: Mapping[str, Any], event_type: str, event_id: str) -> PagerDutyIncident:
    incident_id = data.get("id")
    if not isinstance(incident_id, str) or not incident_id:
        raise WebhookError(f'The PagerDuty {event_type} event {event_id} carries an incident with no "id".')
    number = data.get("number")
    bridge = _mapping(data.get("conference_bridge"))
    return PagerDutyIncident(
        id=incident_id,
        number=number if isinstance(number, int) and not isinstance(number, bool) else None,
        title=_text(data.get("title")),
        status=_text(data.get("status")),
        urgency=_text(data.get("urgency")),
        html_url=_text(data.get("html_url")),
        service=_text(_mapping(data.get("service")).get("summary")),
        incident_key=_text(data.get("incident_key")),
        conference_url=_text(bridge.get("conference_url")) or None,
        conference_number=_text(bridge.get("conference_number")) or None,
        created_at=_timestamp(data.get("created_at")),
        priority=_text(_mapping(data.get("priority")).get("summary")) or None,
    )


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _timestamp(value: object) -> datetime | None:
    """An ISO 8601 string as an aware UTC datetime; PagerDuty's times are UTC, so one without an offset is UTC."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def wants(event: WebhookEvent) -> Action | None:
    """What Liaison does with an event: "open" a Liaison incident (or link an existing one) and start the
    automatic-liaison flow, mark it "acknowledged" or "resolved", or None to acknowledge the webhook and ignore it.

    - `incident.triggered` opens only at urgency "high": a low-urgency incident pages nobody at once in PagerDuty
      either, and customers should not hear about it from Liaison. A missing urgency does not open.
    - `incident.acknowledged` and `incident.resolved` update whatever Liaison incident is linked, whatever the
      urgency; the caller does nothing when none is linked (a low-urgency incident, or one opened before this).
    - The event type decides, not `incident.status`: the incident is a snapshot and may already be further along.
    - Everything else is None: other incident events (reopened, unacknowledged, escalated, priority changes, ...),
      notes and responder events, service events, `pagey.ping`, and event types PagerDuty adds later.
    """
    incident = event.incident
    if incident is None:
        return None
    if event.event_type == "incident.triggered":
        return "open" if incident.urgency == "high" else None
    if event.event_type == "incident.acknowledged":
        return "acknowledged"
    if event.event_type == "incident.resolved":
        return "resolved"
    return None
