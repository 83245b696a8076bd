"""Pieces shared by the builders: dates readers see in their own time zone, people, and block serialisation."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import Block, Option

from bot.tickets import rules


def slack_date(moment: datetime, fmt: str = "{date_short_pretty} at {time}") -> str:
    """A date Slack renders in each reader's own time zone, with a UTC fallback."""
    fallback = moment.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{fmt}|{fallback}>"


def person(user_id: str | None, nobody: str = "Unassigned") -> str:
    return f"<@{user_id}>" if user_id else f"_{nobody}_"


def as_dicts(blocks: Sequence[Block]) -> list[dict[str, Any]]:
    """Validate every block against Slack's limits and serialise it (`to_dict` validates, then serialises)."""
    return [block.to_dict() for block in blocks]


def status_options() -> list[Option]:
    return [Option(value=s, text=rules.STATUS_LABELS[s]) for s in rules.STATUSES]


def priority_options() -> list[Option]:
    return [Option(value=p, text=rules.PRIORITY_LABELS[p]) for p in rules.PRIORITIES]


def option_for(options: list[Option], value: str) -> Option | None:
    return next((option for option in options if option.value == value), None)
