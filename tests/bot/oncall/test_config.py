"""The [oncall] part of the policy file: what it builds, and a sentence naming the key for every mistake."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot.errors import ConfigError
from bot.oncall.config import GROUP, SCHEDULE, USER, FeedSpec, parse_oncall, target_kind
from bot.oncall.rotation import Rotation

ROTATION = {"users": ["U0ALICE01", "U0BOB0001"], "rotation": "12h", "start": "2026-11-30T09:00"}
SCHEDULES = {"primary": {"timezone": "Europe/Berlin", "layers": [ROTATION, {"name": "pd", "ical": "feed.ics"}]}}


def test_a_schedule_with_a_rotation_and_a_feed_and_a_policy() -> None:
    book = parse_oncall(
        {
            "schedules": SCHEDULES,
            "policies": {
                "support": {
                    "repeat": 2,
                    "levels": [{"targets": ["primary", "S0LEADS01"]}, {"targets": ["U0DAVE001"], "timeout": "30m"}],
                }
            },
            "people": {"Alice@Example.com": "U0ALICE01"},
        }
    )
    rotation, feed = book.schedules["primary"].layers
    assert isinstance(rotation, Rotation) and rotation.length == timedelta(hours=12)
    assert rotation.start == datetime(2026, 11, 30, 9, 0) and rotation.timezone.key == "Europe/Berlin"
    assert feed == FeedSpec("pd", "feed.ics", timedelta(hours=1))
    policy = book.policies["support"]
    assert book.default_policy == "support", "the only policy is the default"
    assert [level.timeout for level in policy.levels] == [timedelta(minutes=15), timedelta(minutes=30)]
    assert policy.snapshot() == {
        "name": "support",
        "repeat": 2,
        "pagerduty": False,
        "levels": [{"targets": ["primary", "S0LEADS01"], "timeout": 900}, {"targets": ["U0DAVE001"], "timeout": 1800}],
    }
    assert book.people == {"alice@example.com": "U0ALICE01"}
    assert [target_kind(t) for t in ("U0A1", "W0A1", "S0A1", "primary")] == [USER, USER, GROUP, SCHEDULE]


@pytest.mark.parametrize(
    ("oncall", "problem"),
    [
        ({"schedules": {"primary": {"layers": [ROTATION]}}}, "oncall.schedules.primary.timezone is required"),
        ({"schedules": {"primary": {"timezone": "Mars/Base", "layers": [ROTATION]}}}, "'Mars/Base' is not an IANA"),
        ({"schedules": {"primary": {"timezone": "UTC", "layers": []}}}, "a schedule needs at least one layer"),
        ({"schedules": {"Primary Team": {"timezone": "UTC", "layers": [ROTATION]}}}, "names are lower case"),
        (
            {"schedules": {"p": {"timezone": "UTC", "layers": [ROTATION | {"users": ["alice"]}]}}},
            "layers[0].users: the people taking turns, as Slack user ids",
        ),
        (
            {"schedules": {"p": {"timezone": "UTC", "layers": [ROTATION | {"rotation": "fortnightly"}]}}},
            "'fortnightly' is not a duration",
        ),
        (
            {"schedules": {"p": {"timezone": "UTC", "layers": [ROTATION | {"start": "2026-11-30T09:00+01:00"}]}}},
            "the first hand-off as local wall-clock time without a zone",
        ),
        ({"policies": {"support": {"levels": []}}}, "a policy needs at least one level"),
        (
            {"schedules": SCHEDULES, "policies": {"support": {"levels": [{"targets": ["secondary"]}]}}},
            "'secondary' is not a Slack user id (U…), a user group id (S…) or a schedule; the schedules are primary",
        ),
        ({"policies": {"s": {"levels": [{"targets": ["U0A1"]}], "repeat": 20}}}, "oncall.policies.s.repeat"),
        ({"policies": {"s": {"levels": [{"targets": ["U0A1"], "timeout": "0m"}]}}}, "more than zero"),
        ({"default_policy": "nope"}, "oncall.default_policy: no policy named 'nope'"),
        ({"people": {"alice@example.com": "alice"}}, "oncall.people maps an email or a name to a Slack user id"),
    ],
)
def test_mistakes_name_the_key(oncall: dict, problem: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_oncall(oncall)
    assert problem in str(raised.value)
