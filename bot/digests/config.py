"""The `[digests]` part of the policy file: thresholds, the all-clear line, template overrides and the digests the
policy file itself subscribes channels to."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.digests.figures import Thresholds
from bot.digests.filters import Filter, parse_filter
from bot.digests.schedule import Cadence, parse_cadence
from bot.errors import ConfigError, UserFacingError
from bot.sla.config import parse_duration

CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,}$")
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")
ALL_CLEAR = "All clear: no SLA target breached, none still breached and none at risk."


@dataclass(frozen=True)
class DigestSpec:
    """A digest the policy file subscribes a channel to (kept in the database under its name)."""

    name: str
    channel: str
    cadence: Cadence
    filter: Filter = Filter()


@dataclass(frozen=True)
class DigestConfig:
    timezone: str = "UTC"  # for `/ticket stats` ranges and cadences that name no zone
    limits: Thresholds = Thresholds()
    all_clear: str = ALL_CLEAR
    chart: bool = True
    templates: Path | None = None  # a directory whose digest.md.j2 / stats.md.j2 replace ours
    subscriptions: tuple[DigestSpec, ...] = field(default_factory=tuple)


def parse_digests(table: Mapping[str, Any], *, base: Path | None = None) -> DigestConfig:
    key = "digests"
    zone = table.get("timezone", "UTC")
    try:
        ZoneInfo(str(zone))
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{key}.timezone: {zone!r} is not an IANA time zone such as 'Europe/Paris'.") from None
    listed = table.get("listed", 10)
    if not isinstance(listed, int) or not 1 <= listed <= 50:
        raise ConfigError(f"{key}.listed must be a number of tickets from 1 to 50, got {listed!r}.")
    limits = Thresholds(
        at_risk=parse_duration(table.get("at_risk", "2h"), f"{key}.at_risk"),
        unusual_pause=parse_duration(table.get("unusual_pause", "3d"), f"{key}.unusual_pause"),
        listed=listed,
    )
    if limits.at_risk <= timedelta(0) or limits.unusual_pause <= timedelta(0):
        raise ConfigError(f"{key}.at_risk and {key}.unusual_pause must be longer than nothing.")
    all_clear = table.get("all_clear", ALL_CLEAR)
    if not isinstance(all_clear, str) or not all_clear.strip():
        raise ConfigError(f"{key}.all_clear must be the sentence shown when a period had nothing to report.")
    chart = table.get("chart", True)
    if not isinstance(chart, bool):
        raise ConfigError(f"{key}.chart must be true or false.")
    templates = None
    if (folder := table.get("templates")) is not None:
        templates = Path(str(folder)) if base is None else base / str(folder)
        if not templates.is_dir():
            raise ConfigError(f"{key}.templates: no directory at {templates}.")
    subscriptions = table.get("subscriptions", [])
    if not isinstance(subscriptions, list):
        raise ConfigError(f"{key}.subscriptions must be a list of tables ([[digests.subscriptions]]).")
    specs = tuple(_subscription(entry, i, str(zone)) for i, entry in enumerate(subscriptions))
    names = [spec.name for spec in specs]
    if duplicate := next((n for n in names if names.count(n) > 1), None):
        raise ConfigError(f"{key}.subscriptions: the name {duplicate!r} is used twice.")
    return DigestConfig(str(zone), limits, all_clear.strip(), chart, templates, specs)


def _subscription(entry: Any, index: int, zone: str) -> DigestSpec:
    key = f"digests.subscriptions[{index}]"
    if not isinstance(entry, dict):
        raise ConfigError(f"{key} must be a table with name, channel and every.")
    name, channel = entry.get("name"), entry.get("channel")
    if not isinstance(name, str) or not NAME.match(name):
        raise ConfigError(f"{key}.name must be a short lower-case name such as 'leads-daily', got {name!r}.")
    if not isinstance(channel, str) or not CHANNEL_ID.match(channel):
        raise ConfigError(f"{key}.channel must be a channel id like 'C0123ABC', got {channel!r}.")
    try:
        cadence = parse_cadence(str(entry.get("every", "")), zone)
        wanted = parse_filter(str(entry.get("filter", "")))
    except UserFacingError as error:
        raise ConfigError(f"{key}: {error}") from None
    return DigestSpec(name, channel, cadence, wanted)
