"""User text in and out of Slack: decode what Slack sends once, escape once where Slack parses mrkdwn, cut visibly."""

from __future__ import annotations

import re
from collections.abc import Callable

TRUNCATION_MARKER = "… (truncated)"

_ENTITY = re.compile(r"&(amp|lt|gt);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">"}
# In text Slack sends, < and > typed by a person arrive as entities, so every <…> is one of Slack's tokens.
_TOKEN = re.compile(r"<([^<>]*)>")


def unescape(text: str) -> str:
    """Undo Slack's encoding of `&`, `<` and `>` (one pass, so a typed "&lt;" survives as "&lt;")."""
    return _ENTITY.sub(lambda m: _ENTITIES[m.group(1)], text)


def from_slack(text: str, user_name: Callable[[str], str | None] | None = None) -> str:
    """What a person typed, from Slack-encoded text (slash-command text, message text).

    Slack's tokens become the words the person saw, so stored text can never ping when shown again:
    `<@U1|bob>` → `@bob` (`user_name` resolves a mention without a label), `<!here>` → `@here`,
    `<#C1|general>` → `#general`, `<https://x|docs>` → `docs (https://x)`.
    """
    out, position = [], 0
    for match in _TOKEN.finditer(text):
        out += [unescape(text[position : match.start()]), _readable(unescape(match.group(1)), user_name)]
        position = match.end()
    out.append(unescape(text[position:]))
    return "".join(out)


def _readable(token: str, user_name: Callable[[str], str | None] | None) -> str:
    target, _, label = token.partition("|")
    if target.startswith("@"):
        return "@" + (label or (user_name(target[1:]) if user_name else None) or target[1:])
    if target.startswith("#"):
        return "#" + (label or target[1:])
    if target.startswith("!"):  # <!here>, <!subteam^S1|@support>, <!date^…|fallback>
        kind, _, rest = target[1:].partition("^")
        if kind in ("here", "channel", "everyone"):
            return "@" + kind
        return label or "@" + (rest.split("^")[0] if rest else kind)
    url = target.removeprefix("mailto:")
    return f"{label} ({url})" if label and label != url else url


def escape(text: str) -> str:
    """Escape `&`, `<` and `>` so user text can never form a mention (`<!channel>`, `<@U…>`) or a link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def truncate(text: str, limit: int, marker: str = TRUNCATION_MARKER) -> str:
    """Cut `text` to at most `limit` characters, ending with a marker when anything was cut."""
    if len(text) <= limit:
        return text
    return text[: max(limit - len(marker), 0)].rstrip() + marker


def mrkdwn(text: str, limit: int = 3000) -> str:
    """User text for a mrkdwn field: escaped first, then cut so an escape sequence is never split."""
    escaped = escape(text)
    if len(escaped) <= limit:
        return escaped
    cut = escaped[: max(limit - len(TRUNCATION_MARKER), 0)]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut.rstrip() + TRUNCATION_MARKER


def code(text: str, limit: int = 40) -> str:
    """A word the person typed, quoted back in `code` inside an answer: short, escaped, without backticks."""
    return escape(truncate(text.replace("`", "'"), limit, "…"))


def plain(text: str, limit: int) -> str:
    """User text for a plain_text field (Slack shows it literally; only the length needs care)."""
    return truncate(" ".join(text.split()) if "\n" in text else text, limit)
