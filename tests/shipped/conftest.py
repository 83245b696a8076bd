"""The shipped configuration under test: the Procfile's `web:` process (its default worker count) on the test
database, talking to the Slack stand-in over HTTP, driven by signed requests. One fresh process per test, so no
per-process cache or leftover delivery crosses from one test into the next."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.clock import SystemClock
from bot.db import Database
from bot.local.driver import SlackDriver
from bot.local.standin import SlackStandIn
from tests.shipped.helpers import ROOT, process_env, procfile_argv, worker_count
from tests.slack_fixtures import AGENTS, QUEUE, SIGNING_SECRET
from tests.test_app import free_port

START_TIMEOUT, STOP_TIMEOUT = 30.0, 10.0


@dataclass
class WebProcess:
    """The running Procfile process: its command, port, worker count and log."""

    popen: subprocess.Popen
    argv: list[str]
    port: int
    workers: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self) -> None:
        """SIGTERM to the whole process group (master and workers), SIGKILL if it has not gone in time."""
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait()
        try:  # workers that outlived their master
            os.killpg(self.popen.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@pytest.fixture
def clock() -> SystemClock:
    """The stand-in keeps real time (trigger ids expire after 3 s), as the process under test does."""
    return SystemClock()


@pytest.fixture
def policy_file(tmp_path: Path) -> Path:
    """config/liaison.toml as shipped, pointed at the stand-in's queue channel and agents' user group."""
    text = (ROOT / "config" / "liaison.toml").read_text()
    for name, value in (("queue_channel", QUEUE), ("usergroup", AGENTS)):
        text, count = re.subn(rf'(?m)^{name} = ".*"$', f'{name} = "{value}"', text)
        assert count == 1, f"config/liaison.toml should set {name} once"
    path = tmp_path / "liaison.toml"
    path.write_text(text)
    return path


@pytest.fixture
def web(database: Database, slack: SlackStandIn, policy_file: Path, tmp_path: Path) -> Iterator[WebProcess]:
    """The Procfile's web process on an emptied test database, ready when every worker has started."""
    port = free_port()
    env = process_env(
        SLACK_BOT_TOKEN=slack.bot_token,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=slack.api_url,
        DATABASE_URL=database.url,
        PORT=str(port),
        LIAISON_CONFIG=str(policy_file),
    )
    argv = procfile_argv(env)
    log = tmp_path / "web.log"
    with log.open("w") as sink:
        popen = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so teardown can stop master and workers together
        )
    process = WebProcess(popen, argv, port, worker_count(argv), log)
    try:
        _wait_ready(process, slack)
        yield process
    finally:
        process.stop()


def _wait_ready(process: WebProcess, slack: SlackStandIn) -> None:
    """/healthz answers, and every worker has built its app (each checks its token with auth.test)."""
    deadline = time.monotonic() + START_TIMEOUT
    healthy = False
    while time.monotonic() < deadline:
        if process.popen.poll() is not None:
            pytest.fail(f"{' '.join(process.argv)} exited early:\n{process.output()}")
        if not healthy:
            try:
                with urllib.request.urlopen(f"{process.url}healthz", timeout=1) as response:
                    healthy = json.loads(response.read()).get("ok") is True
            except OSError:
                pass
        if healthy and len(slack.calls("auth.test")) >= process.workers:
            return
        time.sleep(0.1)
    pytest.fail(f"the web process was not ready within {START_TIMEOUT:.0f} s:\n{process.output()}")


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
