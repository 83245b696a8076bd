"""End-to-end fixtures: the real Bolt app on a loopback HTTP port, the Slack stand-in, and a driver that signs
requests exactly as Slack does. Time is one movable clock shared by Liaison and the stand-in."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app import Liaison, create_app
from bot.clock import MovableClock
from bot.config import LiaisonConfig
from bot.db import Database
from bot.local.driver import SlackDriver
from bot.local.serve import BackgroundServer
from bot.local.standin import SlackStandIn
from bot.settings import Settings

SIGNING_SECRET = "e2e-signing-secret"
QUEUE = "C0QUEUE01"
GENERAL = "C0GENERAL1"
ALICE, BOB, CAROL = "U0ALICE01", "U0BOB0001", "U0CAROL01"  # two agents and a colleague outside support
AGENTS = "S0AGENTS1"


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
def slack(clock: MovableClock) -> Iterator[SlackStandIn]:
    standin = SlackStandIn(clock=lambda: clock.now().timestamp())
    standin.add_user(ALICE, "alice", real_name="Alice Agent")
    standin.add_user(BOB, "bob", real_name="Bob Agent", tz="Europe/Berlin")
    standin.add_user(CAROL, "carol", real_name="Carol Sales")
    standin.add_usergroup(AGENTS, "support", [ALICE, BOB])
    standin.add_channel(QUEUE, "support-queue", members=[ALICE, BOB, standin.bot_user_id])
    standin.add_channel(GENERAL, "general", members=[ALICE, BOB, CAROL, standin.bot_user_id])
    standin.start()
    yield standin
    standin.stop()


@pytest.fixture
def config() -> LiaisonConfig:
    """The policy file the app runs with; SLA tests override this fixture with their policies."""
    return LiaisonConfig(queue_channel=QUEUE, ticket_emoji="ticket", agent_usergroup=AGENTS)


@pytest.fixture
def liaison(database: Database, slack: SlackStandIn, clock: MovableClock, config: LiaisonConfig) -> Iterator[Liaison]:
    settings = Settings(
        bot_token=slack.bot_token,
        signing_secret=SIGNING_SECRET,
        app_token=None,
        api_url=slack.api_url,
        database_url=database.url,
        port=0,
        config_path=Path("unused.toml"),
    )
    liaison = create_app(settings, config=config, clock=clock)
    # The clock here stands still unless a test moves it, so Slack's pace (a message a second per channel) would
    # hold deliveries forever; pacing has its own tests (tests/bot/test_slack_pace.py), and the shipped process
    # (tests/shipped) runs with it on.
    liaison.services.dispatcher.gates.pace = False
    yield liaison
    liaison.services.database.dispose()


@pytest.fixture
def server(liaison: Liaison) -> Iterator[BackgroundServer]:
    server = BackgroundServer(liaison.wsgi).start()
    yield server
    server.stop()


@pytest.fixture
def driver(server: BackgroundServer, slack: SlackStandIn, clock: MovableClock) -> SlackDriver:
    return SlackDriver(events_url=f"{server.url}slack/events", signing_secret=SIGNING_SECRET, standin=slack)


@pytest.fixture
def deliver(liaison: Liaison):  # noqa: ANN201 - a small callable
    """Run the outbox drain now, as the scheduler would."""
    return liaison.services.dispatcher.drain


@pytest.fixture
def tick(liaison: Liaison, clock: MovableClock):  # noqa: ANN201 - a small callable
    """Move time on, then do what the scheduler would: fire due timers (again while firing made more due at once,
    like a breach ladder's first step) and drain the outbox."""

    def tick(**delta: float) -> None:
        clock.advance(timedelta(**delta))
        while liaison.services.sweep.run():
            pass
        liaison.services.channels.run()
        liaison.services.dispatcher.drain()

    return tick
