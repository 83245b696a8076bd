"""The PagerDuty Events API v2 adapter against a local HTTP endpoint that records events: trigger, acknowledge and
resolve in order, keyed by the ticket, retried through PagerDuty's 429s and 5xx without loss or reordering."""

from __future__ import annotations

import json
import threading
import tomllib
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from bot.clock import MovableClock
from bot.config import LiaisonConfig
from bot.errors import ConfigError
from bot.local.driver import SlackDriver
from bot.local.standin import SlackStandIn
from bot.messages.paging import ACKNOWLEDGE
from tests.e2e.helpers import open_ticket
from tests.slack_fixtures import AGENTS, ALICE, BOB, QUEUE

ROUTING_KEY = "R0UTINGKEY0123456789abcdefABCDEF"


class Recorder:
    """A stand-in for events.pagerduty.com: records each event; answers `failures` first (e.g. 503, 429)."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.failures: list[int] = []
        self.requests = 0
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                recorder.requests += 1
                status = recorder.failures.pop(0) if recorder.failures else 202
                if status == 202:
                    recorder.events.append(json.loads(body))
                    answer = {"status": "success", "message": "Event processed", "dedup_key": "x"}
                else:
                    answer = {"status": "throttle" if status == 429 else "error", "message": "try later"}
                payload = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v2/enqueue"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def actions(self) -> list[tuple[str, str]]:
        return [(e["event_action"], e["dedup_key"]) for e in self.events]


@pytest.fixture
def pagerduty() -> Iterator[Recorder]:
    recorder = Recorder()
    recorder.thread.start()
    yield recorder
    recorder.server.shutdown()
    recorder.server.server_close()


def policy_file(url: str) -> str:
    return f"""
[tickets]
queue_channel = "{QUEUE}"
[agents]
usergroup = "{AGENTS}"
[pagerduty]
routing_key = "{ROUTING_KEY}"
events_url = "{url}"
[oncall.policies.support]
pagerduty = true
levels = [{{ targets = ["{BOB}"], timeout = "10m" }}]
[oncall.policies.quiet]
levels = [{{ targets = ["{BOB}"], timeout = "10m" }}]
"""


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(datetime(2026, 12, 1, 15, 0, tzinfo=UTC))


@pytest.fixture
def config(pagerduty: Recorder) -> LiaisonConfig:
    return LiaisonConfig.from_dict(tomllib.loads(policy_file(pagerduty.url)))


def test_trigger_acknowledge_resolve_in_order_keyed_by_the_ticket(
    driver: SlackDriver, slack: SlackStandIn, tick, pagerduty: Recorder
) -> None:
    open_ticket(driver, ALICE, "Checkout down", priority="P1")
    driver.command(ALICE, "escalate T-1 support Card payments fail")
    tick(seconds=0)
    (trigger,) = pagerduty.events
    assert trigger["routing_key"] == ROUTING_KEY and trigger["dedup_key"] == "T-1"
    assert trigger["payload"]["summary"] == "T-1 Checkout down: Card payments fail"
    assert trigger["payload"]["severity"] == "critical" and trigger["payload"]["source"] == "liaison"
    driver.click(BOB, ACKNOWLEDGE, channel=slack.dm_channel(BOB))
    driver.command(ALICE, "status T-1 solved")
    tick(seconds=0)
    assert pagerduty.actions() == [("trigger", "T-1"), ("acknowledge", "T-1"), ("resolve", "T-1")]
    driver.command(ALICE, "status T-1 open")
    driver.command(ALICE, "status T-1 solved")
    tick(seconds=0)
    assert len(pagerduty.events) == 3, "one resolve per page, however often the ticket is solved"


def test_pagerduty_trouble_delays_events_and_keeps_their_order(
    driver: SlackDriver, slack: SlackStandIn, tick, pagerduty: Recorder
) -> None:
    pagerduty.failures = [503, 429, 503]
    open_ticket(driver, ALICE, "Checkout down", priority="P2")
    driver.command(ALICE, "escalate T-1 support")
    tick(seconds=0)
    driver.click(BOB, ACKNOWLEDGE, channel=slack.dm_channel(BOB))
    tick(seconds=0)
    assert pagerduty.events == [] and pagerduty.requests == 1, "the acknowledge waits behind its trigger"
    assert len([m for m in slack.messages(slack.dm_channel(BOB))]) == 1, "Slack delivery goes on meanwhile"
    for _ in range(6):
        tick(seconds=30)
    assert pagerduty.actions() == [("trigger", "T-1"), ("acknowledge", "T-1")]
    assert pagerduty.events[0]["payload"]["severity"] == "error"


def test_a_policy_without_pagerduty_sends_nothing_and_a_missing_key_stops_start_up(
    driver: SlackDriver, tick, pagerduty: Recorder
) -> None:
    open_ticket(driver, ALICE, "Checkout down")
    driver.command(ALICE, "escalate T-1 quiet")
    tick(seconds=0)
    assert pagerduty.requests == 0
    with pytest.raises(ConfigError, match="policy 'support' pages PagerDuty, but there is no \\[pagerduty\\]"):
        LiaisonConfig.from_dict(tomllib.loads(policy_file("x").replace("[pagerduty]", "[elsewhere]")))
    with pytest.raises(ConfigError, match="pagerduty.routing_key"):
        LiaisonConfig.from_dict(tomllib.loads(policy_file("x").replace(ROUTING_KEY, "short")))


def test_an_event_pagerduty_refuses_is_parked_with_its_reason(
    driver: SlackDriver, slack: SlackStandIn, tick, pagerduty: Recorder
) -> None:
    pagerduty.failures = [400]
    open_ticket(driver, ALICE, "Checkout down")
    driver.command(ALICE, "escalate T-1 support")
    tick(seconds=0)
    tick(minutes=5)
    assert pagerduty.requests == 1 and pagerduty.events == []
    parked = driver.command(ALICE, "outbox").json()["text"]
    assert "`pagerduty:PG-1:trigger` pagerduty.enqueue: *PagerDuty refused the event (400)" in parked
    assert len(slack.messages(slack.dm_channel(BOB))) == 1, "the Slack page went out regardless"
