"""Reading what Slack sent: small typed readers over every payload field a listener uses.

Payloads are JSON from outside. A field that is missing or of the wrong type raises `BadPayload`, which the one
error handler answers plainly, so no listener indexes into a payload by hope (`body["user"]["id"]`, `json.loads`).
Text is cleaned on the way in (no NUL, no lone surrogates: neither SQLite nor PostgreSQL can store them).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from bot.errors import BadPayload
from bot.messages.modals import CUSTOMER_MAX, DESCRIPTION_MAX, NOTE_MAX, SUBJECT_MAX
from bot.tickets import rules
from bot.tickets.service import TicketDraft

# Slack's ids: users U…/W…, channels C…/G…/D…; views V…; generous lengths, so only nonsense is refused.
USER_ID = re.compile(r"^[UW][A-Z0-9]{2,31}$")
CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,31}$")
SLACK_TS = re.compile(r"^\d{1,12}\.\d{1,8}$")
# A permalink goes into mrkdwn as <url|label>, so it may hold nothing that ends or splits that link.
PERMALINK = re.compile(r"^https://[^\s<>|]+$")
KEY_MAX = 200  # applied_requests.key


def field(node: object, *path: str, kind: type | tuple[type, ...] = str, required: bool = True) -> Any:
    """The value at `path` in nested objects, of type `kind`; None when absent and not required."""
    for name in path:
        node = node.get(name) if isinstance(node, dict) else None
        if node is None:
            if required:
                raise BadPayload(f"missing {'.'.join(path)}")
            return None
    if not isinstance(node, kind) or isinstance(node, bool) and kind is not bool:
        raise BadPayload(f"{'.'.join(path)} is a {type(node).__name__}")
    return node


def text(node: object, *path: str, required: bool = True, limit: int = 40_000) -> str | None:
    """A text field, cleaned of what no database stores and cut to `limit` characters."""
    value = field(node, *path, required=required)
    if value is None:
        return None
    return value.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")[:limit]


def user_id(node: object, *path: str) -> str:
    value = field(node, *path)
    if not USER_ID.match(value):
        raise BadPayload(f"{'.'.join(path)} is not a user id")
    return value


def request_key(kind: str, *parts: str | None) -> str | None:
    """What identifies one person's one action, for `applied_requests`; None when Slack sent nothing to go by."""
    if not any(parts):
        return None
    key = ":".join([kind, *(part or "" for part in parts)])
    # Ids come from outside; an over-long one is hashed rather than refused, so it still dedupes.
    return key if len(key) <= KEY_MAX else f"{kind}:sha256:{hashlib.sha256(key.encode()).hexdigest()}"


def ticket_key(value: object) -> str:
    """A button's ticket key (`T-12`), or a usage error saying it is not one."""
    return f"T-{rules.parse_key(value)}"


# ----- slash commands


@dataclass(frozen=True)
class SlashCommand:
    user: str
    text: str
    trigger_id: str | None
    key: str | None
    channel: str | None = None


def slash_command(command: dict[str, Any]) -> SlashCommand:
    trigger_id = text(command, "trigger_id", required=False, limit=KEY_MAX)
    return SlashCommand(
        user=user_id(command, "user_id"),
        text=text(command, "text", required=False, limit=12_000) or "",
        trigger_id=trigger_id,
        key=request_key("command", trigger_id),
        channel=text(command, "channel_id", required=False, limit=32),
    )


# ----- block actions


@dataclass(frozen=True)
class Click:
    """One block action: who, which control, its value or chosen option, and where it was (a view or a message)."""

    user: str
    action_id: str
    block_id: str
    value: str | None
    selected: str | None
    trigger_id: str | None
    key: str | None
    in_view: bool
    response_url: str | None


def click(body: dict[str, Any]) -> Click:
    actions = field(body, "actions", kind=list)
    if not actions or not isinstance(actions[0], dict):
        raise BadPayload("no action")
    action = actions[0]
    trigger_id = text(body, "trigger_id", required=False, limit=KEY_MAX)
    action_ts = text(action, "action_ts", required=False, limit=KEY_MAX)
    container = field(body, "container", kind=dict, required=False) or {}
    return Click(
        user=user_id(body, "user", "id"),
        action_id=text(action, "action_id", limit=255) or "",
        block_id=text(action, "block_id", required=False, limit=255) or "",
        value=text(action, "value", required=False, limit=2000),
        selected=text(action, "selected_option", "value", required=False, limit=150),
        trigger_id=trigger_id,
        key=request_key("action", trigger_id, action_ts),
        in_view=container.get("type") == "view",
        response_url=text(body, "response_url", required=False, limit=2000),
    )


def snooze_value(value: str | None) -> tuple[int, str]:
    """A Snooze button's `clock id:choice`."""
    clock_id, _, choice = (value or "").partition(":")
    if not (clock_id.isascii() and clock_id.isdigit() and len(clock_id) <= 12) or choice not in SNOOZE_CHOICES:
        raise BadPayload("snooze value")
    return int(clock_id), choice


SNOOZE_CHOICES = ("30m", "2h", "tomorrow")


# ----- modal submissions


def submitter(body: dict[str, Any]) -> str:
    return user_id(body, "user", "id")


