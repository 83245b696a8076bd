"""The `[routing]` part of the policy file: which agent is offered an unassigned ticket, and for how long.

```toml
[routing]
enabled = true                 # default: true when [routing.agents] lists someone
offer_timeout = "5m"           # how long an agent has to take an offered ticket (30s to 24h)
max_open = 5                   # open tickets an agent may hold before no more are offered (the default cap)
fallback_policy = "support"    # an [oncall.policies] name paged when nobody can take a ticket

[routing.agents.U0ALICE01]     # a Slack user id
skills = ["billing", "api"]    # short lower-case words
max_open = 8                   # this agent's cap instead of the section's
calendar = "support-hours"     # a [calendars] name: offered tickets only in these hours (default: any time)

[[routing.rules]]              # tried in order: the first that matches says which skills a ticket needs
name = "premium-api"
match = { tiers = ["premium"], priorities = ["P1", "P2"] }   # like an SLA policy's match; {} matches every ticket
skills = ["api"]
```

A ticket no rule matches needs no skill. An agent not listed has no skills, the section's cap and any hours.
Every mistake raises ConfigError with one sentence naming the key, so start-up stops.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from bot.errors import ConfigError
from bot.sla.config import parse_duration
from bot.sla.policy import Calendar, Match
from bot.tickets import rules as vocabulary

USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
SKILL = re.compile(r"^[a-z][a-z0-9-]{0,29}$")
KEYS = ("enabled", "offer_timeout", "max_open", "fallback_policy", "agents", "rules")
AGENT_KEYS = ("skills", "max_open", "calendar")
RULE_KEYS = ("name", "match", "skills")
CONDITIONS = ("tiers", "priorities", "sources", "customers")
MIN_TIMEOUT, MAX_TIMEOUT = timedelta(seconds=30), timedelta(hours=24)


@dataclass(frozen=True)
class AgentProfile:
    user_id: str
    skills: frozenset[str] = frozenset()
    max_open: int | None = None  # None: the section's default
    calendar: Calendar | None = None  # the agent's working hours; None: always available


@dataclass(frozen=True)
class RoutingRule:
    name: str
    match: Match
    skills: frozenset[str]  # what an agent needs for the tickets this rule matches


@dataclass(frozen=True)
class RoutingConfig:
    enabled: bool = False
    offer_timeout: timedelta = timedelta(minutes=5)
    max_open: int = 5
    fallback_policy: str | None = None
    agents: Mapping[str, AgentProfile] = field(default_factory=dict)
    rules: tuple[RoutingRule, ...] = ()

    def needs(self, *, tier: str, priority: str, source: str, customer: str) -> frozenset[str]:
        """The skills of the first rule matching the ticket; none when no rule does."""
        for rule in self.rules:
            if rule.match.accepts(tier=tier, priority=priority, source=source, customer=customer):
                return rule.skills
        return frozenset()

    def cap(self, user_id: str) -> int:
        limit = self.profile(user_id).max_open
        return self.max_open if limit is None else limit

    def profile(self, user_id: str) -> AgentProfile:
        return self.agents.get(user_id) or AgentProfile(user_id)


def parse_routing(
    table: Mapping[str, Any], *, calendars: Mapping[str, Calendar], policies: Collection[str]
) -> RoutingConfig:
    key = "routing"
    _known(table, KEYS, key)
    agents = _agents(table.get("agents", {}), calendars)
    enabled = table.get("enabled", bool(agents))
    if not isinstance(enabled, bool):
        raise ConfigError(f"{key}.enabled: true or false, got {enabled!r}.")
    timeout = parse_duration(table.get("offer_timeout", "5m"), f"{key}.offer_timeout")
    if not MIN_TIMEOUT <= timeout <= MAX_TIMEOUT:
        raise ConfigError(
            f"{key}.offer_timeout: how long an agent has to take an offered ticket, from 30s to 24h, "
            f"got {table['offer_timeout']!r}."
        )
    max_open = _cap(table.get("max_open", 5), f"{key}.max_open")
    fallback = table.get("fallback_policy")
    if fallback is not None and (not isinstance(fallback, str) or fallback not in policies):
        known = ", ".join(sorted(policies)) or "none"
        raise ConfigError(f"{key}.fallback_policy: no escalation policy {fallback!r}; the policies are {known}.")
    return RoutingConfig(enabled, timeout, max_open, fallback, agents, _rules(table.get("rules", []), agents))


def _agents(table: Any, calendars: Mapping[str, Calendar]) -> dict[str, AgentProfile]:
    if not isinstance(table, dict):
        raise ConfigError("routing.agents must be a table of agents by Slack user id, like [routing.agents.U0123ABC].")
    agents = {}
    for user_id, spec in table.items():
        key = f"routing.agents.{user_id}"
        if not USER_ID.match(user_id):
            raise ConfigError(f"{key}: agents are listed by Slack user id, like [routing.agents.U0123ABC].")
        if not isinstance(spec, dict):
            raise ConfigError(f"{key} must be a table with skills, max_open and calendar.")
        _known(spec, AGENT_KEYS, key)
        calendar = spec.get("calendar")
        if calendar is not None and (not isinstance(calendar, str) or calendar not in calendars):
            known = ", ".join(sorted(calendars)) or "none"
            raise ConfigError(f"{key}.calendar: no calendar named {calendar!r}; the calendars are {known}.")
        max_open = spec.get("max_open")
        agents[user_id] = AgentProfile(
            user_id,
            _skills(spec.get("skills", []), f"{key}.skills"),
            None if max_open is None else _cap(max_open, f"{key}.max_open"),
            None if calendar is None else calendars[calendar],
        )
    return agents


def _rules(items: Any, agents: Mapping[str, AgentProfile]) -> tuple[RoutingRule, ...]:
    if not isinstance(items, list):
        raise ConfigError("routing.rules must be a list of tables, written [[routing.rules]].")
    declared = frozenset().union(*(agent.skills for agent in agents.values()))
    found: list[RoutingRule] = []
    for index, spec in enumerate(items):
        key = f"routing.rules[{index}]"
        if not isinstance(spec, dict):
            raise ConfigError(f"{key} must be a table with name, match and skills.")
        _known(spec, RULE_KEYS, key)
        name = spec.get("name")
        if not isinstance(name, str) or not name.strip():
            raise ConfigError(f"{key}.name is required: a name for the rule, such as 'premium-api'.")
        if any(rule.name == name for rule in found):
            raise ConfigError(f"{key}.name: the rule name {name!r} is used twice; names must be unique.")
        if found and found[-1].match == Match():
            raise ConfigError(f"{key} can never match: rule {found[-1].name!r} before it matches every ticket.")
        if "skills" not in spec:
            raise ConfigError(f'{key}.skills is required: the skills these tickets need, like ["api"] ([] for any).')
        skills = _skills(spec["skills"], f"{key}.skills")
        if missing := sorted(skills - declared):
            known = ", ".join(sorted(declared)) or "none"
            raise ConfigError(f"{key}.skills: no agent has the skill {missing[0]!r}; the skills are {known}.")
        found.append(RoutingRule(name, _match(spec.get("match", {}), f"{key}.match"), skills))
    return tuple(found)


def _match(table: Any, key: str) -> Match:
    if not isinstance(table, dict):
        raise ConfigError(f'{key} must be a table such as {{ tiers = ["premium"], priorities = ["P1"] }}.')
    _known(table, CONDITIONS, key)
    values = {}
    for name in CONDITIONS:
        given = table.get(name, [])
        if not isinstance(given, list) or not all(isinstance(v, str) and v for v in given):
            raise ConfigError(f"{key}.{name} must be a list of words, such as {name} = [...].")
        values[name] = frozenset(given)
    for name, allowed in (("tiers", vocabulary.TIERS), ("priorities", vocabulary.PRIORITIES)):
        if bad := sorted(values[name] - set(allowed)):
            raise ConfigError(f"{key}.{name}: {bad[0]!r} is not one of {', '.join(allowed)}.")
    values["customers"] = frozenset(c.lower() for c in values["customers"])
    return Match(**values)


def _skills(value: Any, key: str) -> frozenset[str]:
    if not isinstance(value, list) or not all(isinstance(s, str) and SKILL.match(s) for s in value):
        raise ConfigError(f'{key}: a list of short lower-case words such as ["billing", "api"], got {value!r}.')
    return frozenset(value)


def _cap(value: Any, key: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigError(f"{key}: how many open tickets an agent may hold, a whole number from 1, got {value!r}.")
    return value


def _known(table: Mapping[str, Any], allowed: tuple[str, ...], key: str) -> None:
    if unknown := sorted(set(table) - set(allowed)):
        raise ConfigError(f"{key}.{unknown[0]}: unknown key; use {', '.join(allowed)}.")
