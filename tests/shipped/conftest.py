"""The shipped configuration under test: the Procfile's `web:` process (its default worker count) on the test
database, talking to the Slack stand-in over HTTP, driven by signed requests. One fresh process per test, so no
per-process cache or leftover delivery crosses from one test into the next."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.clock import SystemClock
from bot.db import Database
from bot.local.driver import SlackDriver
from bot.local.standin import SlackStandIn
from tests.shipped.web import WebProcess, policy_file, start_web
from tests.slack_fixtures import AGENTS, QUEUE, SIGNING_SECRET


@pytest.fixture
def clock() -> SystemClock:
    """The stand-in keeps real time (trigger ids expire after 3 s), as the process under test does."""
    return SystemClock()


@pytest.fixture
def web(database: Database, slack: SlackStandIn, tmp_path: Path) -> Iterator[WebProcess]:
    """The Procfile's web process on an emptied test database, ready when every worker has started."""
    config = policy_file(tmp_path, queue=QUEUE, usergroup=AGENTS)
    process = start_web("web", slack, tmp_path, database_url=database.url, signing_secret=SIGNING_SECRET, config=config)
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture
def driver(web: WebProcess, slack: SlackStandIn) -> SlackDriver:
    """Signs requests as Slack does and posts them to the process's /slack/events."""
    return SlackDriver(events_url=f"{web.url}slack/events", signing_secret=SIGNING_SECRET, standin=slack)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    """A failed test shows what the web process logged."""
    outcome = yield
    report = outcome.get_result()
    process = getattr(item, "funcargs", {}).get("web")
    if report.failed and isinstance(process, WebProcess):
        report.sections.append((f"web process output ({' '.join(process.argv)})", process.output()))
