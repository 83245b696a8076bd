"""The [routing] section: the documented shape, the defaults, and a sentence naming the key for each mistake."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bot.errors import ConfigError
from bot.routing.config import AgentProfile, RoutingConfig, parse_routing
from bot.sla.config import parse_calendars

CALENDARS = parse_calendars({"support-hours": {"timezone": "Europe/Paris", "weekdays": ["09:00-17:00"]}})
POLICIES = ("support", "platform")
TICKET = {"tier": "standard", "priority": "P3", "source": "command", "customer": "Acme"}


def parse(table: dict[str, Any]) -> RoutingConfig:
    return parse_routing(table, calendars=CALENDARS, policies=POLICIES)


def documented() -> dict[str, Any]:
    return {
        "offer_timeout": "5m",
        "max_open": 5,
        "fallback_policy": "support",
        "agents": {
            "U0ALICE01": {"skills": ["billing", "api"], "max_open": 8, "calendar": "support-hours"},
            "U0BOB0001": {"skills": ["billing"]},
        },
        "rules": [
            {"name": "premium-api", "match": {"tiers": ["premium"], "priorities": ["P1", "P2"]}, "skills": ["api"]},
            {"name": "acme", "match": {"customers": ["ACME"]}, "skills": ["billing"]},
            {"name": "rest", "skills": []},
        ],
    }


def test_the_documented_section() -> None:
    config = parse(documented())
    assert config.enabled is True
    assert config.offer_timeout == timedelta(minutes=5)
    assert config.fallback_policy == "support"
    alice = config.profile("U0ALICE01")
    assert alice.skills == {"billing", "api"} and alice.calendar is CALENDARS["support-hours"]
    assert config.cap("U0ALICE01") == 8 and config.cap("U0BOB0001") == 5
    assert config.profile("U0BOB0001").calendar is None
    assert [rule.name for rule in config.rules] == ["premium-api", "acme", "rest"]


def test_needs_is_the_first_matching_rule() -> None:
    config = parse(documented())
    assert config.needs(**{**TICKET, "tier": "premium", "priority": "P1"}) == {"api"}
    assert config.needs(**{**TICKET, "tier": "premium", "priority": "P3"}) == {"billing"}  # acme, lower-cased
    assert config.needs(**{**TICKET, "customer": "Globex"}) == frozenset()  # "rest"
    assert parse({}).needs(**TICKET) == frozenset()


def test_an_unknown_agent_has_the_defaults() -> None:
    config = parse({"max_open": 3})
    assert config.profile("U0NEW0001") == AgentProfile("U0NEW0001")
    assert config.cap("U0NEW0001") == 3


@pytest.mark.parametrize(
    ("table", "enabled"),
    [
        ({}, False),
        ({"max_open": 4}, False),
        ({"agents": {"U0ALICE01": {}}}, True),
        ({"agents": {"U0ALICE01": {}}, "enabled": False}, False),
        ({"enabled": True}, True),
    ],
)
def test_enabled_defaults_to_having_agents(table: dict[str, Any], enabled: bool) -> None:
    assert parse(table).enabled is enabled


def test_the_defaults() -> None:
    assert parse({}) == RoutingConfig()


def test_the_24_7_calendar_and_timeout_bounds() -> None:
    config = parse({"offer_timeout": "30s", "agents": {"W0CAROL01": {"calendar": "24/7"}}})
    assert config.offer_timeout == timedelta(seconds=30)
    assert config.profile("W0CAROL01").calendar is CALENDARS["24/7"]
    assert parse({"offer_timeout": "1d"}).offer_timeout == timedelta(hours=24)


def with_(path: str, value: Any) -> dict[str, Any]:
    """The documented section with one value replaced; `path` is dotted, a number indexes a list."""
    table = documented()
    *parents, last = path.split(".")
    node: Any = table
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    node[int(last) if last.isdigit() else last] = value
    return table


ERRORS = [
    (with_("agents.alice", {}), "routing.agents.alice: agents are listed by Slack user id, like [routing.agents."),
    (
        with_("agents.U0ALICE01.calendar", "night"),
        "routing.agents.U0ALICE01.calendar: no calendar named 'night'; the calendars are 24/7, support-hours.",
    ),
    (
        with_("rules.0.skills", ["kubernetes"]),
        "routing.rules[0].skills: no agent has the skill 'kubernetes'; the skills are api, billing.",
    ),
    (
        {"rules": [{"name": "k8s", "skills": ["kubernetes"]}]},
        "routing.rules[0].skills: no agent has the skill 'kubernetes'; the skills are none.",
    ),
    (
        with_("fallback_policy", "nobody"),
        "routing.fallback_policy: no escalation policy 'nobody'; the policies are platform, support.",
    ),
    (with_("max_open", 0), "routing.max_open: how many open tickets an agent may hold, a whole number from 1, got 0."),
    (with_("max_open", "5"), "routing.max_open: how many open tickets an agent may hold"),
    (with_("max_open", True), "routing.max_open: how many open tickets an agent may hold"),
    (with_("agents.U0BOB0001.max_open", -1), "routing.agents.U0BOB0001.max_open: how many open tickets"),
    (with_("offer_timeout", "soon"), "routing.offer_timeout: 'soon' is not a duration"),
    (with_("offer_timeout", 300), "routing.offer_timeout: 300 is not a duration"),
    (
        with_("offer_timeout", "10s"),
        "routing.offer_timeout: how long an agent has to take an offered ticket, from 30s to 24h, got '10s'.",
    ),
    (with_("offer_timeout", "1d1s"), "routing.offer_timeout: how long an agent has to take an offered ticket"),
    (
        with_("rules.1.name", "premium-api"),
        "routing.rules[1].name: the rule name 'premium-api' is used twice; names must be unique.",
    ),
    (with_("rules.1.name", ""), "routing.rules[1].name is required"),
    (
        with_("rules", documented()["rules"][::-1]),
        "routing.rules[1] can never match: rule 'rest' before it matches every ticket.",
    ),
    (
        with_("agents.U0BOB0001.skills", ["Billing"]),
        "routing.agents.U0BOB0001.skills: a list of short lower-case "
        'words such as ["billing", "api"], got [\'Billing\'].',
    ),
    (with_("agents.U0BOB0001.skills", "billing"), "routing.agents.U0BOB0001.skills: a list of short lower-case"),
    (with_("agents.U0BOB0001.skills", ["billing and invoices"]), "routing.agents.U0BOB0001.skills: a list of"),
    (with_("agents.U0BOB0001.skills", ["x" * 31]), "routing.agents.U0BOB0001.skills: a list of short lower-case"),
    (with_("rules.0.skills", ["API"]), "routing.rules[0].skills: a list of short lower-case words"),
    (with_("rules.2", {"name": "rest"}), "routing.rules[2].skills is required"),
    (
        with_("rules.0.match", {"tiers": ["gold"]}),
        "routing.rules[0].match.tiers: 'gold' is not one of premium, standard.",
    ),
    (with_("rules.0.match", {"priorities": ["p1"]}), "routing.rules[0].match.priorities: 'p1' is not one of P1"),
    (with_("rules.0.match", {"tiers": "premium"}), "routing.rules[0].match.tiers must be a list of words"),
    (
        with_("rules.0.match", {"tier": ["premium"]}),
        "routing.rules[0].match.tier: unknown key; use tiers, priorities, sources, customers.",
    ),
    (with_("rules.0.match", "premium"), "routing.rules[0].match must be a table such as"),
    (with_("rules.0", "premium-api"), "routing.rules[0] must be a table with name, match and skills."),
    (with_("rules", {"name": "x"}), "routing.rules must be a list of tables, written [[routing.rules]]."),
    (with_("agents", ["U0ALICE01"]), "routing.agents must be a table of agents by Slack user id"),
    (with_("agents.U0BOB0001", ["billing"]), "routing.agents.U0BOB0001 must be a table with skills, max_open and"),
    (
        with_("agents.U0BOB0001.skill", ["billing"]),
        "routing.agents.U0BOB0001.skill: unknown key; use skills, max_open, calendar.",
    ),
    (with_("enabled", "yes"), "routing.enabled: true or false, got 'yes'."),
    (
        with_("offer_timout", "5m"),
        "routing.offer_timout: unknown key; use enabled, offer_timeout, max_open, fallback_policy, agents, rules.",
    ),
]


@pytest.mark.parametrize(("table", "message"), ERRORS)
def test_each_mistake_is_one_sentence_naming_the_key(table: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse(table)
    assert str(raised.value).startswith(message)
    assert str(raised.value).endswith(".")
