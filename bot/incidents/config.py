"""The `[incidents]` part of the policy file: where incidents are announced, what counts as major, the conference
bridge, the roles and the instructions each role's holder gets by DM, and the customer liaison's on-call."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from bot.errors import ConfigError
from bot.sla.config import parse_duration
from bot.tickets import rules

SEVERITIES = ("SEV1", "SEV2", "SEV3", "SEV4")  # most severe first
STATUSES = ("investigating", "identified", "monitoring", "resolved")
COMMANDER, LIAISON = "commander", "customer-liaison"
CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,}$")
ROLE_NAME = re.compile(r"^[a-z][a-z0-9-]{0,39}$")

DEFAULT_INSTRUCTIONS = {
    COMMANDER: (
        "You lead {key}: keep the channel focused, decide, and hand roles out with `/incident role {key} <role> "
        "@someone`. Post progress with `/incident update`; resolve with `/incident resolve` when customers are fine."
    ),
    LIAISON: (
        "You speak for the customers of {key}. Post what customers should hear with `/incident update …`: it reaches "
        "every linked ticket's thread, so agents can answer their customers with the same words. Link affected "
        "tickets with `/incident link T-12` in the incident channel; tell the commander how many customers are hit."
    ),
}


@dataclass(frozen=True)
class IncidentConfig:
    channel: str | None = None
    major: str = "SEV2"
    bridge: str | None = None  # a pattern with {number}, {key} or {channel}; None: only a per-incident link
    roles: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_INSTRUCTIONS))
    liaison_schedule: str | None = None
    liaison_policy: str | None = None
    resolve_status: str | None = None
    admins: frozenset[str] = frozenset()
    # Similar tickets suggested as one incident: this many within `pattern_window`, at this similarity
    # (bot/incidents/similar.py); pattern_size 0 turns suggestions off.
    pattern_size: int = 3
    pattern_window: timedelta = timedelta(minutes=30)
    pattern_threshold: float = 0.5

    def is_major(self, severity: str) -> bool:
        return SEVERITIES.index(severity) <= SEVERITIES.index(self.major)


def parse_incidents(
    table: Mapping[str, Any], *, schedules: Mapping[str, Any], policies: Mapping[str, Any]
) -> IncidentConfig:
    key = "incidents"
    channel = table.get("channel")
    if channel is not None and (not isinstance(channel, str) or not CHANNEL_ID.match(channel)):
        raise ConfigError(f"{key}.channel: the channel incidents are announced in, as an id like 'C0123ABC'.")
    major = str(table.get("major", "SEV2")).upper()
    if major not in SEVERITIES:
        raise ConfigError(f"{key}.major: one of {', '.join(SEVERITIES)} (incidents at or above it get a liaison).")
    bridge = table.get("bridge")
    if bridge is not None and (not isinstance(bridge, str) or not bridge.startswith(("https://", "http://"))):
        raise ConfigError(f"{key}.bridge: a link pattern such as 'https://meet.example.com/inc-{{number}}'.")
    roles = dict(DEFAULT_INSTRUCTIONS)
    given = table.get("roles", {})
    if not isinstance(given, dict) or not all(isinstance(v, str) for v in given.values()):
        raise ConfigError(f"{key}.roles: role name = the instructions its holder gets by DM.")
    for name, text in given.items():
        if not ROLE_NAME.match(name):
            raise ConfigError(f"{key}.roles.{name}: role names are lower case words joined by '-', like 'scribe'.")
        roles[name] = text
    schedule = table.get("liaison_schedule")
    if schedule is not None and schedule not in schedules:
        raise ConfigError(f"{key}.liaison_schedule: no on-call schedule {schedule!r}.")
    policy = table.get("liaison_policy")
    if policy is not None and policy not in policies:
        raise ConfigError(f"{key}.liaison_policy: no escalation policy {policy!r}.")
    status = table.get("resolve_status")
    if status is not None and status not in rules.STATUSES:
        raise ConfigError(f"{key}.resolve_status: a ticket status ({', '.join(rules.STATUSES)}).")
    admins = table.get("admins", [])
    if not isinstance(admins, list) or not all(isinstance(a, str) for a in admins):
        raise ConfigError(f"{key}.admins: Slack user ids who may assign roles besides the commander.")
    patterns = table.get("patterns", {})
    if not isinstance(patterns, dict):
        raise ConfigError(f"{key}.patterns must be a table: size, window, threshold.")
    size = patterns.get("size", 3)
    if not isinstance(size, int) or isinstance(size, bool) or not (size == 0 or 2 <= size <= 50):
        raise ConfigError(f"{key}.patterns.size: how many similar tickets make a suggestion (2-50, 0 turns it off).")
    window = parse_duration(patterns.get("window", "30m"), f"{key}.patterns.window")
    threshold = patterns.get("threshold", 0.5)
    if not isinstance(threshold, int | float) or not 0 < threshold <= 1:
        raise ConfigError(f"{key}.patterns.threshold: a similarity between 0 and 1, such as 0.5.")
    return IncidentConfig(
        channel, major, bridge, roles, schedule, policy, status, frozenset(admins), size, window, float(threshold)
    )
