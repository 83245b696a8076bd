"""The satisfaction survey's buttons: a score from 1 to 5, then "Add a comment" (a form)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext, Respond

from bot.errors import BadPayload
from bot.gateway import SlackError
from bot.messages.satisfaction import SCORE, comment_modal
from bot.services import Services
from handlers import payloads


def score_clicked(ack: Ack, body: dict[str, Any], context: BoltContext, respond: Respond) -> None:
    ack()
    services: Services = context["services"]
    click = payloads.click(body)
    ticket_id, _, survey = (click.value or "").partition(":")
    score = click.action_id.removeprefix(f"{SCORE}_")
    if not (ticket_id.isdigit() and survey.isdigit() and score.isdigit()):
        raise BadPayload("the survey button carries no ticket")
    text = services.satisfaction.answer(click.user, int(ticket_id), int(survey), int(score))
    respond(text=text, response_type="ephemeral", replace_original=False)


def comment_clicked(ack: Ack, body: dict[str, Any], context: BoltContext, respond: Respond) -> None:
    ack()
    services: Services = context["services"]
    click = payloads.click(body)
    if not (click.value or "").isdigit():
        raise BadPayload("the comment button carries no ticket")
    ticket = services.satisfaction.for_comment(click.user, int(click.value or 0))
    if ticket is None:
        respond(text="There is nothing to comment on here any more.", response_type="ephemeral", replace_original=False)
        return
    try:
        services.gateway.open_view(click.trigger_id or "", comment_modal(ticket))
    except SlackError as error:
        respond(text=f"Slack could not open the form ({error.error}). Please click again.", replace_original=False)
