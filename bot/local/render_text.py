"""Slack text as terminal text: emoji codes, mrkdwn and text objects, with the Lookup that names ids and the
terminal Style they are shown in; the local console's renderers build on these."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import partialmethod
from typing import Any

# The few emoji Liaison uses, so its messages read naturally; any other :code: is left as typed.
EMOJI = dict(
    pair.split("=")
    for pair in "ticket=🎫 red_circle=🔴 large_orange_circle=🟠 large_blue_circle=🔵 white_circle=⚪ speech_balloon=💬 "
    "lock=🔒 envelope_with_arrow=📩 arrows_counterclockwise=🔄 rotating_light=🚨 raising_hand=🙋 eyes=👀 "
    "bust_in_silhouette=👤 white_check_mark=✅ warning=⚠️ large_green_circle=🟢 large_yellow_circle=🟡 "
    "double_vertical_bar=⏸️ arrow_heading_up=⤴️ no_entry_sign=🚫 hourglass_flowing_sand=⏳".split()
)
_LINK = re.compile(r"[a-z][a-z0-9+.-]*:", re.IGNORECASE)
_ANGLE = re.compile(r"<([^<>\n]+)>")
_BOLD = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])")
_EMOJI = re.compile(r":([a-z0-9_+\-]+):")


def _nobody(_: str) -> str | None:
    return None


@dataclass(frozen=True)
class Lookup:
    """How to name things the text refers to by id: user handles, channel names, message authors, saved files."""

    user: Callable[[str], str | None] = _nobody
    channel: Callable[[str], str | None] = _nobody
    author: Callable[[str], str | None] = _nobody
    file: Callable[[str], str | None] = _nobody


@dataclass(frozen=True)
class Style:
    """Terminal emphasis: ANSI codes only when writing to a terminal, plain text otherwise."""

    color: bool = False

    def paint(self, code: str, text: str) -> str:
        """text in an ANSI style (1 bold, 2 dim, 3 italic, 33 yellow) when colouring, else unchanged."""
        return f"\033[{code}m{text}\033[0m" if self.color and text else text

    bold, dim = partialmethod(paint, "1"), partialmethod(paint, "2")
    italic, warn = partialmethod(paint, "3"), partialmethod(paint, "33")


PLAIN = Style()
NO_LOOKUP = Lookup()


def emoji(text: str) -> str:
    """Replace the emoji codes we know with the emoji."""
    return _EMOJI.sub(lambda m: EMOJI.get(m.group(1), m.group(0)), text)


def mrkdwn(text: str, lookup: Lookup = NO_LOOKUP, style: Style = PLAIN) -> str:
    """Slack mrkdwn as terminal text: mentions, channels, dates, links, emphasis, quotes and entities."""

    def angle(match: re.Match[str]) -> str:
        target, _, label = match.group(1).partition("|")
        if target.startswith("@"):
            return "@" + (lookup.user(target[1:]) or label.lstrip("@") or target[1:])
        if target.startswith("#"):
            return "#" + (lookup.channel(target[1:]) or label.lstrip("#") or target[1:])
        if target.startswith("!date^"):
            return label or target.split("^")[1]
        if target.startswith("!subteam^"):
            return label or "@" + target.split("^")[1]
        if target.startswith("!"):
            return label or "@" + target[1:]
        if not _LINK.match(target):  # no URL, such as `<command>` in usage text: show it as typed
            return match.group(0)
        url = target.removeprefix("mailto:")
        return f"{label} ({url})" if label and label != url else url

    lines = [("│ " + line[1:].lstrip()) if line.startswith(">") else line for line in text.split("\n")]
    out = _ANGLE.sub(angle, "\n".join(lines))
    out = _BOLD.sub(lambda m: style.bold(m.group(1)), out)
    out = _ITALIC.sub(lambda m: style.italic(m.group(1)), out)
    # Entities last, so escaped user text such as "&lt;@U1&gt;" stays literal and never turns into a mention.
    return emoji(out).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def text_of(obj: Any, lookup: Lookup = NO_LOOKUP, style: Style = PLAIN) -> str:
    """A text object (plain_text or mrkdwn) or a bare string as terminal text."""
    if isinstance(obj, str):
        return obj
    if not isinstance(obj, dict):
        return ""
    if obj.get("type") == "mrkdwn":
        return mrkdwn(obj.get("text", ""), lookup, style)
    text = obj.get("text", "")
    return emoji(text) if obj.get("emoji", True) else text
