"""The declare-incident form: title, severity, description and an optional conference bridge."""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.models.blocks import InputBlock, Option, PlainTextInputElement, StaticSelectElement
from slack_sdk.models.views import View

from bot.incidents.config import SEVERITIES
from bot.messages.common import option_for
from bot.text import plain

DECLARE = "incident_declare"
TITLE, SEVERITY, DESCRIPTION, BRIDGE = "title", "severity", "description", "bridge"
SEVERITY_LABELS = {
    "SEV1": "SEV1 · critical, many customers down",
    "SEV2": "SEV2 · major, a key feature down",
    "SEV3": "SEV3 · minor, degraded",
    "SEV4": "SEV4 · low, cosmetic",
}


def declare_modal(title: str = "", ticket_key: str | None = None, severity: str = "SEV3") -> dict[str, Any]:
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
        private_metadata=json.dumps({"ticket": ticket_key}),
    )
    view.validate_json()
    return view.to_dict()


LINK = "incident_link"
INCIDENT = "incident"


def link_modal(ticket_key: str, incidents: list[tuple[str, str]]) -> dict[str, Any]:
    """Pick one of the open incidents (key, label) to link the ticket to."""
    options = [Option(value=key, text=plain(label, 75)) for key, label in incidents[:100]]
    view = View(
        type="modal",
        callback_id=LINK,
        title=plain(f"Link {ticket_key}", 24),
        submit="Link",
        close="Cancel",
        blocks=[
            InputBlock(
                block_id=INCIDENT,
                label="Incident",
                element=StaticSelectElement(action_id="value", options=options, placeholder="Pick an open incident"),
            )
        ],
        private_metadata=json.dumps({"ticket": ticket_key}),
    )
    view.validate_json()
    return view.to_dict()
