"""The policy file (LIAISON_CONFIG, TOML): read once at start-up; a bad key stops start-up with a clear sentence."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.customers.config import CustomerConfig, parse_customers
from bot.digests.config import DigestConfig, parse_digests
from bot.errors import ConfigError
from bot.incidents.config import IncidentConfig, parse_incidents
from bot.oncall.config import USER, OnCallBook, parse_oncall, target_kind
from bot.pagerduty import PagerDutyConfig
from bot.routing.config import RoutingConfig, parse_routing
from bot.sla.config import parse_calendars, parse_policies
from bot.sla.policy import PolicyBook

CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,}$")
USERGROUP_ID = re.compile(r"^S[A-Z0-9]{2,}$")
EMOJI_NAME = re.compile(r"^[a-z0-9_+'-]+$")


@dataclass(frozen=True)
class LiaisonConfig:
    queue_channel: str
    ticket_emoji: str = "ticket"
    agent_usergroup: str | None = None
    agent_channel: str | None = None
    admins: frozenset[str] = field(default_factory=frozenset)
    sla: PolicyBook = field(default_factory=PolicyBook)
    oncall: OnCallBook = field(default_factory=OnCallBook)
    pagerduty: PagerDutyConfig | None = None
    incidents: IncidentConfig = field(default_factory=IncidentConfig)
    digests: DigestConfig = field(default_factory=DigestConfig)
    customers: CustomerConfig = field(default_factory=CustomerConfig)
    routing: RoutingConfig = field(default_factory=RoutingConfig)

    @classmethod
    def load(cls, path: Path) -> LiaisonConfig:
        if not path.is_file():
            raise ConfigError(f"LIAISON_CONFIG: no policy file at {path}.")
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(f"{path}: not valid TOML ({error}).") from error
        return cls.from_dict(data, source=str(path), base=path.parent)

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, source: str = "config", base: Path | None = None) -> LiaisonConfig:
        tickets = _table(data, "tickets", source)
        agents = _table(data, "agents", source)
        queue = tickets.get("queue_channel")
        if not isinstance(queue, str) or not CHANNEL_ID.match(queue):
            raise ConfigError(
                f"{source}: tickets.queue_channel must be a Slack channel id like 'C0123ABC', got {queue!r}."
            )
        emoji = str(tickets.get("emoji", "ticket")).strip(":")
        if not EMOJI_NAME.match(emoji):
            raise ConfigError(f"{source}: tickets.emoji must be an emoji name such as 'ticket', got {emoji!r}.")
        usergroup = agents.get("usergroup")
        if usergroup is not None and (not isinstance(usergroup, str) or not USERGROUP_ID.match(usergroup)):
            raise ConfigError(f"{source}: agents.usergroup must be a user group id like 'S0123ABC', got {usergroup!r}.")
        channel = agents.get("channel")
        if channel is not None and (not isinstance(channel, str) or not CHANNEL_ID.match(channel)):
            raise ConfigError(f"{source}: agents.channel must be a channel id like 'C0123ABC', got {channel!r}.")
        admins = agents.get("admins", [])
        if not isinstance(admins, list) or not all(isinstance(a, str) for a in admins):
            raise ConfigError(f"{source}: agents.admins must be a list of Slack user ids.")
        calendars = parse_calendars(_table(data, "calendars", source))
        sla = parse_policies(_table(data, "sla", source), calendars)
        oncall = parse_oncall(_table(data, "oncall", source))
        _check_ladders(sla, oncall, source)
        pagerduty = PagerDutyConfig.parse(_table(data, "pagerduty", source))
        if pagerduty is None and (uses := sorted(n for n, p in oncall.policies.items() if p.pagerduty)):
            raise ConfigError(f"{source}: policy {uses[0]!r} pages PagerDuty, but there is no [pagerduty] routing_key.")
        incidents = parse_incidents(
            _table(data, "incidents", source), schedules=oncall.schedules, policies=oncall.policies
        )
        try:
            digests = parse_digests(_table(data, "digests", source), base=base)
        except ConfigError as error:
            raise ConfigError(f"{source}: {error}") from None
        customers = parse_customers(_table(data, "customers", source))
        routing = parse_routing(_table(data, "routing", source), calendars=calendars, policies=oncall.policies)
        return cls(
            queue,
            emoji,
            usergroup,
            channel,
            frozenset(admins),
            sla,
            oncall,
            pagerduty,
            incidents,
            digests,
            customers,
            routing,
        )


def _check_ladders(sla: PolicyBook, oncall: OnCallBook, source: str) -> None:
    """Breach ladders name on-call schedules and escalation policies: each name must exist."""
    for key, step in sla.ladders():
        if step.page is not None and step.page not in oncall.policies:
            known = ", ".join(sorted(oncall.policies)) or "none"
            raise ConfigError(f"{source}: {key}.page: no escalation policy {step.page!r}; the policies are {known}.")
        for name in step.notify:
            if name in ("assignee", "channel") or target_kind(name) == USER or name in oncall.schedules:
                continue
            raise ConfigError(
                f'{source}: {key}.notify: {name!r} is not "assignee", "channel", a Slack user id or a schedule.'
            )


def _table(data: dict[str, Any], name: str, source: str) -> dict[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{source}: [{name}] must be a table.")
    return value
