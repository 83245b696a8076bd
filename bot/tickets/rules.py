"""Ticket vocabulary: statuses, priorities, keys, sources and event kinds, and how to read them from user text."""

from __future__ import annotations

import re

from bot.errors import UsageError
from bot.text import escape

STATUSES = ("new", "open", "pending", "on-hold", "solved", "closed")
ACTIVE_STATUSES = ("new", "open", "pending", "on-hold")
STATUS_LABELS = {
    "new": "New",
    "open": "Open",
    "pending": "Pending (waiting on customer)",
    "on-hold": "On hold",
    "solved": "Solved",
    "closed": "Closed",
}
PRIORITIES = ("P1", "P2", "P3", "P4")
PRIORITY_LABELS = {"P1": "P1 · Urgent", "P2": "P2 · High", "P3": "P3 · Normal", "P4": "P4 · Low"}
DEFAULT_PRIORITY = "P3"
TIERS = ("premium", "standard")

SOURCE_COMMAND, SOURCE_SHORTCUT, SOURCE_REACTION = "command", "shortcut", "reaction"
# A customer's message in their shared channel, opened as it arrived.
SOURCE_SHARED = "shared"

CREATED, PUBLIC_REPLY, INTERNAL_NOTE, CUSTOMER_MESSAGE = "created", "public_reply", "internal_note", "customer_message"
STATUS_CHANGE, PRIORITY_CHANGE, ASSIGNEE_CHANGE = "status_change", "priority_change", "assignee_change"
# An incident's changes as they touch a linked ticket (they do not move its SLA clocks).
INCIDENT_LINKED, INCIDENT_RESOLVED = "incident_linked", "incident_resolved"
# Events a requester who is not an agent may read; internal notes and the rest stay with the support team.
PUBLIC_EVENTS = frozenset({CREATED, PUBLIC_REPLY, CUSTOMER_MESSAGE, STATUS_CHANGE})

KEY_PATTERN = re.compile(r"^(?:T-?|#)?(\d{1,12})$", re.IGNORECASE)
# Slack user ids: U… or W… (Enterprise Grid), upper-case letters and digits; the column holds 32 characters.
USER_ID_PATTERN = re.compile(r"^[UW][A-Z0-9]{2,31}$")


def parse_key(text: object) -> int:
    """'T-12', 't12', '#12' or '12' → 12."""
    if not isinstance(text, str):
        raise UsageError("That is not a ticket key. Ticket keys look like `T-12`.")
    match = KEY_PATTERN.match(text.strip())
    if not match:
        raise UsageError(f"`{_quote(text)}` is not a ticket key. Ticket keys look like `T-12`.")
    return int(match.group(1))


def parse_user_id(text: str) -> str:
    """A Slack user id as Slack sends it in a mention (`U0ALICE01`)."""
    if not USER_ID_PATTERN.match(text):
        raise UsageError(f"`{_quote(text)}` is not a Slack user. Name the person as a mention, like `@alice`.")
    return text


def parse_status(text: str) -> str:
    value = text.strip().lower().replace("_", "-").replace(" ", "-")
    value = {"onhold": "on-hold", "hold": "on-hold", "resolved": "solved", "reopen": "open"}.get(value, value)
    if value not in STATUSES:
        raise UsageError(f"`{_quote(text)}` is not a status. Use one of: {', '.join(STATUSES)}.")
    return value


def parse_priority(text: str) -> str:
    value = text.strip().upper()
    value = value if value.startswith("P") else f"P{value}"
    if value not in PRIORITIES:
        raise UsageError(f"`{_quote(text)}` is not a priority. Use P1 (urgent), P2, P3 or P4 (low).")
    return value


def _quote(text: str) -> str:
    """User text echoed in an error: short, escaped, and unable to close the code span."""
    return escape(text.strip()[:30].replace("`", "'"))
