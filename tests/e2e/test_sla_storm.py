"""A storm of SLA breaches end to end: one summary in the channel, one line in each ticket's thread, Snooze usable."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime, timedelta

import pytest

from app import Liaison
from bot.clock import MovableClock
from bot.config import LiaisonConfig
from bot.local.driver import SlackDriver
from bot.local.standin import SlackStandIn
from tests.e2e.helpers import block_texts, card
from tests.slack_fixtures import AGENTS, BOB, CAROL, QUEUE

POLICIES = """
[tickets]
queue_channel = "C0QUEUE01"
[agents]
usergroup = "S0AGENTS1"
[[sla.policies]]
name = "premium"
match = { tiers = ["premium"] }
[sla.policies.targets.P1]
first_response = { duration = "30m", repeat_every = "15m" }
"""
START = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
TICKETS = 6


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(START)


@pytest.fixture
def config() -> LiaisonConfig:
    assert AGENTS and QUEUE
    return LiaisonConfig.from_dict(tomllib.loads(POLICIES))


def tick(liaison: Liaison, clock: MovableClock, **delta: float) -> None:
    clock.advance(timedelta(**delta))
    liaison.services.sweep.run()
    liaison.services.dispatcher.drain()


def open_premium(driver: SlackDriver, subject: str) -> None:
    assert driver.command(CAROL, f"new {subject}").status == 200
    fields = {"new_customer": {"value": "Acme"}, "tier": {"value": "premium"}, "priority": {"value": "P1"}}
    response = driver.submit_view(CAROL, fields)
    assert response.status == 200 and not response.body, response.text


def summaries(slack: SlackStandIn) -> list[dict]:
    return [m for m in slack.messages(QUEUE) if "SLA breaches*" in m.get("text", "")]


def breach_lines(slack: SlackStandIn, key: str) -> list[dict]:
    return [r for r in slack.replies(QUEUE, card(slack, key)["ts"]) if "* breached:" in r["text"]]


def test_many_breaches_in_one_channel_post_one_summary_and_one_thread_line_per_ticket(
    driver: SlackDriver, slack: SlackStandIn, liaison: Liaison, clock: MovableClock
) -> None:
    for n in range(TICKETS):
        open_premium(driver, f"Checkout <down> & out {n}")
    tick(liaison, clock, seconds=0)
    tick(liaison, clock, minutes=31)
    (summary,) = summaries(slack)
    assert f"*{TICKETS} SLA breaches*" in summary["text"]
    for n in range(1, TICKETS + 1):
        assert f"*T-{n}*" in summary["text"]
        (line,) = breach_lines(slack, f"T-{n}")
        assert "Snooze 30 min" in block_texts(line["blocks"])
    assert "Checkout &lt;down&gt; &amp; out" in summary["text"]  # shown as typed, pinging nobody
    alone = [m for m in slack.messages(QUEUE) if "* breached:" in m.get("text", "")]
    assert alone == []
    # The summary's per-ticket Snooze works like the single alert's.
    response = driver.click(BOB, "sla_snooze_2h", channel=QUEUE, message_ts=summary["ts"])
    assert response.status == 200 and "snoozed until" in slack.response_posts()[-1]["body"]["text"]
    tick(liaison, clock, minutes=16)
    reminded = [m for m in slack.messages(QUEUE) if "still in breach" in m.get("text", "")]
    assert len(reminded) == 1 and "*T-1*" not in reminded[0]["text"]
