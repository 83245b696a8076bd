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
    # Bolt tries listeners in this order, and each try costs about as much whatever the request's type (it builds
    # the matcher's arguments first): the kinds that must answer fastest and have the fewest listeners come first.
    # Message events, which every message in every channel the bot is in sends, come before the many actions.
    commands.register(app)
    events.register(app)
    views.register(app)
    actions.register(app)
    shortcuts.register(app)
