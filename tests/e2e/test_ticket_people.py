"""Responders and stakeholders end to end: asked by DM, answered once, kept informed of status changes and
breaches, listed by `/ticket show`."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime

import pytest

from bot.clock import MovableClock
from bot.config import LiaisonConfig
from bot.local.driver import SlackDriver
from bot.local.standin import SlackStandIn
from bot.messages.people import ACCEPT, DECLINE
from tests.e2e.helpers import block_texts, open_ticket, thread
from tests.slack_fixtures import AGENTS, ALICE, BOB, CAROL, QUEUE

POLICY_FILE = f"""
[tickets]
queue_channel = "{QUEUE}"
[agents]
usergroup = "{AGENTS}"
[[sla.policies]]
name = "standard"
[sla.policies.targets.P1]
first_response = {{ duration = "30m" }}
"""


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(datetime(2026, 12, 1, 15, 0, tzinfo=UTC))


@pytest.fixture
def config() -> LiaisonConfig:
    return LiaisonConfig.from_dict(tomllib.loads(POLICY_FILE))


def said(driver: SlackDriver, text: str, user: str = ALICE) -> str:
    return driver.command(user, text).json()["text"]


def pressed(driver: SlackDriver, slack: SlackStandIn, user: str, action: str) -> str:
    assert driver.click(user, action, channel=slack.dm_channel(user)).status == 200
    return slack.response_posts()[-1]["body"]["text"]


def test_a_responder_is_asked_and_answers_once(driver: SlackDriver, slack: SlackStandIn, tick) -> None:
    open_ticket(driver, ALICE, "Checkout down", priority="P1")
    assert "asked <@U0BOB0001> to help" in said(driver, "responder T-1 <@U0BOB0001>")
    assert "already asked to help with T-1 (asked); nothing changed" in said(driver, "responder T-1 <@U0BOB0001>")
    tick(seconds=0)
    (dm,) = slack.messages(slack.dm_channel(BOB))
    assert "<@U0ALICE01> asks for your help with *T-1* Checkout down" in block_texts(dm["blocks"])
    assert pressed(driver, slack, BOB, ACCEPT) == "You accepted helping with T-1. Thank you!"
    assert pressed(driver, slack, BOB, DECLINE) == "You already accepted helping with T-1."
    tick(seconds=0)
    (dm,) = slack.messages(slack.dm_channel(BOB))
    assert "You accepted." in block_texts(dm["blocks"]) and "Accept" not in str(dm["blocks"])
    assert any("<@U0BOB0001> accepted helping with T-1" in t for t in thread(slack))
    shown = block_texts(driver.command(ALICE, "show T-1").json()["blocks"])
    assert "*People*: <@U0BOB0001> (responder, accepted)" in shown


def test_a_stakeholder_hears_of_status_changes_and_breaches(driver: SlackDriver, slack: SlackStandIn, tick) -> None:
    open_ticket(driver, ALICE, "Checkout down", priority="P1")
    assert "<@U0CAROL01> is kept informed" in said(driver, "stakeholder T-1 <@U0CAROL01>")
    tick(minutes=30)  # first response breached
    driver.command(ALICE, "status T-1 pending")
    tick(seconds=0)
    texts = [m["text"] for m in slack.messages(slack.dm_channel(CAROL))]
    assert len(texts) == 3, texts
    assert "added you as a stakeholder" in texts[0]
    assert "breached" in texts[1]
    assert texts[2] == ":eyes: *T-1* Checkout down (Acme, P1) is now *Pending (waiting on customer)*."


def test_bad_people_requests(driver: SlackDriver, slack: SlackStandIn, tick) -> None:
    open_ticket(driver, ALICE, "Checkout down")
    assert "Name the person as a mention" in said(driver, "responder T-1 bob")
    assert "There is no ticket T-7" in said(driver, "stakeholder T-7 <@U0BOB0001>")
    assert "Only support agents can change T-1" in said(driver, "responder T-1 <@U0BOB0001>", user=CAROL)
