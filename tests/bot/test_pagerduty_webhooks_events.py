"""PagerDuty V3 webhooks: reading events from their bodies, refusing what is not one, and what Liaison wants."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from bot.pagerduty_webhooks import (
    KNOWN,
    PagerDutyIncident,
    WebhookError,
    WebhookEvent,
    parse,
    wants,
)
from tests.bot.pagerduty_webhook_bodies import ANNOTATED, LOW_URGENCY, PING, SERVICE_UPDATED, TRIGGERED, variant

# --- parse ----------------------------------------------------------------------------------------------------


def test_a_triggered_event_reads_every_incident_field() -> None:
    event = parse(TRIGGERED)

    assert event == WebhookEvent(
        id="01DEN4HPBQAAAG05V5QQQNBW9E",
        event_type="incident.triggered",
        occurred_at=datetime(2026, 11, 23, 14, 2, 31, 437_000, tzinfo=UTC),
        incident=PagerDutyIncident(
            id="Q2W0ALTZV2XOQC",
            number=4211,
            title="Checkout API error rate above 5% \u2014 customers cannot pay",
            status="triggered",
            urgency="high",
            html_url="https://acme.pagerduty.com/incidents/Q2W0ALTZV2XOQC",
            service="Checkout API",
            incident_key="d3640fbd41094207a1c11e58e46b1662",
            conference_url="https://meet.example.com/checkout-war-room",
            conference_number="+1 415-555-0100,,987654321#",
            created_at=datetime(2026, 11, 23, 14, 2, 30, tzinfo=UTC),
            priority="P1",
        ),
    )
    assert event.occurred_at.utcoffset() is not None


def test_nulls_for_priority_and_conference_bridge_read_as_none_and_times_become_utc() -> None:
    event = parse(LOW_URGENCY)

    assert event.incident is not None
    assert event.incident.priority is None
    assert event.incident.conference_url is None
    assert event.incident.conference_number is None
    assert event.incident.urgency == "low"
    assert event.occurred_at == datetime(2026, 11, 23, 14, 10, tzinfo=UTC)
    assert event.occurred_at.tzinfo is UTC


def test_missing_optional_incident_fields_read_as_empty_or_none() -> None:
    body = b"""{"event": {"id": "E1", "event_type": "incident.resolved", "resource_type": "incident",
        "occurred_at": "2026-11-23T16:00:00Z", "data": {"id": "Q2W0ALTZV2XOQC", "type": "incident"}}}"""

    assert parse(body).incident == PagerDutyIncident(
        id="Q2W0ALTZV2XOQC",
        number=None,
        title="",
        status="",
        urgency="",
        html_url="",
        service="",
        incident_key="",
        conference_url=None,
        conference_number=None,
        created_at=None,
        priority=None,
    )


def test_fields_of_an_unexpected_shape_read_as_empty_instead_of_failing() -> None:
    body = variant(
        number="4211",
        title=["not", "a", "string"],
        service="Checkout API",
        conference_bridge={"conference_url": "", "conference_number": 12345},
        created_at="yesterday",
        priority={"id": "PSO75BM"},
    )
    incident = parse(body).incident

    assert incident is not None
    assert (incident.number, incident.title, incident.service) == (None, "", "")
    assert (incident.conference_url, incident.conference_number) == (None, None)
    assert (incident.created_at, incident.priority) == (None, None)


def test_fields_and_event_types_pagerduty_adds_later_are_ignored() -> None:
    payload = json.loads(TRIGGERED)
    payload["webhook_version"] = 4
    payload["event"]["event_type"] = "incident.custom_field_values.updated"
    payload["event"]["correlation_id"] = "c0ffee"
    payload["event"]["data"]["incident_type"] = {"name": "major"}
    payload["event"]["data"]["custom_fields"] = [{"name": "region", "value": "eu"}]

    event = parse(json.dumps(payload).encode())

    assert event.event_type == "incident.custom_field_values.updated"
    assert event.event_type not in KNOWN
    assert event.incident is not None and event.incident.id == "Q2W0ALTZV2XOQC"


@pytest.mark.parametrize(
    ("body", "event_type"),
    [(ANNOTATED, "incident.annotated"), (SERVICE_UPDATED, "service.updated"), (PING, "pagey.ping")],
    ids=["note", "service", "ping"],
)
def test_events_whose_data_is_not_an_incident_carry_no_incident(body: bytes, event_type: str) -> None:
    event = parse(body)

    assert event.event_type == event_type
    assert event.incident is None


def test_a_note_is_not_mistaken_for_its_incident() -> None:
    # The note's own id (P2LA89X) sits where an incident's id would; reading it as the incident would link wrongly.
    assert parse(ANNOTATED).incident is None


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "not JSON"),
        (b"not json", "not JSON"),
        (b'{"event": ', "not JSON"),
        (b"\xff\xfe{}", "not JSON"),
        (b"[" * 100_000 + b"]" * 100_000, 'not JSON|no "event"'),
        (b"[]", 'no "event" object'),
        (b'"event"', 'no "event" object'),
        (b"{}", 'no "event" object'),
        (b'{"messages": [{"event": "incident.trigger"}]}', 'no "event" object'),
        (b'{"event": "incident.triggered"}', 'no "event" object'),
        (b'{"event": {"id": "E1", "occurred_at": "2026-11-23T16:00:00Z"}}', 'no "event_type"'),
        (b'{"event": {"id": "E1", "event_type": "", "occurred_at": "2026-11-23T16:00:00Z"}}', 'no "event_type"'),
        (b'{"event": {"id": "E1", "event_type": 7, "occurred_at": "2026-11-23T16:00:00Z"}}', 'no "event_type"'),
        (b'{"event": {"event_type": "incident.triggered", "occurred_at": "2026-11-23T16:00:00Z"}}', 'no "id"'),
        (b'{"event": {"id": "E1", "event_type": "incident.triggered"}}', 'no ISO 8601 "occurred_at"'),
        (
            b'{"event": {"id": "E1", "event_type": "incident.triggered", "occurred_at": "last Tuesday"}}',
            "got 'last Tuesday'",
        ),
        (
            b'{"event": {"id": "E1", "event_type": "incident.triggered", "resource_type": "incident",'
            b' "occurred_at": "2026-11-23T16:00:00Z", "data": {"type": "incident", "title": "No id"}}}',
            'carries an incident with no "id"',
        ),
    ],
    ids=[
        "empty",
        "text",
        "truncated",
        "not-utf8",
        "deeply-nested",
        "array",
        "string",
        "empty-object",
        "v2-shape",
        "event-not-object",
        "no-event-type",
        "empty-event-type",
        "event-type-not-string",
        "no-id",
        "no-occurred-at",
        "bad-occurred-at",
        "incident-without-id",
    ],
)
def test_a_body_that_is_not_a_v3_webhook_is_refused_with_a_sentence(body: bytes, message: str) -> None:
    with pytest.raises(WebhookError, match=message) as raised:
        parse(body)
    assert str(raised.value).startswith("The PagerDuty ")
    assert str(raised.value).endswith(".")


def test_a_webhook_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        parse(b"nope")


# --- wants ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "action"),
    [
        (TRIGGERED, "open"),
        (LOW_URGENCY, None),
        (variant(urgency=None), None),
        (variant(urgency="HIGH-ish"), None),
        (variant(event_type="incident.acknowledged", status="acknowledged"), "acknowledged"),
        (variant(LOW_URGENCY, event_type="incident.acknowledged", status="acknowledged"), "acknowledged"),
        (variant(event_type="incident.resolved", status="resolved"), "resolved"),
        (variant(LOW_URGENCY, event_type="incident.resolved", status="resolved"), "resolved"),
        # A late triggered event whose snapshot is already acknowledged still opens: the event type decides.
        (variant(status="acknowledged"), "open"),
        (variant(event_type="incident.reopened"), None),
        (variant(event_type="incident.unacknowledged"), None),
        (variant(event_type="incident.escalated"), None),
        (variant(event_type="incident.priority_updated"), None),
        (variant(event_type="incident.future_thing"), None),
        (ANNOTATED, None),
        (SERVICE_UPDATED, None),
        (PING, None),
    ],
    ids=[
        "triggered-high",
        "triggered-low",
        "triggered-no-urgency",
        "triggered-odd-urgency",
        "acknowledged",
        "acknowledged-low",
        "resolved",
        "resolved-low",
        "triggered-snapshot-ahead",
        "reopened",
        "unacknowledged",
        "escalated",
        "priority-updated",
        "unknown-type",
        "note",
        "service",
        "ping",
    ],
)
def test_what_liaison_wants_from_each_event(body: bytes, action: str | None) -> None:
    assert wants(parse(body)) == action


def test_an_acting_event_type_on_a_non_incident_resource_is_ignored() -> None:
    payload = json.loads(SERVICE_UPDATED)
    payload["event"]["event_type"] = "incident.triggered"
    assert wants(parse(json.dumps(payload).encode())) is None


def test_known_lists_the_documented_event_types_and_every_acted_on_type_is_known() -> None:
    assert {"incident.triggered", "incident.acknowledged", "incident.resolved", "pagey.ping"} <= KNOWN
    assert "incident.future_thing" not in KNOWN
    assert all(isinstance(name, str) for name in KNOWN)
