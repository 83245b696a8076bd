"""The shipped configuration for the benchmarks: the Procfile's `web:` command as a subprocess against the Slack
stand-in, serving Liaison (`app:wsgi()`) or the bare Bolt baseline (`bench.rig:bare_process()`) with the same
gunicorn command line, started exactly as the shipped tests start it (tests/shipped/web.py).
"""

from __future__ import annotations

from pathlib import Path

from bench.rig import SIGNING_SECRET, BenchError
from bot.local.driver import SlackDriver
from bot.local.standin import SlackStandIn
from bot.local.workspace import AGENTS, QUEUE
from tests.shipped.web import NotReady, WebProcess, policy_file, start_web

BARE_APP = "bench.rig:bare_process()"


def start(name: str, standin: SlackStandIn, database_url: str, folder: Path, *, app: str | None = None) -> WebProcess:
    """Start the Procfile's web command (serving `app` instead of Liaison when given), ready to time."""
    config = policy_file(folder, queue=QUEUE, usergroup=AGENTS)
    try:
        return start_web(
            name, standin, folder, database_url=database_url, signing_secret=SIGNING_SECRET, config=config, app=app
        )
    except NotReady as error:
        raise BenchError(str(error)) from error


def driver(process: WebProcess, standin: SlackStandIn) -> SlackDriver:
    """Signs requests as Slack does and posts them to the process's /slack/events."""
    return SlackDriver(events_url=f"{process.url}slack/events", signing_secret=SIGNING_SECRET, standin=standin)
