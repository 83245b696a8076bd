"""PagerDuty V3 webhooks over HTTP into the app as `create_app` wires it: a signed high-urgency trigger declares a
major incident (its liaison paged), acknowledged and resolved follow it, retries change nothing, and unsigned or
badly signed requests are refused."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from app import Liaison, create_app
from bot.clock import MovableClock
from bot.config import LiaisonConfig
from bot.local.serve import BackgroundServer
from bot.local.standin import SlackStandIn
from tests.e2e.test_incidents import INCIDENTS, POLICY_FILE, channel_of, clock, config, workspace  # noqa: F401

SECRET = "whsec-liaison-test"


@pytest.fixture
def hooked(liaison: Liaison, config: LiaisonConfig, clock: MovableClock) -> Iterator[str]:  # noqa: F811
    settings = dataclasses.replace(liaison.settings, pagerduty_webhook_secrets=("old-secret", SECRET))
    app = create_app(settings, config=config, clock=clock)
    server = BackgroundServer(app.wsgi).start()
    yield f"{server.url}webhooks/pagerduty"
    server.stop()
    app.services.database.dispose()


def event(event_type: str, urgency: str = "high", event_id: str = "01DEV") -> bytes:
    incident = {
        "id": "PGR0VU2",
        "type": "incident",
        "number": 2,
        "title": "Checkout API 5xx",
        "status": "triggered",
        "urgency": urgency,
        "html_url": "https://acme.pagerduty.com/incidents/PGR0VU2",
        "incident_key": "checkout-5xx",
        "service": {"id": "PF9KMXH", "type": "service_reference", "summary": "Checkout API"},
        "conference_bridge": {"conference_number": "+1 555 0100", "conference_url": "https://meet.example.com/pd-2"},
        "created_at": "2026-12-01T14:59:00Z",
    }
    body = {
        "event": {
            "id": event_id,
            "event_type": event_type,
            "resource_type": "incident",
            "occurred_at": "2026-12-01T15:00:00.000Z",
            "data": incident,
        }
    }
    return json.dumps(body).encode()


def post(url: str, body: bytes, signature: str | None = "good") -> tuple[int, dict]:
    headers = {"Content-Type": "application/json"}
    if signature == "good":
        signature = "v1=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    if signature is not None:
        headers["X-PagerDuty-Signature"] = signature
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_a_high_urgency_trigger_declares_once_and_the_rest_follows(
    hooked: str, slack: SlackStandIn, tick, liaison: Liaison
) -> None:
    assert post(hooked, event("incident.triggered")) == (202, {"ok": True, "outcome": "INC-1 declared"})
    assert post(hooked, event("incident.triggered"))[1]["outcome"] == "INC-1 declared", "a retry changes nothing"
    tick(seconds=0)
    channel = channel_of(slack, "inc-1-checkout-api-5xx")
    (announcement,) = [m for m in slack.messages(INCIDENTS) if "declared" in m["text"]]
    assert "*INC-1* declared (SEV2): Checkout API 5xx · commander _nobody_" in announcement["text"]
    summary = str(slack.pins(channel)[0]["blocks"])
    assert "Customer liaison <@U0BOB0001>" in summary and "https://meet.example.com/pd-2" in summary
    assert (
        post(hooked, event("incident.acknowledged", event_id="02"))[1]["outcome"]
        == "INC-1: incident.acknowledged noted"
    )
    assert post(hooked, event("incident.resolved", event_id="03"))[1]["outcome"].startswith("INC-1 is resolved")
    assert post(hooked, event("incident.resolved", event_id="03"))[1]["outcome"] == "INC-1 already resolved"
    tick(seconds=0)
    lines = [m["text"] for m in slack.messages(channel)]
    assert any("INC-1 acknowledged in PagerDuty" in t for t in lines)
    assert any("INC-1 resolved by PagerDuty" in t for t in lines)


def test_bad_signatures_are_refused_and_other_events_ignored(hooked: str, liaison: Liaison) -> None:
    assert post(hooked, event("incident.triggered"), signature=None)[0] == 401
    assert post(hooked, event("incident.triggered"), signature="v1=" + "0" * 64)[0] == 401
    tampered = event("incident.triggered").replace(b"Checkout", b"Checkouts")
    good_for_original = "v1=" + hmac.new(SECRET.encode(), event("incident.triggered"), hashlib.sha256).hexdigest()
    assert post(hooked, tampered, signature=good_for_original)[0] == 401
    assert post(hooked, event("incident.triggered", urgency="low")) == (
        202,
        {"ok": True, "ignored": "incident.triggered"},
    )
    assert post(hooked, event("incident.annotated"))[1] == {"ok": True, "ignored": "incident.annotated"}
    assert post(hooked, b"{not json")[0] == 400
    assert liaison.services.incidents.open_incidents() == []
