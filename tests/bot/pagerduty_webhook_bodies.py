"""PagerDuty V3 webhook bodies as PagerDuty sends them, and `variant` to change one, for the webhook tests."""

from __future__ import annotations

import json

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
