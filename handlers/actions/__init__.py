"""Buttons and selects on the ticket card and the App Home tab."""

import re

from slack_bolt import App

from bot.messages.card import CLAIM, NOTE, STATUS
from bot.messages.sla import SNOOZE
from handlers.actions.add_note import add_note_clicked
from handlers.actions.change_status import status_selected
from handlers.actions.claim import claim_clicked
from handlers.actions.open_from_private import OPEN_FROM_PRIVATE, open_from_private_clicked
from handlers.actions.snooze import snooze_clicked


def register(app: App) -> None:
    app.action(CLAIM)(claim_clicked)
    app.action(STATUS)(status_selected)
    app.action(NOTE)(add_note_clicked)
    app.action(OPEN_FROM_PRIVATE)(open_from_private_clicked)
    app.action(re.compile(rf"^{SNOOZE}_(30m|2h|tomorrow)$"))(snooze_clicked)
