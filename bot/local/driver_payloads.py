"""Payload pieces the Slack driver and stand-in build: typed text as Slack encodes it, block elements by action_id
and their state values."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

from bot.local.standin_methods import interactive_elements

# Which state key carries the user's choice, per element type, and its empty value.
_STATE_KEYS: dict[str, tuple[str, Any]] = {
    "static_select": ("selected_option", None),
    "external_select": ("selected_option", None),
    "radio_buttons": ("selected_option", None),
    "overflow": ("selected_option", None),
    "checkboxes": ("selected_options", []),
    "multi_static_select": ("selected_options", []),
    "multi_external_select": ("selected_options", []),
    "users_select": ("selected_user", None),
    "multi_users_select": ("selected_users", []),
    "conversations_select": ("selected_conversation", None),
    "multi_conversations_select": ("selected_conversations", []),
    "channels_select": ("selected_channel", None),
    "multi_channels_select": ("selected_channels", []),
    "datepicker": ("selected_date", None),
    "timepicker": ("selected_time", None),
    "datetimepicker": ("selected_date_time", None),
}
# What Slack's client turns into tokens: @someone, @here, #channel, and links. Not an e-mail's @, nor a "&#".
_REFERENCE = re.compile(r"(?<![\w@.])@(?P<user>[\w.-]+)|(?<![\w&#])#(?P<channel>[\w-]+)|(?P<url>https?://[^\s<>]+)")
BROADCASTS = ("here", "channel", "everyone")
_URL_TAIL = ".,;:!?)'\""


def _entities(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_encoded(
    typed: str,
    *,
    user_id: Callable[[str], str | None],
    channel_id: Callable[[str], str | None],
    command: bool = False,
) -> tuple[str, list[dict[str, Any]]]:
    """(text, rich_text elements) as Slack sends what a person typed: `&`, `<`, `>` as entities, and @someone,
    @here, #channel (and links, in messages) as Slack's tokens; a slash command with should_escape names people
    `<@U…|name>`. The rich_text elements hold the raw text, as Slack's do."""
    text, elements, position = [], [], 0

    def plain(part: str) -> None:
        if part:
            text.append(_entities(part))
            elements.append({"type": "text", "text": part})

    for match in _REFERENCE.finditer(typed):
        name, channel, url = match.group("user"), match.group("channel"), match.group("url")
        if name in BROADCASTS:
            token, element = f"<!{name}>", {"type": "broadcast", "range": name}
        elif name and user_id(name):
            uid = user_id(name)
            token, element = f"<@{uid}|{name}>" if command else f"<@{uid}>", {"type": "user", "user_id": uid}
        elif channel and channel_id(channel):
            cid = channel_id(channel)
            token, element = f"<#{cid}|{channel}>", {"type": "channel", "channel_id": cid}
        elif url and not command:
            url = url.rstrip(_URL_TAIL)
            token, element = f"<{url.replace('&', '&amp;')}>", {"type": "link", "url": url}
        else:
            continue
        plain(typed[position : match.start()])
        text.append(token)
        elements.append(element)
        position = match.start() + len(url or match.group(0))
    plain(typed[position:])
    return "".join(text), elements


_INITIAL_KEYS = {"selected_option": "initial_option", "selected_options": "initial_options", "value": "initial_value"}


def _option(element: dict[str, Any], value: str) -> dict[str, Any]:
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options.extend(group.get("options") or [])
    for option in options:
        if option.get("value") == value:
            found = copy.deepcopy(option)
            if found.get("text", {}).get("type") == "plain_text":
                found["text"].setdefault("emoji", True)  # Slack adds it when echoing an option back
            return found
    raise AssertionError(
        f"{element.get('action_id')!r} has no option {value!r}; has {[o.get('value') for o in options]}"
    )


def state_value(element: dict[str, Any], given: Any = None, *, default: bool = False) -> dict[str, Any]:
    """The state entry Slack sends for an element: `given` full dict, shorthand str/list, or the initial/empty one."""
    etype = element["type"]
    if isinstance(given, dict):
        return copy.deepcopy(given)
    key, empty = _STATE_KEYS.get(etype, ("value", None))
    if default or given is None:
        initial = element.get(_INITIAL_KEYS.get(key, "initial_" + key.removeprefix("selected_")))
        return {"type": etype, key: copy.deepcopy(initial) if initial is not None else copy.deepcopy(empty)}
    values = given if isinstance(given, list) else [given]
    if etype in ("external_select", "multi_external_select"):
        chosen: Any = [{"text": {"type": "plain_text", "text": v}, "value": v} for v in values]
    elif key in ("selected_option", "selected_options"):
        chosen = [_option(element, v) for v in values]
    else:
        chosen = values
    return {"type": etype, key: chosen if isinstance(empty, list) else chosen[0]}


def find_element(blocks: list[dict[str, Any]], action_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(block, element) of the interactive element with action_id; AssertionError when there is none."""
    for block in blocks:
        for element in interactive_elements(block):
            if element.get("action_id") == action_id:
                return block, element
    present = [e.get("action_id") for b in blocks for e in interactive_elements(b)]
    raise AssertionError(f"no element with action_id {action_id!r}; present: {present}")
