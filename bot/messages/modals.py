"""Modals: the new-ticket form and the add-note form, and reading what a person submitted in them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.messages.common import option_for, priority_options
from bot.text import escape, plain, truncate
from bot.tickets import rules
from models import Customer

NEW_TICKET, ADD_NOTE = "ticket_new", "ticket_note_modal"
SUBJECT_MAX, DESCRIPTION_MAX, CUSTOMER_MAX, NOTE_MAX = 150, 3000, 100, 3000


@dataclass(frozen=True)
class Prefill:
    """What the modal starts with, and where the ticket comes from (kept in private_metadata)."""

    subject: str = ""
    description: str = ""
    source: str = rules.SOURCE_COMMAND
    channel: str | None = None
    message_ts: str | None = None
    permalink: str | None = None

    def metadata(self) -> str:
        return json.dumps(
            {"source": self.source, "channel": self.channel, "ts": self.message_ts, "permalink": self.permalink}
        )


def new_ticket_modal(prefill: Prefill, customers: list[Customer]) -> dict[str, Any]:
    blocks: list = []
    if prefill.permalink:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=f"From <{prefill.permalink}|this message>.")))
    if customers:
        options = [Option(value=str(c.id), text=plain(f"{c.name} ({c.tier})", 75)) for c in customers]
        blocks.append(
            InputBlock(
                block_id="customer",
                label="Customer",
                optional=True,
                hint="Pick one, or type a new customer below.",
                element=StaticSelectElement(action_id="value", placeholder="Pick a customer", options=options),
            )
        )
    blocks += [
        InputBlock(
            block_id="new_customer",
            label="New customer" if customers else "Customer",
            optional=bool(customers),
            element=PlainTextInputElement(action_id="value", max_length=CUSTOMER_MAX, placeholder="Customer name"),
        ),
        InputBlock(
            block_id="tier",
            label="Support tier (new customers)",
            optional=True,
            element=StaticSelectElement(
                action_id="value",
                options=[Option(value=t, text=t.capitalize()) for t in rules.TIERS],
                initial_option=Option(value="standard", text="Standard"),
            ),
        ),
        InputBlock(
            block_id="subject",
            label="Subject",
            element=PlainTextInputElement(
                action_id="value", max_length=SUBJECT_MAX, initial_value=plain(prefill.subject, SUBJECT_MAX) or None
            ),
        ),
        InputBlock(
            block_id="description",
            label="Description",
            optional=True,
            element=PlainTextInputElement(
                action_id="value",
                multiline=True,
                max_length=DESCRIPTION_MAX,
                initial_value=truncate(prefill.description, DESCRIPTION_MAX) or None,
            ),
        ),
        InputBlock(
            block_id="priority",
            label="Priority",
            element=StaticSelectElement(
                action_id="value",
                options=priority_options(),
                initial_option=option_for(priority_options(), rules.DEFAULT_PRIORITY),
            ),
        ),
    ]
    view = View(
        type="modal",
        callback_id=NEW_TICKET,
        title="New ticket",
        submit="Open ticket",
        close="Cancel",
        private_metadata=prefill.metadata(),
        blocks=blocks,
    )
    view.validate_json()
    return view.to_dict()


def note_modal(key: str, subject: str) -> dict[str, Any]:
    view = View(
        type="modal",
        callback_id=ADD_NOTE,
        title="Internal note",
        submit="Add note",
        close="Cancel",
        private_metadata=json.dumps({"key": key}),
        blocks=[
            SectionBlock(text=MarkdownTextObject(text=f"*{key}* · {escape(plain(subject, 150))}")),
            InputBlock(
                block_id="note",
                label="Note (only the support team sees it)",
                element=PlainTextInputElement(action_id="value", multiline=True, max_length=NOTE_MAX),
            ),
        ],
    )
    view.validate_json()
    return view.to_dict()
