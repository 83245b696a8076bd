"""Modal submissions."""

from slack_bolt import App

from bot.messages.incident_forms import DECLARE, LINK, ROLE
from bot.messages.modals import ADD_NOTE, NEW_TICKET
from bot.messages.oncall import OVERRIDE
from bot.messages.satisfaction import COMMENT_MODAL
from handlers.views.add_note import add_note_submitted
from handlers.views.declare_incident import declare_submitted
from handlers.views.incident_role import role_submitted
from handlers.views.link_incident import link_submitted
from handlers.views.new_ticket import new_ticket_submitted
from handlers.views.oncall_override import override_submitted
from handlers.views.satisfaction_comment import comment_submitted


def register(app: App) -> None:
    app.view(NEW_TICKET)(new_ticket_submitted)
    app.view(ADD_NOTE)(add_note_submitted)
    app.view(OVERRIDE)(override_submitted)
    app.view(DECLARE)(declare_submitted)
    app.view(LINK)(link_submitted)
    app.view(ROLE)(role_submitted)
    app.view(COMMENT_MODAL)(comment_submitted)
