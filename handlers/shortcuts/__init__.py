"""Shortcuts."""

from slack_bolt import App

from handlers.shortcuts.create_ticket import CREATE_TICKET, create_ticket_from_message


def register(app: App) -> None:
    app.message_shortcut(CREATE_TICKET)(create_ticket_from_message)
