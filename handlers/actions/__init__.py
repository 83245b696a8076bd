"""Buttons and selects on the ticket card, the App Home tab and page DMs."""

import re

from slack_bolt import App

from bot.messages.card import CLAIM, ESCALATE, LINK_INCIDENT, NOTE, STATUS
from bot.messages.incident_forms import SUGGEST_DECLARE, SUGGEST_DISMISS, SUGGEST_LINK
from bot.messages.incidents import ASSIGN_ROLE
from bot.messages.paging import ACKNOWLEDGE, DECLINE
from bot.messages.people import ACCEPT as HELP_ACCEPT
from bot.messages.people import DECLINE as HELP_DECLINE
from bot.messages.routing import ACCEPT as ROUTE_ACCEPT
from bot.messages.routing import PASS as ROUTE_PASS
from bot.messages.satisfaction import COMMENT as CSAT_COMMENT
from bot.messages.satisfaction import SCORE as CSAT_SCORE
from bot.messages.sla import SNOOZE
from handlers.actions.add_note import add_note_clicked
from handlers.actions.change_status import status_selected
from handlers.actions.claim import claim_clicked
from handlers.actions.escalate import escalate_clicked
from handlers.actions.incident_role import assign_role_clicked
from handlers.actions.link_incident import link_incident_clicked
from handlers.actions.open_from_private import OPEN_FROM_PRIVATE, open_from_private_clicked
from handlers.actions.page_answer import page_answered
from handlers.actions.responder_answer import responder_answered
from handlers.actions.route_answer import route_answered
from handlers.actions.satisfaction import comment_clicked, score_clicked
from handlers.actions.snooze import snooze_clicked
from handlers.actions.suggestion import suggestion_clicked


def register(app: App) -> None:
    app.action(CLAIM)(claim_clicked)
    app.action(STATUS)(status_selected)
    app.action(NOTE)(add_note_clicked)
    app.action(ESCALATE)(escalate_clicked)
    app.action(LINK_INCIDENT)(link_incident_clicked)
    app.action(ACKNOWLEDGE)(page_answered)
    app.action(DECLINE)(page_answered)
    app.action(HELP_ACCEPT)(responder_answered)
    app.action(HELP_DECLINE)(responder_answered)
    app.action(ROUTE_ACCEPT)(route_answered)
    app.action(ROUTE_PASS)(route_answered)
    app.action(ASSIGN_ROLE)(assign_role_clicked)
    for action_id in (SUGGEST_DECLARE, SUGGEST_LINK, SUGGEST_DISMISS):
        app.action(action_id)(suggestion_clicked)
    app.action(OPEN_FROM_PRIVATE)(open_from_private_clicked)
    app.action(re.compile(rf"^{SNOOZE}_(30m|2h|tomorrow)$"))(snooze_clicked)
    app.action(re.compile(rf"^{CSAT_SCORE}_[1-5]$"))(score_clicked)
    app.action(CSAT_COMMENT)(comment_clicked)
