"""The policy file's calendars and SLA policies: the example loads, and every mistake names its key."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.config import LiaisonConfig
from bot.errors import ConfigError
from bot.sla.calendar import AlwaysOpen

ROOT = Path(__file__).resolve().parents[3]
BASE = '[tickets]\nqueue_channel = "C0QUEUE01"\n'
CAL = '[calendars.office]\ntimezone = "America/New_York"\nweekdays = ["09:00-17:00"]\n'


def load(text: str) -> LiaisonConfig:
    return LiaisonConfig.from_dict(tomllib.loads(BASE + text), source="test.toml")


def test_the_example_config_runs_premium_p1_around_the_clock_and_the_rest_in_business_hours() -> None:
    config = LiaisonConfig.load(ROOT / "config" / "liaison.toml")
    premium = config.sla.for_ticket(tier="premium", priority="P1", source="command", customer="Acme")
    assert premium is not None and premium.name == "premium"
    assert isinstance(premium.target("P1", "first_response").calendar, AlwaysOpen)
    p2 = premium.target("P2", "first_response")
    assert p2.business_hours and p2.calendar.name == "support-hours"
    standard = config.sla.for_ticket(tier="standard", priority="P1", source="command", customer="Acme")
    assert standard.name == "standard" and standard.target("P1", "first_response").business_hours
    friday_evening = datetime(2026, 12, 4, 23, 30, tzinfo=UTC)  # 18:30 in New York: closed
    assert p2.calendar.add(friday_evening, timedelta(hours=1)) == datetime(2026, 12, 7, 14, 0, tzinfo=UTC)


def test_a_policy_with_every_option() -> None:
    config = load(
        CAL
        + """
[[sla.policies]]
name = "vip"
match = { tiers = ["premium"], priorities = ["P1", "P2"], sources = ["shortcut"], customers = ["Acme"] }
[sla.policies.targets.P1]
first_response = { duration = "1h30m", calendar = "office", warn_percent = [50, 90], warn_before = ["10m"], \
alert_channel = "C0ALERTS1", repeat_every = "15m" }
resolution = { duration = "8h", pause = ["pending"] }
"""
    )
    policy = config.sla.policies[0]
    assert policy.match.accepts(tier="premium", priority="P1", source="shortcut", customer="ACME")
    assert not policy.match.accepts(tier="standard", priority="P1", source="shortcut", customer="Acme")
    first = policy.target("P1", "first_response")
    assert (first.duration, first.warn_percent, first.warn_before) == (
        timedelta(minutes=90),
        (50, 90),
        (timedelta(minutes=10),),
    )
    assert (first.alert_channel, first.repeat_every) == ("C0ALERTS1", timedelta(minutes=15))
    assert policy.target("P1", "resolution").pause_statuses == {"pending"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[calendars.x]\ntimezone = "Mars/Base"\nweekdays = ["09:00-17:00"]',
            "calendars.x: calendar 'x': unknown time zone 'Mars/Base'",
        ),
        (
            '[calendars.x]\ntimezone = "UTC"\nweekdays = ["17:00-09:00"]',
            "calendars.x.mon: window 17:00-09:00 ends before it starts",
        ),
        ('[calendars.x]\ntimezone = "UTC"\nweekdays = []', "calendars.x: calendar 'x' has no working time"),
        ('[calendars.x]\ntimezone = "UTC"', "calendars.x has no working time"),
        ('[calendars.x]\nweekdays = ["09:00-17:00"]', "calendars.x.timezone is required"),
        ('[calendars.x]\ntimezone = "UTC"\nweekdays = ["9-5"]', "calendars.x.mon: '9-5' is not a window"),
        ('[calendars.x]\ntimezone = "UTC"\ncountry = "XX"\nweekdays = ["09:00-17:00"]', "calendars.x"),
        (
            '[[sla.policies]]\nname = "a"\n[sla.policies.targets.P1]\nfirst_response = { calendar = "24/7" }',
            "sla.policies.a.targets.P1.first_response.duration is required",
        ),
        (
            '[[sla.policies]]\nname = "a"\n[sla.policies.targets.P1]\nfirst_response = { duration = "soon" }',
            "sla.policies.a.targets.P1.first_response.duration: 'soon' is not a duration",
        ),
        (
            '[[sla.policies]]\nname = "a"\nmatch = { tiers = ["premium"] }\n'
            '[sla.policies.targets.P1]\nresolution = { duration = "1h" }\n'
            '[[sla.policies]]\nname = "a"\n[sla.policies.targets.P1]\nresolution = { duration = "1h" }',
            "the policy name 'a' is used twice",
        ),
        (
            '[[sla.policies]]\nname = "a"\n[sla.policies.targets.P1]\nresolution = { duration = "1h" }\n'
            '[[sla.policies]]\nname = "b"\n[sla.policies.targets.P1]\nresolution = { duration = "1h" }',
            "sla.policies.b can never match: policy 'a' before it matches every ticket",
        ),
        (
            '[[sla.policies]]\nname = "a"\n[sla.policies.targets.P1]\n'
            'resolution = { duration = "1h", calendar = "nope" }',
            "no calendar named 'nope'",
        ),
        (
            '[[sla.policies]]\nname = "a"\n[sla.policies.targets.P9]\nresolution = { duration = "1h" }',
            "P9: not a priority",
        ),
        (
            '[[sla.policies]]\nname = "a"\n[sla.policies.targets.P1]\nuptime = { duration = "1h" }',
            "uptime: unknown metric",
        ),
        (
            '[[sla.policies]]\nname = "a"\n[sla.policies.targets.P1]\n'
            'resolution = { duration = "1h", pause = ["lunch"] }',
            "'lunch' is not a status",
        ),
    ],
)
def test_invalid_configuration_names_the_key_and_the_reason(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load(text)
    assert message in str(caught.value)
