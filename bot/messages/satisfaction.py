"""How the satisfaction survey reads: the question with 1-5 buttons, its edit once answered, the comment form, and
the lines the team sees."""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ContextBlock,
    InputBlock,
    MarkdownTextObject,
    PlainTextInputElement,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.messages.common import as_dicts, person
from bot.text import mrkdwn, plain
from models import Satisfaction, Ticket

SCORE = "csat_score"  # + the score: csat_score_1 … csat_score_5; the value is "<ticket id>:<survey event id>"
COMMENT, COMMENT_MODAL = "csat_comment", "csat_comment_modal"
COMMENT_MAX = 2000
FACES = {1: "😞", 2: "🙁", 3: "😐", 4: "🙂", 5: "😀"}


def stars(score: int) -> str:
    return "★" * score + "☆" * (5 - score)


def survey(ticket: Ticket, event_id: int) -> tuple[str, list[dict[str, Any]]]:
    question = f"*{ticket.key}* is solved. How did we do? ({mrkdwn(ticket.subject, 150)})"
    buttons = [
        ButtonElement(text=f"{n} {FACES[n]}", action_id=f"{SCORE}_{n}", value=f"{ticket.id}:{event_id}")
        for n in range(1, 6)
    ]
    blocks = [
        SectionBlock(text=MarkdownTextObject(text=question)),
        ActionsBlock(block_id=f"csat:{ticket.id}", elements=buttons),
        ContextBlock(elements=[MarkdownTextObject(text="1 is poor, 5 is great. One click is enough.")]),
    ]
    return f"How did we do on {ticket.key}?", as_dicts(blocks)


def answered(ticket: Ticket, row: Satisfaction) -> tuple[str, list[dict[str, Any]]]:
    text = f"Thank you! You rated *{ticket.key}* {stars(row.score)} {row.score}/5."
    blocks: list = [SectionBlock(text=MarkdownTextObject(text=text))]
    if not row.comment:
        button = ButtonElement(text="Add a comment", action_id=COMMENT, value=str(ticket.id))
        blocks.append(ActionsBlock(block_id=f"csat-comment:{ticket.id}", elements=[button]))
    return f"You rated {ticket.key} {row.score}/5", as_dicts(blocks)


def comment_modal(ticket: Ticket) -> dict[str, Any]:
    view = View(
        type="modal",
        callback_id=COMMENT_MODAL,
        title="Your comment",
        submit="Send",
        close="Cancel",
        private_metadata=json.dumps({"ticket": ticket.id}),
        blocks=[
            SectionBlock(text=MarkdownTextObject(text=f"*{ticket.key}* · {mrkdwn(plain(ticket.subject, 150), 200)}")),
            InputBlock(
                block_id="comment",
                label="What went well, or what should we do better?",
                element=PlainTextInputElement(action_id="value", multiline=True, max_length=COMMENT_MAX),
            ),
        ],
    )
    view.validate_json()
    return view.to_dict()


def rated_line(ticket: Ticket, row: Satisfaction, low: bool) -> str:
    cue = ":warning:" if low else ":star:"
    return f"{cue} {person(row.user_id)} rated {ticket.key} {stars(row.score)} {row.score}/5."


def comment_line(ticket: Ticket, row: Satisfaction) -> str:
    return f":speech_balloon: {person(row.user_id)} commented on {ticket.key}: “{mrkdwn(row.comment, 1500)}”"


def low_score_dm(ticket: Ticket, row: Satisfaction) -> str:
    return (
        f":warning: The customer rated *{ticket.key}* {mrkdwn(ticket.subject, 150)} {row.score}/5. "
        "A follow-up in its thread may still turn it around."
    )


def card_line(row: Satisfaction) -> str:
    comment = f" “{mrkdwn(row.comment, 200)}”" if row.comment else ""
    return f"*Satisfaction*: {stars(row.score)} {row.score}/5{comment}"
