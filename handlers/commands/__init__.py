"""Slash commands."""

from slack_bolt import App

from handlers.commands.ticket import ticket_command


def register(app: App) -> None:
    app.command("/ticket")(ticket_command)
