"""The `[customers]` part of the policy file: customers with their tier and shared Slack channel, and what a
customer's message in that channel does."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.errors import ConfigError
from bot.tickets import rules

CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,}$")
# What opens a ticket from a customer's top-level message in their shared channel: every such message, or only
# an agent's emoji reaction or the "Create ticket" shortcut on it.
OPEN_ON_MESSAGE, OPEN_ON_EMOJI = "message", "emoji"


@dataclass(frozen=True)
class Account:
    name: str
    tier: str
    channel: str | None = None


@dataclass(frozen=True)
class CustomerConfig:
    open_on: str = OPEN_ON_MESSAGE
    accounts: tuple[Account, ...] = field(default_factory=tuple)
    # The satisfaction survey when a ticket is solved, and the score at or below which the team hears of it.
    survey: bool = True
    low_score: int = 2


def parse_customers(table: Mapping[str, Any]) -> CustomerConfig:
    open_on = table.get("open_on", OPEN_ON_MESSAGE)
    if open_on not in (OPEN_ON_MESSAGE, OPEN_ON_EMOJI):
        raise ConfigError(
            f'customers.open_on must be "{OPEN_ON_MESSAGE}" (every top-level message from a customer opens a '
            f'ticket) or "{OPEN_ON_EMOJI}" (only the emoji or the shortcut does), got {open_on!r}.'
        )
    accounts = []
    for key, spec in table.get("accounts", {}).items():
        where = f"customers.accounts.{key}"
        if not isinstance(spec, dict):
            raise ConfigError(f"{where} must be a table with name, tier and channel.")
        name = " ".join(str(spec.get("name", key)).split())
        tier = spec.get("tier", "standard")
        if tier not in rules.TIERS:
            raise ConfigError(f"{where}.tier must be one of {', '.join(rules.TIERS)}, got {tier!r}.")
        channel = spec.get("channel")
        if channel is not None and (not isinstance(channel, str) or not CHANNEL_ID.match(channel)):
            raise ConfigError(f"{where}.channel must be the shared channel's id like 'C0123ABC', got {channel!r}.")
        accounts.append(Account(name, tier, channel))
    channels = [a.channel for a in accounts if a.channel]
    if twice := next((c for c in channels if channels.count(c) > 1), None):
        raise ConfigError(f"customers.accounts: the channel {twice} is given to two customers.")
    names = [a.name.lower() for a in accounts]
    if twice := next((n for n in names if names.count(n) > 1), None):
        raise ConfigError(f"customers.accounts: the customer {twice!r} is there twice.")
    survey, low = table.get("survey", True), table.get("low_score", 2)
    if not isinstance(survey, bool):
        raise ConfigError(f"customers.survey must be true or false, got {survey!r}.")
    if not isinstance(low, int) or isinstance(low, bool) or not 0 <= low <= 4:
        raise ConfigError(f"customers.low_score must be a score from 0 (never) to 4, got {low!r}.")
    return CustomerConfig(open_on, tuple(accounts), survey, low)
