"""Local mode: with no Slack credentials, run Liaison against the Slack stand-in and let a person drive it from
the terminal console, acting as any user of the demo workspace."""

from __future__ import annotations

import dataclasses
import logging
import secrets
import sys
from pathlib import Path
from typing import TextIO

from app import Liaison, create_app
from bot.clock import MovableClock
from bot.local.console import Console
from bot.local.driver import SlackDriver
from bot.local.serve import BackgroundServer
from bot.local.standin import SlackStandIn
from bot.local.workspace import PEOPLE, QUEUE, seed
from bot.scheduler import build_scheduler
from bot.settings import Settings

log = logging.getLogger("liaison.local")
# Where files the bot shares (charts) are saved, so the person at the console can open them.
FILES_DIR = Path(".liaison") / "files"

BANNER = """\
Liaison is running in local mode: no Slack workspace needed.
A stand-in Slack is serving the demo workspace ({people}); the bot listens on {url}slack/events
and keeps its data in {database}. You are {user} in #support-queue. Try:
  /ticket new Checkout fails      then answer the form field by field
  :read                           see the channel, with numbered messages and buttons
  :click 1 claim                  press a button on message 1
  :as carol                       act as someone else          :help  everything else
"""


def run_local(settings: Settings, *, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> int:
    """Run the stand-in, the bot and the console until the person quits; the database is already migrated."""
    logging.getLogger().setLevel(logging.WARNING)  # the console is the interface; keep the log for problems
    clock = MovableClock()
    slack = SlackStandIn(clock=lambda: clock.now().timestamp(), files_dir=FILES_DIR)
    seed(slack)
    slack.start()
    secret = secrets.token_hex(16)
    local = dataclasses.replace(settings, bot_token=slack.bot_token, signing_secret=secret, api_url=slack.api_url)
    liaison = create_app(local, clock=clock)
    server = _serve(liaison.wsgi, settings.port)
    scheduler = build_scheduler(liaison.services)
    scheduler.start()
    try:
        driver = SlackDriver(events_url=f"{server.url}slack/events", signing_secret=secret, standin=slack)
        user = PEOPLE[0]
        stdout.write(
            BANNER.format(
                people=", ".join(p.name for p in PEOPLE), url=server.url, database=local.database_url, user=user.name
            )
        )
        console = Console(
            driver=driver,
            slack=slack,
            deliver=lambda: fire_and_deliver(liaison),
            clock=clock,
            user=user.user_id,
            channel=QUEUE,
            out=stdout,
        )
        console.run(stdin, interactive=stdin.isatty())
    finally:
        scheduler.shutdown(wait=False)
        server.stop()
        slack.stop()
        liaison.services.database.dispose()
    return 0


def fire_and_deliver(liaison: Liaison) -> None:
    """What fell due after the person's action or `:wait` (timers, incident channels, digests, routing, then
    messages), at once rather than at the scheduler's next run, so the console shows it before the next prompt."""
    liaison.services.sweep.run()
    liaison.services.channels.run()
    liaison.services.digests.run()
    liaison.services.routing.run()
    liaison.services.dispatcher.drain()


def _serve(app, port: int) -> BackgroundServer:  # type: ignore[no-untyped-def]
    try:
        return BackgroundServer(app, port=port).start()
    except OSError:
        log.warning("port %s is busy; serving local mode on a free port instead", port)
        return BackgroundServer(app, port=0).start()
