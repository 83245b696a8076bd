"""The SLA breach ladder with moved time: steps at the breach and after it, each once per deadline; a reply that
meets the target cancels the rest, and so does an acknowledged page."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime

import pytest

from bot.clock import MovableClock
from bot.config import LiaisonConfig
from bot.errors import ConfigError
from bot.local.driver import SlackDriver
from bot.local.standin import SlackStandIn
from bot.messages.paging import ACKNOWLEDGE
from tests.e2e.helpers import open_ticket, thread
from tests.slack_fixtures import AGENTS, ALICE, BOB, QUEUE

DAVE = "U0DAVE001"
POLICY_FILE = f"""
[tickets]
queue_channel = "{QUEUE}"
[agents]
usergroup = "{AGENTS}"
[[sla.policies]]
name = "standard"
[sla.policies.targets.P1]
first_response = {{ duration = "30m", warn_percent = [50], ladder = [
  {{ after = "0m", notify = ["assignee", "channel"] }},
  {{ after = "30m", page = "support" }},
  {{ after = "2h", notify = ["{DAVE}"] }},
] }}
[oncall.policies.support]
levels = [{{ targets = ["{BOB}"], timeout = "1h" }}]
"""


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(datetime(2026, 12, 1, 15, 0, tzinfo=UTC))


@pytest.fixture
def config() -> LiaisonConfig:
    return LiaisonConfig.from_dict(tomllib.loads(POLICY_FILE))


@pytest.fixture(autouse=True)
def manager(slack: SlackStandIn) -> None:
    slack.add_user(DAVE, "dave", real_name="Dave Manager")


def ladder_lines(slack: SlackStandIn, channel: str) -> list[str]:
    return [m["text"] for m in slack.messages(channel) if "breach ladder, step" in m.get("text", "")]


def breached(driver: SlackDriver, tick) -> None:  # noqa: ANN001
    open_ticket(driver, ALICE, "Checkout down", priority="P1")
    driver.command(ALICE, "assign T-1 <@U0ALICE01>")
    tick(seconds=0)
    tick(minutes=30)


def test_each_step_fires_once_and_the_page_starts_at_its_step(driver: SlackDriver, slack: SlackStandIn, tick) -> None:
    breached(driver, tick)
    (to_alice,) = ladder_lines(slack, slack.dm_channel(ALICE))
    assert "*First response* for *T-1* Checkout down has been breached for 0s" in to_alice and "step 1 of 3" in to_alice
    assert len(ladder_lines(slack, QUEUE)) == 1
    tick(minutes=29)
    assert slack.messages(slack.dm_channel(BOB)) == []
    tick(minutes=1)
    (page,) = [m for m in slack.messages(slack.dm_channel(BOB)) if m["text"].startswith("Page PG-1")]
    assert "from the SLA breach ladder" in str(page["blocks"]) and "First response breached" in str(page["blocks"])
    tick(minutes=90)
    (to_dave,) = ladder_lines(slack, slack.dm_channel(DAVE))
    assert "breached for 2h 00m" in to_dave and "step 3 of 3" in to_dave
    tick(hours=5)
    assert len([t for t in thread(slack) if "breach ladder, step" in t]) == 3


def test_a_reply_meets_the_target_and_cancels_the_rest_of_the_ladder(
    driver: SlackDriver, slack: SlackStandIn, tick
) -> None:
    breached(driver, tick)
    tick(minutes=10)
    driver.command(ALICE, "reply T-1 Looking into it now")
    tick(hours=3)
    assert slack.messages(slack.dm_channel(BOB)) == []
    assert ladder_lines(slack, slack.dm_channel(DAVE)) == []
    assert len([t for t in thread(slack) if "breach ladder, step" in t]) == 1


def test_an_acknowledged_page_stops_the_ladder(driver: SlackDriver, slack: SlackStandIn, tick) -> None:
    breached(driver, tick)
    tick(minutes=30)
    driver.click(BOB, ACKNOWLEDGE, channel=slack.dm_channel(BOB))
    tick(hours=3)
    assert ladder_lines(slack, slack.dm_channel(DAVE)) == []


def test_ladder_names_are_checked_at_start_up() -> None:
    with pytest.raises(ConfigError, match=r"ladder\[1\].page: no escalation policy 'nope'"):
        LiaisonConfig.from_dict(tomllib.loads(POLICY_FILE.replace('page = "support"', 'page = "nope"')))
    with pytest.raises(ConfigError, match=r"ladder\[2\].notify: 'dave' is not"):
        LiaisonConfig.from_dict(tomllib.loads(POLICY_FILE.replace(f'notify = ["{DAVE}"]', 'notify = ["dave"]')))