def view_key(view: dict[str, Any]) -> str:
    """A submitted modal's request key: its view id, the same for Slack's retries and a double submission."""
    key = request_key("view", text(view, "id", limit=KEY_MAX))
    assert key is not None  # the id is required, so the key is never None
    return key


def metadata(view: dict[str, Any]) -> dict[str, str | None]:
    """The modal's private_metadata: a JSON object of strings (or nulls), as Liaison's own modals write it."""
    raw = text(view, "private_metadata", required=False, limit=3000) or "{}"
    try:
        meta = json.loads(raw)
    except ValueError as error:
        raise BadPayload("private_metadata is not JSON") from error
    if not isinstance(meta, dict) or not all(isinstance(v, str | None) for v in meta.values()):
        raise BadPayload("private_metadata is not an object of strings")
    return meta


def values(view: dict[str, Any]) -> dict[str, str | None]:
    """Each input block's value (`value` action): its typed text, its chosen option's value or the chosen user, None
    when empty."""
    state = field(view, "state", "values", kind=dict, required=False) or {}
    found: dict[str, str | None] = {}
    for block_id, actions in state.items():
        element = actions.get("value") if isinstance(actions, dict) else None
        if not isinstance(element, dict):
            continue
        option = element.get("selected_option")
        chosen = text(option, "value", required=False) if isinstance(option, dict) else None
        if chosen is None and element.get("selected_user") is not None:
            chosen = user_id(element, "selected_user")
        found[block_id] = chosen if chosen is not None else text(element, "value", required=False)
    return found


def first_input_block(body: object) -> str | None:
    """The first input block of a submitted view, to hang an error on; never raises (the error handler uses it)."""
    view = body.get("view") if isinstance(body, dict) else None
    blocks = view.get("blocks") if isinstance(view, dict) else None
    for block in blocks if isinstance(blocks, list) else []:
        if isinstance(block, dict) and block.get("type") == "input" and isinstance(block.get("block_id"), str):
            return block["block_id"]
    return None


def new_ticket_form(view: dict[str, Any]) -> tuple[TicketDraft | None, dict[str, str]]:
    """The draft a submitted new-ticket modal describes, or the inline errors to show (block id → message)."""
    form, errors = values(view), {}
    subject = " ".join((form.get("subject") or "").split())
    if not subject:
        errors["subject"] = "Give the ticket a subject."
    elif len(subject) > SUBJECT_MAX:
        errors["subject"] = f"Keep the subject under {SUBJECT_MAX} characters."
    customer_id = _customer_id(form.get("customer"))
    new_customer = " ".join((form.get("new_customer") or "").split())
    if customer_id is None and not new_customer:
        errors["new_customer"] = "Pick a customer or type a new one."
    elif customer_id is not None and new_customer:
        errors["new_customer"] = "Pick a customer or type a new one, not both."
    elif len(new_customer) > CUSTOMER_MAX:
        errors["new_customer"] = f"Keep the customer's name under {CUSTOMER_MAX} characters."
    priority = form.get("priority") or rules.DEFAULT_PRIORITY
    if priority not in rules.PRIORITIES:
        errors["priority"] = "Pick a priority."
    tier = form.get("tier") or "standard"
    if errors:
        return None, errors
    source, channel, ts, permalink = _source(metadata(view))
    return TicketDraft(
        subject=subject,
        description=(form.get("description") or "").strip()[:DESCRIPTION_MAX],
        priority=priority,
        customer_id=customer_id,
        new_customer=new_customer or None,
        new_customer_tier=tier if tier in rules.TIERS else "standard",
        source=source,
        # The modal's view id, or the message it was made from: Slack's retries and double submissions share it.
        source_ref=f"message:{channel}:{ts}" if ts else view_key(view),
        source_channel=channel,
        source_ts=ts,
        source_permalink=permalink,
    ), {}


def _customer_id(value: str | None) -> int | None:
    # Option values of Liaison's own customer select are row ids; anything else is not from that select.
    if value is None:
        return None
    if not (value.isascii() and value.isdigit() and len(value) <= 12):
        raise BadPayload("customer option")
    return int(value)


def _source(meta: dict[str, str | None]) -> tuple[str, str | None, str | None, str | None]:
    """Where a new ticket comes from, as the modal that was opened for it wrote it in private_metadata."""
    source = meta.get("source") or rules.SOURCE_COMMAND
    channel, ts, permalink = meta.get("channel"), meta.get("ts"), meta.get("permalink")
    if source not in (rules.SOURCE_COMMAND, rules.SOURCE_SHORTCUT, rules.SOURCE_REACTION):
        raise BadPayload("private_metadata source")
    if ts is not None and not (SLACK_TS.match(ts) and channel is not None and CHANNEL_ID.match(channel)):
        raise BadPayload("private_metadata message")
    if permalink is not None and not (PERMALINK.match(permalink) and len(permalink) <= 500):
        raise BadPayload("private_metadata permalink")
    return source, channel if ts else None, ts, permalink


def note_form(view: dict[str, Any]) -> tuple[str, str | None, dict[str, str]]:
    """(ticket key, note text, errors) from a submitted note modal."""
    key = ticket_key(metadata(view).get("key"))
    note = (values(view).get("note") or "").strip()
    if not note:
        return key, None, {"note": "Write the note, or cancel."}
    return key, note[:NOTE_MAX], {}


# ----- events


def event_user(event: dict[str, Any]) -> str:
    return user_id(event, "user")
