"""Liaison's entry point: build settings, database, gateway and the Bolt app in a factory, then serve.

`python app.py` serves HTTP (or Socket Mode with SLACK_APP_TOKEN), or local mode without Slack credentials;
gunicorn serves `app:wsgi()` (see Procfile).
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass

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
from handlers.http import WSGIApp, wsgi_app

log = logging.getLogger("liaison")


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
        request_verification_enabled=not settings.socket_mode,
    )
    handlers.register(bolt, services)
    return Liaison(settings, services, bolt, wsgi_app(bolt, database))


def wsgi() -> WSGIApp:
    """gunicorn entry point: one Liaison per worker, each running the recurring jobs."""
    liaison = create_app(_settings_or_exit())
    build_scheduler(liaison.services).start()
    return liaison.wsgi


def _settings_or_exit() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as error:
        sys.exit(f"liaison: {error}")


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    settings = _settings_or_exit()
    upgrade(settings.database_url)  # gunicorn deployments migrate in the Procfile's release step instead
    try:
        if settings.local_mode:
            from bot.local.run import run_local

            return run_local(settings)
        liaison = create_app(settings)
    except ConfigError as error:
        print(f"liaison: {error}", file=sys.stderr)
        return 2
    scheduler = build_scheduler(liaison.services)
    scheduler.start()
    try:
        if settings.socket_mode:
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            log.info("connecting to Slack by Socket Mode")
            SocketModeHandler(liaison.bolt, settings.app_token).start()
        else:
            from wsgiref.simple_server import make_server

            from bot.local.serve import QuietHandler, ThreadingWSGIServer

            log.info("serving POST /slack/events and GET /healthz on port %s", settings.port)
            with make_server("0.0.0.0", settings.port, liaison.wsgi, ThreadingWSGIServer, QuietHandler) as server:
                server.serve_forever()
    finally:
        scheduler.shutdown(wait=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
