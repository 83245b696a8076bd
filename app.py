"""Liaison's entry point: build settings, database, gateway and the Bolt app in a factory, then serve.

`python app.py` serves Slack over HTTP (or Socket Mode with SLACK_APP_TOKEN); gunicorn serves `app:wsgi()` (see
Procfile). Local mode, without Slack credentials, is a second entry point: `python -m bot.local` (`make run`).
"""

from __future__ import annotations

import gc
import logging
import sys
from dataclasses import dataclass
from typing import NoReturn

from slack_bolt import App
from slack_sdk import WebClient

import handlers
from bot.clock import Clock, SystemClock
from bot.config import ConfigError, LiaisonConfig
from bot.db import Database
from bot.migrate import upgrade
from bot.scheduler import build_scheduler
from bot.services import Services
from bot.settings import Settings, SettingsError
from handlers import webhooks
from handlers.http import WSGIApp, serve, wsgi_app

log = logging.getLogger("liaison")

NO_CREDENTIALS = (
    "liaison: SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN) are not set, so there is no Slack to"
    " serve; `make run` starts local mode without them."
)


@dataclass
class Liaison:
    settings: Settings
    services: Services
    bolt: App
    wsgi: WSGIApp


def create_app(settings: Settings, *, config: LiaisonConfig | None = None, clock: Clock | None = None) -> Liaison:
    """Wire one process: database, Slack client and gateway, services, the Bolt app and its routes."""
    config = config or LiaisonConfig.load(settings.config_path)
    database = Database(settings.database_url)
    client = WebClient(token=settings.bot_token, base_url=settings.api_url, timeout=10)
    services = Services.build(config=config, clock=clock or SystemClock(), database=database, client=client)
    bolt = App(
        client=client,
        signing_secret=settings.signing_secret or "",
        # Listeners finish before Slack gets its answer: they are quick (a commit and outbox rows), and slow
        # Slack deliveries happen in the outbox drain, not here.
        process_before_response=True,
        # Always on: Bolt skips the check for requests that arrive by Socket Mode, and an HTTP request must be
        # signed whatever mode the app runs in.
        request_verification_enabled=True,
    )
    handlers.register(bolt, services)
    hooks = {}
    if settings.pagerduty_webhook_secrets:
        hooks[webhooks.PATH] = webhooks.pagerduty_receiver(services.incidents, settings.pagerduty_webhook_secrets)
    # Without a signing secret (Socket Mode only) nothing could tell Slack's HTTP requests from anyone's.
    app = wsgi_app(bolt, database, serve_events=bool(settings.signing_secret), hooks=hooks)
    return Liaison(settings, services, bolt, app)


def wsgi() -> WSGIApp:
    """gunicorn entry point: one Liaison per worker, each running the recurring jobs."""
    liaison = create_app(_settings_or_exit())
    build_scheduler(liaison.services).start()
    settle()
    return liaison.wsgi


def settle() -> None:
    """Start-up is done: what it built (modules, the Bolt app, the policy, the calendars: over 100,000 objects) is
    kept for the process's life, so it is moved out of the garbage collector's sight. Otherwise every full collection
    walks it all again, 80-100 ms here, and lands on whichever request is being served."""
    gc.collect()
    gc.freeze()


def _settings_or_exit() -> Settings:
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        _stop(f"liaison: {error}")
    if settings.local_mode:  # both ways to serve Slack need its credentials; local mode starts elsewhere
        _stop(NO_CREDENTIALS)
    return settings


def _stop(sentence: str) -> NoReturn:
    print(sentence, file=sys.stderr)
    # 3 is gunicorn's "worker failed to boot": the master stops instead of restarting the worker forever.
    sys.exit(3)


def main(settings: Settings | None = None) -> int:
    """`python app.py`: migrate, then serve Slack over HTTP, or by Socket Mode with SLACK_APP_TOKEN.

    `settings` (with Slack credentials) lets `python -m bot.local` hand over what it has already read."""
    settings = settings or _settings_or_exit()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    upgrade(settings.database_url)  # gunicorn deployments migrate in the Procfile's release step instead
    try:
        liaison = create_app(settings)
    except ConfigError as error:
        print(f"liaison: {error}", file=sys.stderr)
        return 2
    scheduler = build_scheduler(liaison.services)
    scheduler.start()
    settle()
    try:
        if settings.socket_mode:
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            log.info("connecting to Slack by Socket Mode")
            SocketModeHandler(liaison.bolt, settings.app_token).start()
        else:
            log.info("serving POST /slack/events and GET /healthz on port %s", settings.port)
            serve(liaison.wsgi, settings.port)
    finally:
        scheduler.shutdown(wait=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
