"""Events API callbacks."""

from slack_bolt import App

from handlers.events.app_home_opened import app_home_opened
from handlers.events.message import message
from handlers.events.reaction_added import reaction_added


def register(app: App) -> None:
    app.event("reaction_added")(reaction_added)
    app.event("app_home_opened")(app_home_opened)
    app.event("message")(message)
