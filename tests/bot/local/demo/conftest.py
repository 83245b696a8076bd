"""The demo workspace of local mode with the example policy file, and a console over it that settles after each line
as `make run` does: the README's walkthroughs run against exactly this."""

from __future__ import annotations

import functools
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app import Liaison
from bot.clock import MovableClock
from bot.config import LiaisonConfig
from bot.local.console import Console
from bot.local.driver import SlackDriver
from bot.local.run import fire_and_deliver
from bot.local.standin import SlackStandIn
from bot.local.workspace import QUEUE, seed
from tests.bot.local.test_console import Screen

ROOT = Path(__file__).resolve().parents[4]
ALICE = "U0ALICE01"


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(datetime(2026, 12, 2, 15, 0, tzinfo=UTC))  # Wednesday 10:00 in New York: alice's week


@pytest.fixture
def slack(clock: MovableClock) -> Iterator[SlackStandIn]:
    standin = SlackStandIn(clock=lambda: clock.now().timestamp())
    seed(standin)
    standin.start()
    yield standin
    standin.stop()


@pytest.fixture
def config() -> LiaisonConfig:
    return LiaisonConfig.load(ROOT / "config" / "liaison.toml")


@pytest.fixture
def screen(driver: SlackDriver, slack: SlackStandIn, liaison: Liaison, clock: MovableClock) -> Screen:
    out = io.StringIO()
    settle = functools.partial(fire_and_deliver, liaison)  # what `make run` does after each line
    console = Console(driver=driver, slack=slack, deliver=settle, clock=clock, user=ALICE, channel=QUEUE, out=out)
    return Screen(console, out)
