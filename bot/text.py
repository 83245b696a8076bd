"""Making user text safe for Slack: escape mrkdwn control characters and cut to Slack's limits, visibly."""

from __future__ import annotations

TRUNCATION_MARKER = "… (truncated)"


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


def plain(text: str, limit: int) -> str:
    """User text for a plain_text field (Slack shows it literally; only the length needs care)."""
    return truncate(" ".join(text.split()) if "\n" in text else text, limit)
