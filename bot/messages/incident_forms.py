"""The declare-incident form: title, severity, description and an optional conference bridge."""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    SectionBlock,
    StaticSelectElement,
    UserSelectElement,
)
from slack_sdk.models.views import View

from bot.incidents.config import SEVERITIES
from bot.messages.common import as_dicts, option_for
from bot.text import mrkdwn, plain
from models import Ticket

DECLARE = "incident_declare"
TITLE, SEVERITY, DESCRIPTION, BRIDGE = "title", "severity", "description", "bridge"
SEVERITY_LABELS = {
    "SEV1": "SEV1 · critical, many customers down",
    "SEV2": "SEV2 · major, a key feature down",
    "SEV3": "SEV3 · minor, degraded",
    "SEV4": "SEV4 · low, cosmetic",
}


def declare_modal(
    title: str = "",
    ticket_key: str | None = None,
    severity: str = "SEV3",
    *,
    tickets: list[str] | None = None,
    suggestion: str = "",
) -> dict[str, Any]:
    options = [Option(value=s, text=SEVERITY_LABELS[s]) for s in SEVERITIES]
    blocks = [
        InputBlock(
            block_id=TITLE,
            label="What is broken",
            element=PlainTextInputElement(action_id="value", max_length=150, initial_value=plain(title, 150) or None),
        ),
        InputBlock(
            block_id=SEVERITY,
            label="Severity",
            element=StaticSelectElement(
                action_id="value", options=options, initial_option=option_for(options, severity)
            ),
        ),
        InputBlock(
            block_id=DESCRIPTION,
            label="What we know",
            optional=True,
            element=PlainTextInputElement(action_id="value", multiline=True, max_length=2000),
        ),
        InputBlock(
            block_id=BRIDGE,
            label="Conference bridge link",
            optional=True,
            hint="Leave empty to use the configured bridge, if any.",
            element=PlainTextInputElement(action_id="value", max_length=500, placeholder="https://…"),
        ),
    ]
    view = View(
        type="modal",
        callback_id=DECLARE,
        title="Declare an incident",
        submit="Declare",
        close="Cancel",
        blocks=blocks,
        private_metadata=json.dumps(
            {"ticket": ticket_key, "tickets": " ".join(tickets or []), "suggestion": suggestion}
        ),
    )
    view.validate_json()
    return view.to_dict()


LINK = "incident_link"
INCIDENT = "incident"


def link_modal(tickets: list[str], incidents: list[tuple[str, str]], *, suggestion: str = "") -> dict[str, Any]:
    """Pick one of the open incidents (key, label) to link the tickets (one, or a suggestion's) to."""
    options = [Option(value=key, text=plain(label, 75)) for key, label in incidents[:100]]
    what = tickets[0] if len(tickets) == 1 else f"{len(tickets)} tickets"
    view = View(
        type="modal",
        callback_id=LINK,
        title=plain(f"Link {what}", 24),
        submit="Link",
        close="Cancel",
        blocks=[
            InputBlock(
                block_id=INCIDENT,
                label="Incident",
                element=StaticSelectElement(action_id="value", options=options, placeholder="Pick an open incident"),
            )
        ],
        private_metadata=json.dumps({"tickets": " ".join(tickets), "suggestion": suggestion}),
    )
    view.validate_json()
    return view.to_dict()


# The suggestion's buttons; each carries the suggestion's key (the select's block id carries it too).
SUGGEST_DECLARE, SUGGEST_LINK, SUGGEST_DISMISS = "suggestion_declare", "suggestion_link", "suggestion_dismiss"


def suggestion_message(key: str, tokens: str, tickets: list[Ticket]) -> tuple[str, list[dict[str, Any]]]:
    """Similar tickets, suggested as one incident, with what to do about it."""
    listed = "\n".join(f"• *{t.key}* {mrkdwn(t.subject, 150)} ({mrkdwn(t.customer.name, 60)})" for t in tickets[:20])
    text = f":mag: {len(tickets)} similar tickets ({mrkdwn(tokens, 200)}): one incident?"
    blocks = [
        SectionBlock(text=MarkdownTextObject(text=f"{text}\n{listed}"[:3000])),
        ActionsBlock(
            block_id=f"suggestion:{key}",
            elements=[
                ButtonElement(text="Declare incident", action_id=SUGGEST_DECLARE, value=key, style="primary"),
                ButtonElement(text="Link to an open incident", action_id=SUGGEST_LINK, value=key),
                ButtonElement(text="Dismiss", action_id=SUGGEST_DISMISS, value=key),
            ],
        ),
    ]
    return text, as_dicts(blocks)


def suggestion_decided(line: str) -> tuple[str, list[dict[str, Any]]]:
    return line, as_dicts([SectionBlock(text=MarkdownTextObject(text=line[:3000]))])


ROLE, ROLE_BLOCK, PERSON_BLOCK = "incident_role", "role", "person"


def role_modal(incident_key: str, roles: list[str]) -> dict[str, Any]:
    """Hand a role of the incident to someone (the commander or an incident admin may)."""
    options = [Option(value=role, text=role) for role in roles]
    view = View(
        type="modal",
        callback_id=ROLE,
        title=plain(f"{incident_key} roles", 24),
        submit="Assign",
        close="Cancel",
        blocks=[
            InputBlock(
                block_id=ROLE_BLOCK,
                label="Role",
                element=StaticSelectElement(action_id="value", options=options, initial_option=options[0]),
            ),
            InputBlock(
                block_id=PERSON_BLOCK,
                label="Who takes it",
                element=UserSelectElement(action_id="value", placeholder="Pick a person"),
            ),
        ],
        private_metadata=json.dumps({"incident": incident_key}),
    )
    view.validate_json()
    return view.to_dict()
