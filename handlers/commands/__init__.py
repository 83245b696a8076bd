"""Slash commands."""

from slack_bolt import App

from handlers.commands.incident import incident_command
from handlers.commands.oncall import oncall_command
from handlers.commands.page import page_command
from handlers.commands.ticket import ticket_command


def register(app: App) -> None:
    app.command("/ticket")(ticket_command)
    app.command("/oncall")(oncall_command)
    app.command("/page")(page_command)
    app.command("/incident")(incident_command)
