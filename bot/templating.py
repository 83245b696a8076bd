"""The Jinja2 environment for prose (activity lines, usage, announcements), with a Slack-safe `mrkdwn` filter."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from bot.text import mrkdwn

# Slack is not HTML: autoescape would turn ' into &#39;. User text goes through the mrkdwn filter instead.
environment = Environment(
    loader=PackageLoader("bot", "templates"),
    autoescape=False,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=False,
)
environment.filters["mrkdwn"] = mrkdwn


def render(name: str, **context: Any) -> str:
    return environment.get_template(name).render(**context).strip()
