"""PagerDuty V3 webhooks: signatures over the raw body, secret rotation, reading events, what Liaison wants."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime

import pytest

from bot.pagerduty_webhooks import (
    KNOWN,
    PagerDutyIncident,
    WebhookError,
    WebhookEvent,
    parse,
    verify,
    wants,
)

SECRET = "ChzGWn3Gt4oBpqWeXcdN9zh5XlUYnEiAYBkbFAbRnsIa3AH9p61qWzJhWCJqr1HR"
OLD_SECRET = "oB5rHKeMw0LYf-sm6VgMqTFlMNEgkjZQ2pRDaPKm9ejGcS2C0Lj8nhnL0Wr1t6hE"

# As PagerDuty sends it (pretty-printed here; the bytes, not their layout, are what get signed).
TRIGGERED = b"""{
  "event": {
    "id": "01DEN4HPBQAAAG05V5QQQNBW9E",
    "event_type": "incident.triggered",
    "resource_type": "incident",
    "occurred_at": "2026-11-23T14:02:31.437Z",
    "agent": {
      "html_url": "https://acme.pagerduty.com/services/PF9KMXH",
      "id": "PF9KMXH",
      "self": "https://api.pagerduty.com/services/PF9KMXH",
      "summary": "Checkout API",
      "type": "service_reference"
    },
    "client": {
      "name": "Datadog",
      "url": "https://app.datadoghq.com/monitors/1234"
    },
    "data": {
      "id": "Q2W0ALTZV2XOQC",
      "type": "incident",
      "self": "https://api.pagerduty.com/incidents/Q2W0ALTZV2XOQC",
      "html_url": "https://acme.pagerduty.com/incidents/Q2W0ALTZV2XOQC",
      "number": 4211,
      "status": "triggered",
      "incident_key": "d3640fbd41094207a1c11e58e46b1662",
      "created_at": "2026-11-23T14:02:30Z",
      "title": "Checkout API error rate above 5% \\u2014 customers cannot pay",
      "service": {
        "html_url": "https://acme.pagerduty.com/services/PF9KMXH",
        "id": "PF9KMXH",
        "self": "https://api.pagerduty.com/services/PF9KMXH",
        "summary": "Checkout API",
        "type": "service_reference"
      },
      "assignees": [
        {
          "html_url": "https://acme.pagerduty.com/users/PTUXL6G",
          "id": "PTUXL6G",
          "self": "https://api.pagerduty.com/users/PTUXL6G",
          "summary": "Ada Lovelace",
          "type": "user_reference"
        }
      ],
      "escalation_policy": {
        "html_url": "https://acme.pagerduty.com/escalation_policies/PUS0KTE",
        "id": "PUS0KTE",
        "self": "https://api.pagerduty.com/escalation_policies/PUS0KTE",
        "summary": "Payments on-call",
        "type": "escalation_policy_reference"
      },
      "teams": [
        {
          "html_url": "https://acme.pagerduty.com/teams/PFCVPS0",
          "id": "PFCVPS0",
          "self": "https://api.pagerduty.com/teams/PFCVPS0",
          "summary": "Payments",
          "type": "team_reference"
        }
      ],
      "priority": {
        "html_url": "https://acme.pagerduty.com/account/incident_priorities",
        "id": "PSO75BM",
        "self": "https://api.pagerduty.com/priorities/PSO75BM",
        "summary": "P1",
        "type": "priority_reference"
      },
      "urgency": "high",
      "conference_bridge": {
        "conference_number": "+1 415-555-0100,,987654321#",
        "conference_url": "https://meet.example.com/checkout-war-room"
      },
      "resolve_reason": null
    }
  }
}"""

# A manually created low-urgency incident on an account without priorities or a conference bridge.
LOW_URGENCY = b"""{
  "event": {
    "id": "01DEN4J2M6AAAG05V5QQQNC3XZ",
    "event_type": "incident.triggered",
    "resource_type": "incident",
    "occurred_at": "2026-11-23T15:10:00.000+01:00",
    "agent": {"id": "PTUXL6G", "type": "user_reference", "summary": "Ada Lovelace"},
    "client": null,
    "data": {
      "id": "Q1LOWURG3NCY",
      "type": "incident",
      "self": "https://api.pagerduty.com/incidents/Q1LOWURG3NCY",
      "html_url": "https://acme.pagerduty.com/incidents/Q1LOWURG3NCY",
      "number": 4212,
      "status": "triggered",
      "incident_key": "1b7a0f5e9c2d4e6f8a0b1c2d3e4f5a6b",
      "created_at": "2026-11-23T14:09:59Z",
      "title": "Nightly export ran slow",
      "service": {"id": "PEXPORT", "type": "service_reference", "summary": "Exports"},
      "assignees": [],
      "escalation_policy": {"id": "PUS0KTE", "type": "escalation_policy_reference", "summary": "Default"},
      "teams": [],
      "priority": null,
      "urgency": "low",
      "conference_bridge": null,
      "resolve_reason": null
    }
  }
}"""

ANNOTATED = b"""{
  "event": {
    "id": "01DEN4K7AAAAG05V5QQQNDD111",
    "event_type": "incident.annotated",
    "resource_type": "incident",
    "occurred_at": "2026-11-23T14:20:00.000Z",
    "agent": {"id": "PTUXL6G", "type": "user_reference"},
    "client": null,
    "data": {
      "incident": {
        "html_url": "https://acme.pagerduty.com/incidents/Q2W0ALTZV2XOQC",
        "id": "Q2W0ALTZV2XOQC",
        "self": "https://api.pagerduty.com/incidents/Q2W0ALTZV2XOQC",
        "summary": "Checkout API error rate above 5%",
        "type": "incident_reference"
      },
      "id": "P2LA89X",
      "content": "Rolled back the 14:00 deploy.",
      "trimmed": false,
      "type": "incident_note"
    }
  }
}"""

SERVICE_UPDATED = b"""{
  "event": {
    "id": "01BRB6ZP4M6T8ZG4X6BP63ZB9O",
    "event_type": "service.updated",
    "resource_type": "service",
    "occurred_at": "2026-11-23T13:35:11.682Z",
    "agent": null,
    "client": null,
    "data": {
      "html_url": "https://acme.pagerduty.com/services/PF9KMXH",
      "id": "PF9KMXH",
      "self": "https://api.pagerduty.com/services/PF9KMXH",
      "summary": "Checkout API",
      "alert_creation": "create_alerts_and_incidents",
      "teams": [],
      "type": "service"
    }
  }
}"""

# The "Send test event" button on a webhook subscription.
PING = b"""{"event":{"id":"01FKZOXA868SHYEE4DVNWB5P9W","event_type":"pagey.ping","resource_type":"pagey","occurred_at":"2026-11-23T03:00:55.532Z","agent":{"id":"PVE0ZR9","type":"user_reference"},"client":null,"data":{"message":"Hello from your friend Pagey!","type":"ping"}}}"""  # noqa: E501


def sign(body: bytes, *secrets: str) -> str:
    """An `X-PagerDuty-Signature` value the way PagerDuty builds one: a `v1=` signature per secret, comma-joined."""
    return ",".join("v1=" + hmac.new(s.encode(), body, hashlib.sha256).hexdigest() for s in secrets)


def variant(body: bytes = TRIGGERED, *, event_type: str | None = None, **incident: object) -> bytes:
    """`body` re-serialised with another event type or changed incident fields (`None` removes a field)."""
    payload = json.loads(body)
    if event_type is not None:
        payload["event"]["event_type"] = event_type
    data = payload["event"]["data"]
    for key, value in incident.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return json.dumps(payload).encode()


# --- verify ---------------------------------------------------------------------------------------------------


def test_a_body_signed_with_the_secret_verifies() -> None:
    assert verify(TRIGGERED, sign(TRIGGERED, SECRET), [SECRET])


def test_the_signature_is_hmac_sha256_hex_as_in_rfc_4231() -> None:
    # RFC 4231 test case 2: an independent check that the header carries hex HMAC-SHA256 of the body.
    header = "v1=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    assert verify(b"what do ya want for nothing?", header, ["Jefe"])


def test_a_body_signed_with_another_secret_is_refused() -> None:
    assert not verify(TRIGGERED, sign(TRIGGERED, "not-the-secret"), [SECRET])


def test_during_rotation_a_header_with_two_signatures_verifies_against_either_secret() -> None:
    header = sign(TRIGGERED, OLD_SECRET, SECRET)
    assert header.count("v1=") == 2
    assert verify(TRIGGERED, header, [SECRET])
    assert verify(TRIGGERED, header, [OLD_SECRET])
    assert verify(TRIGGERED, header, [OLD_SECRET, SECRET])
    assert not verify(TRIGGERED, header, ["a-third-secret", "and-a-fourth"])


def test_two_configured_secrets_accept_a_body_signed_with_only_one_of_them() -> None:
    assert verify(TRIGGERED, sign(TRIGGERED, OLD_SECRET), [SECRET, OLD_SECRET])
    assert verify(TRIGGERED, sign(TRIGGERED, SECRET), [SECRET, OLD_SECRET])


def test_spaces_around_the_comma_between_signatures_are_tolerated() -> None:
    header = sign(TRIGGERED, OLD_SECRET) + " , " + sign(TRIGGERED, SECRET)
    assert verify(TRIGGERED, header, [SECRET])


@pytest.mark.parametrize("header", [None, "", "   "], ids=["missing", "empty", "blank"])
def test_an_unsigned_request_is_refused(header: str | None) -> None:
    assert not verify(TRIGGERED, header, [SECRET])


def _valid_hex() -> str:
    return sign(TRIGGERED, SECRET).removeprefix("v1=")


@pytest.mark.parametrize(
    "header",
    [
        "v1=",
        "v1",
        "=",
        ",,,,",
        "v1=not-hex-at-all",
        "v1=" + "zz" * 32,
        "v1=" + _valid_hex()[:-2],
        "v1=" + _valid_hex() + "00",
        "v1=" + "\u00e9" * 64,
        "v1=" + "\x00" * 64,
        _valid_hex(),
        "v0=" + _valid_hex(),
        "sha256=" + _valid_hex(),
        "V1 = " + _valid_hex(),
        "t=1700000000,v2=" + _valid_hex(),
        "v1=" + "ab" * 32 + ",garbage," * 500,
        "\ud800",
    ],
    ids=[
        "prefix-only",
        "no-equals",
        "equals-only",
        "only-commas",
        "not-hex",
        "hex-alphabet-wrong",
        "truncated",
        "too-long",
        "non-ascii",
        "nul-bytes",
        "no-version",
        "other-version",
        "other-scheme",
        "mangled-prefix",
        "stripe-style",
        "long-junk",
        "lone-surrogate",
    ],
)
def test_a_garbage_header_is_refused_without_raising(header: str) -> None:
    assert verify(TRIGGERED, header, [SECRET]) is False


def test_a_body_tampered_by_one_byte_is_refused() -> None:
    header = sign(TRIGGERED, SECRET)
    at = TRIGGERED.index(b'"urgency": "high"') + len(b'"urgency": "')
    tampered = TRIGGERED[:at] + b"l" + TRIGGERED[at + 1 :]
    assert len(tampered) == len(TRIGGERED) and tampered != TRIGGERED
    assert not verify(tampered, header, [SECRET])


def test_the_signature_covers_the_exact_bytes_so_reformatted_json_is_refused() -> None:
    header = sign(TRIGGERED, SECRET)
    compact = json.dumps(json.loads(TRIGGERED), separators=(",", ":")).encode()
    assert json.loads(compact) == json.loads(TRIGGERED)
    assert not verify(compact, header, [SECRET])
    assert not verify(TRIGGERED + b"\n", header, [SECRET])
    assert not verify(TRIGGERED.replace(b"\n", b"\r\n"), header, [SECRET])


def test_a_body_with_unicode_is_verified_on_its_utf8_bytes() -> None:
    body = '{"event":{"id":"1","event_type":"incident.triggered","data":{"title":"Caf\u00e9 \u2014 \u2615"}}}'.encode()
    assert verify(body, sign(body, SECRET), [SECRET])
    # The same text with the non-ASCII characters escaped is equal JSON but other bytes.
    escaped = json.dumps(json.loads(body), separators=(",", ":")).encode()
    assert not verify(escaped, sign(body, SECRET), [SECRET])


def test_no_configured_secret_refuses_everything() -> None:
    assert not verify(TRIGGERED, sign(TRIGGERED, SECRET), [])


def test_an_empty_secret_never_accepts_even_a_body_signed_with_the_empty_key() -> None:
    assert not verify(TRIGGERED, sign(TRIGGERED, ""), [""])
    assert verify(TRIGGERED, sign(TRIGGERED, SECRET), ["", SECRET])


def test_one_string_instead_of_a_list_of_secrets_is_a_programming_error() -> None:
    with pytest.raises(TypeError, match="sequence of secrets"):
        verify(TRIGGERED, sign(TRIGGERED, SECRET), SECRET)


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
