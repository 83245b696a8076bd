"""Who is an agent: Slack is asked once, then only in the background, so no request waits on it after the first."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from slack_sdk import WebClient

from bot.clock import MovableClock
from bot.config import LiaisonConfig
from bot.gateway import SlackGateway
from bot.local.standin import SlackStandIn
from bot.permissions import CACHE_FOR, AgentDirectory

GROUP, ALICE, BOB = "S0AGENTS1", "U0ALICE01", "U0BOB0001"


@pytest.fixture
def standin() -> Iterator[SlackStandIn]:
    with SlackStandIn() as slack:
        for user, name in ((ALICE, "alice"), (BOB, "bob")):
            slack.add_user(user, name)
        slack.add_usergroup(GROUP, "support", [ALICE])
        yield slack


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def agents(standin: SlackStandIn, clock: MovableClock) -> AgentDirectory:
    gateway = SlackGateway(WebClient(token=standin.bot_token, base_url=standin.api_url))
    return AgentDirectory(gateway, LiaisonConfig(queue_channel="C0QUEUE01", agent_usergroup=GROUP), clock)


def lookups(standin: SlackStandIn) -> int:
    return len(standin.calls("usergroups.users.list"))


def test_the_first_lookup_asks_slack_and_later_ones_within_a_minute_do_not(
    agents: AgentDirectory, standin: SlackStandIn
) -> None:
    assert agents.is_agent(ALICE) and not agents.is_agent(BOB)
    assert lookups(standin) == 1


def test_a_stale_list_answers_at_once_and_is_refreshed_in_the_background(
    agents: AgentDirectory, standin: SlackStandIn, clock: MovableClock
) -> None:
    assert not agents.is_agent(BOB)
    standin.add_usergroup(GROUP, "support", [ALICE, BOB])
    clock.advance(CACHE_FOR + timedelta(seconds=1))
    assert not agents.is_agent(BOB)  # the old list, without waiting on Slack
    deadline = time.monotonic() + 5
    while not agents.is_agent(BOB):
        assert time.monotonic() < deadline, "the background refresh did not arrive"
        time.sleep(0.01)
    assert lookups(standin) == 2


def test_a_failed_refresh_keeps_the_known_agents(
    agents: AgentDirectory, standin: SlackStandIn, clock: MovableClock
) -> None:
    assert agents.is_agent(ALICE)
    standin.outage(3600)
    clock.advance(CACHE_FOR + timedelta(seconds=1))
    assert agents.is_agent(ALICE)
    deadline = time.monotonic() + 5
    while agents._refreshing:  # noqa: SLF001 - waiting for the background attempt to finish
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert agents.is_agent(ALICE)
