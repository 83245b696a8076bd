"""The `[oncall]` part of the policy file: schedules (rotation and iCalendar layers), escalation policies, people.

Every mistake raises ConfigError naming the key and the reason, so start-up stops with a sentence. A target of an
escalation level is a Slack user id (U…/W…), a Slack user group id (S…) or the name of a schedule above.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.errors import ConfigError
from bot.oncall.rotation import Rotation
from bot.sla.config import parse_duration

USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
USERGROUP_ID = re.compile(r"^S[A-Z0-9]{2,}$")
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,49}$")
ROTATIONS = {"daily": timedelta(days=1), "weekly": timedelta(days=7)}
DEFAULT_TIMEOUT = timedelta(minutes=15)
DEFAULT_REFRESH = timedelta(hours=1)
MAX_REPEAT = 9

USER, GROUP, SCHEDULE = "user", "group", "schedule"


def target_kind(target: str) -> str:
    if USER_ID.match(target):
        return USER
    if USERGROUP_ID.match(target):
        return GROUP
    return SCHEDULE


@dataclass(frozen=True)
class FeedSpec:
    """A layer imported from an iCalendar feed (a URL or a file), fetched again every `refresh`."""

    name: str
    source: str
    refresh: timedelta = DEFAULT_REFRESH


@dataclass(frozen=True)
class ScheduleSpec:
    """A schedule as written: its layers, lowest first; feed layers are filled in from their last good copy."""

    name: str
    timezone: ZoneInfo
    layers: tuple[Rotation | FeedSpec, ...]

    @property
    def feeds(self) -> tuple[FeedSpec, ...]:
        return tuple(layer for layer in self.layers if isinstance(layer, FeedSpec))


@dataclass(frozen=True)
class Level:
    targets: tuple[str, ...]
    timeout: timedelta = DEFAULT_TIMEOUT


@dataclass(frozen=True)
class EscalationPolicy:
    """Ordered levels; after the last one the ladder runs `repeat` more times before giving up."""

    name: str
    levels: tuple[Level, ...]
    repeat: int = 0
    # Also trigger, acknowledge and resolve a PagerDuty alert (needs [pagerduty] in the policy file).
    pagerduty: bool = False

    def snapshot(self) -> dict[str, Any]:
        """What a page keeps, so editing the policy file never changes a page already running."""
        return {
            "name": self.name,
            "repeat": self.repeat,
            "pagerduty": self.pagerduty,
            "levels": [{"targets": list(lv.targets), "timeout": int(lv.timeout.total_seconds())} for lv in self.levels],
        }


@dataclass(frozen=True)
class OnCallBook:
    schedules: Mapping[str, ScheduleSpec] = field(default_factory=dict)
    policies: Mapping[str, EscalationPolicy] = field(default_factory=dict)
    # People in iCalendar feeds (email or name, lower case) → Slack user id.
    people: Mapping[str, str] = field(default_factory=dict)
    default_policy: str | None = None
    # How long a direct page (`/page @user …`, `/page <schedule> …`) waits for an acknowledgement per round.
    direct_timeout: timedelta = DEFAULT_TIMEOUT
    direct_repeat: int = 2

    def feeds(self) -> list[tuple[str, FeedSpec]]:
        return [(schedule.name, feed) for schedule in self.schedules.values() for feed in schedule.feeds]


def parse_oncall(data: Mapping[str, Any]) -> OnCallBook:
    people = data.get("people", {})
    if not isinstance(people, dict) or not all(
        isinstance(v, str) and USER_ID.match(v) and isinstance(k, str) for k, v in people.items()
    ):
        raise ConfigError('oncall.people maps an email or a name to a Slack user id, like { "a@x.com" = "U0A1" }.')
    schedules = {name: _schedule(name, table) for name, table in _tables(data, "schedules").items()}
    policies = {name: _policy(name, table, schedules) for name, table in _tables(data, "policies").items()}
    default = data.get("default_policy")
    if default is not None and default not in policies:
        raise ConfigError(f"oncall.default_policy: no policy named {default!r}; the policies are {_names(policies)}.")
    if default is None and len(policies) == 1:
        default = next(iter(policies))
    return OnCallBook(
        schedules=schedules,
        policies=policies,
        people={k.strip().lower(): v for k, v in people.items()},
        default_policy=default,
        direct_timeout=parse_duration(data.get("direct_timeout", "15m"), "oncall.direct_timeout"),
        direct_repeat=_repeat(data.get("direct_repeat", 2), "oncall.direct_repeat"),
    )


def _tables(data: Mapping[str, Any], name: str) -> dict[str, dict[str, Any]]:
    tables = data.get(name, {})
    if not isinstance(tables, dict) or not all(isinstance(t, dict) for t in tables.values()):
        raise ConfigError(f"oncall.{name} must hold one table per {name[:-1]}, like [oncall.{name}.primary].")
    for key in tables:
        if not NAME.match(key):
            raise ConfigError(
                f"oncall.{name}.{key}: names are lower case letters, digits, '-' and '_' (people type them)."
            )
    return tables


def _schedule(name: str, table: dict[str, Any]) -> ScheduleSpec:
    key = f"oncall.schedules.{name}"
    zone = _zone(table.get("timezone"), f"{key}.timezone")
    layers = table.get("layers")
    if not isinstance(layers, list) or not layers or not all(isinstance(layer, dict) for layer in layers):
        raise ConfigError(f"{key}.layers: a schedule needs at least one layer ([[{key}.layers]]).")
    return ScheduleSpec(name, zone, tuple(_layer(layer, f"{key}.layers[{i}]", zone) for i, layer in enumerate(layers)))


def _layer(table: dict[str, Any], key: str, zone: ZoneInfo) -> Rotation | FeedSpec:
    name = str(table.get("name", key.rsplit(".", 1)[-1]))
    if "ical" in table:
        source = table["ical"]
        if not isinstance(source, str) or not source.strip():
            raise ConfigError(f"{key}.ical: the URL or file path of an iCalendar feed.")
        return FeedSpec(name, source.strip(), parse_duration(table.get("refresh", "1h"), f"{key}.refresh"))
    users = table.get("users")
    if not isinstance(users, list) or not users or not all(isinstance(u, str) and USER_ID.match(u) for u in users):
        raise ConfigError(f"{key}.users: the people taking turns, as Slack user ids like 'U0123ABC'.")
    rotation = table.get("rotation", "weekly")
    length = ROTATIONS.get(rotation) if isinstance(rotation, str) else None
    if length is None:
        length = parse_duration(rotation, f"{key}.rotation (daily, weekly or a length such as '12h')")
    start = table.get("start")
    try:
        first = start if isinstance(start, datetime) else datetime.fromisoformat(str(start))
    except ValueError:
        first = None
    if first is None or first.tzinfo is not None:
        raise ConfigError(
            f"{key}.start: the first hand-off as local wall-clock time without a zone, like 2026-11-30T09:00 "
            "(the schedule's timezone applies, so hand-offs keep their time across DST)."
        )
    return Rotation(name=name, users=tuple(users), timezone=zone, start=first, length=length)


def _policy(name: str, table: dict[str, Any], schedules: Mapping[str, ScheduleSpec]) -> EscalationPolicy:
    key = f"oncall.policies.{name}"
    levels = table.get("levels")
    if not isinstance(levels, list) or not levels or not all(isinstance(level, dict) for level in levels):
        raise ConfigError(f'{key}.levels: a policy needs at least one level, like {{ targets = ["primary"] }}.')
    parsed = []
    for i, level in enumerate(levels):
        level_key = f"{key}.levels[{i}]"
        targets = level.get("targets")
        if not isinstance(targets, list) or not targets or not all(isinstance(t, str) for t in targets):
            raise ConfigError(f"{level_key}.targets: Slack user ids, user group ids or schedule names.")
        for target in targets:
            if target_kind(target) == SCHEDULE and target not in schedules:
                raise ConfigError(
                    f"{level_key}.targets: {target!r} is not a Slack user id (U…), a user group id (S…) or a "
                    f"schedule; the schedules are {_names(schedules)}."
                )
        timeout = parse_duration(level.get("timeout", "15m"), f"{level_key}.timeout")
        parsed.append(Level(tuple(dict.fromkeys(targets)), timeout))
    pagerduty = table.get("pagerduty", False)
    if not isinstance(pagerduty, bool):
        raise ConfigError(f"{key}.pagerduty: true or false.")
    return EscalationPolicy(name, tuple(parsed), _repeat(table.get("repeat", 0), f"{key}.repeat"), pagerduty)


def _repeat(value: Any, key: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_REPEAT:
        raise ConfigError(f"{key}: how many more times to run the levels after the last one, 0 to {MAX_REPEAT}.")
    return value


def _zone(value: Any, key: str) -> ZoneInfo:
    if not isinstance(value, str):
        raise ConfigError(f"{key} is required: an IANA time zone such as 'America/New_York'.")
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{key}: {value!r} is not an IANA time zone such as 'Europe/Berlin'.") from None


def _names(table: Mapping[str, Any]) -> str:
    return ", ".join(sorted(table)) or "(none)"
