"""Buttons and selects on the ticket card and the App Home tab."""

from slack_bolt import App

from bot.messages.card import CLAIM, NOTE, STATUS
from handlers.actions.add_note import add_note_clicked
from handlers.actions.change_status import status_selected
from handlers.actions.claim import claim_clicked


def register(app: App) -> None:
    app.action(CLAIM)(claim_clicked)
    app.action(STATUS)(status_selected)
    app.action(NOTE)(add_note_clicked)
