"""Thin Bolt listeners: parse the payload, call a service, answer Slack. Routes are registered explicitly."""

from __future__ import annotations

from slack_bolt import App, BoltContext

from bot.services import Services
from handlers import actions, commands, events, shortcuts, views
from handlers.errors import on_error


def register(app: App, services: Services) -> None:
    def provide_services(context: BoltContext, next: callable) -> None:  # noqa: A002 - Bolt's argument name
        context["services"] = services
        next()

    app.use(provide_services)
    app.error(on_error)
    commands.register(app)
    views.register(app)
    actions.register(app)
    shortcuts.register(app)
    events.register(app)
