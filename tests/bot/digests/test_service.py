"""Digest subscriptions and periods: each (subscription, period) queued once, late ones marked, DST respected."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from slack_sdk import WebClient
from sqlalchemy import select

from bot.clock import MovableClock
from bot.config import LiaisonConfig
from bot.db import Database
from bot.digests.filters import Filter
from bot.digests.service import CHART_METHOD, DigestService
from bot.errors import ConfigError, PermissionDenied, UsageError
from bot.gateway import SlackGateway
from bot.tickets.service import Actor
from models import DigestRun, DigestSubscription, OutboxMessage

AGENT, OUTSIDER = Actor("U0AGENT01", is_agent=True), Actor("U0SALES01", is_agent=False)
# Monday 30 Nov 2026, 08:00 UTC is 09:00 in Paris and 03:00 in New York.
MONDAY_0800 = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


def config(*subscriptions: dict) -> LiaisonConfig:
    return LiaisonConfig.from_dict(
        {
            "tickets": {"queue_channel": "C0QUEUE01"},
            "digests": {"timezone": "Europe/Paris", "subscriptions": list(subscriptions)},
        }
    )


LEADS = {"name": "leads", "channel": "C0LEADS01", "every": "daily 09:00 Europe/Paris", "filter": "tier:premium"}


OPENED: list[Database] = []


@pytest.fixture(autouse=True)
def close_databases() -> Iterator[None]:
    yield
    while OPENED:
        OPENED.pop().dispose()


def service(database: Database, clock: MovableClock, policy: LiaisonConfig) -> DigestService:
    """A process's digest service: its own engine; no Slack call is made while queueing (delivery is tested end to
    end)."""
    gateway = SlackGateway(WebClient(token="xoxb-unused", base_url="http://127.0.0.1:9/"))
    OPENED.append(Database(database.url))
    return DigestService(OPENED[-1], clock, policy, gateway)


def runs(database: Database) -> list[tuple[datetime, datetime, bool]]:
    with database.session() as session:
        rows = session.execute(
            select(DigestRun.period_start, DigestRun.period_end, DigestRun.late).order_by(DigestRun.id)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


def outbox(database: Database) -> list[tuple[str, str]]:
    with database.session() as session:
        rows = session.execute(select(OutboxMessage.dedupe_key, OutboxMessage.method).order_by(OutboxMessage.id))
        return [tuple(row) for row in rows]  # type: ignore[misc]


def test_a_due_period_is_queued_once_with_its_chart(database: Database) -> None:
    clock = MovableClock(MONDAY_0800 - timedelta(hours=1))
    digests = service(database, clock, config(LEADS))
    assert digests.run() == 0  # the subscription starts now: the past is not owed
    clock.advance(timedelta(hours=1, seconds=30))
    assert digests.run() == 1 and digests.run() == 0
    assert runs(database) == [(MONDAY_0800 - timedelta(days=1), MONDAY_0800, False)]
    assert outbox(database) == [("digest:1", "chat.postMessage"), ("digest:1:chart", CHART_METHOD)]


def test_periods_missed_while_down_are_sent_late_once_each_and_only_the_last_week(database: Database) -> None:
    clock = MovableClock(MONDAY_0800 - timedelta(hours=1))
    service(database, clock, config(LEADS)).run()
    clock.advance(timedelta(days=2, hours=3))  # down over Monday's, Tuesday's and Wednesday's sends
    digests = service(database, clock, config(LEADS))
    assert digests.run() == 3 and digests.run() == 0
    ends = [end for _, end, _ in runs(database)]
    assert ends == [MONDAY_0800 + timedelta(days=n) for n in range(3)]
    assert all(late for _, _, late in runs(database))
    clock.advance(timedelta(days=30))
    assert digests.run() == 7  # a month down: the last seven days, not thirty digests


@pytest.mark.parametrize(
    "every, day, hours",
    [
        # Paris leaves summer time on Sunday 25 Oct 2026: the period ending that day at 09:00 is 25 hours long.
        ("daily 09:00 Europe/Paris", datetime(2026, 10, 25, 8, 0, tzinfo=UTC), [24, 25, 24]),
        # New York leaves it on Sunday 1 Nov 2026.
        ("daily 09:00 America/New_York", datetime(2026, 11, 1, 14, 0, tzinfo=UTC), [24, 25, 24]),
    ],
)
def test_periods_follow_the_subscriptions_zone_across_dst(
    database: Database, every: str, day: datetime, hours: list[int]
) -> None:
    clock = MovableClock(day - timedelta(days=2) + timedelta(hours=1))
    digests = service(database, clock, config(LEADS | {"every": every}))
    digests.run()
    for _ in range(4 * 24 * 3):  # the job runs all along, every quarter of an hour, for three days
        clock.advance(timedelta(minutes=15))
        digests.run()
    periods = runs(database)
    assert [round((end - start) / timedelta(hours=1)) for start, end, _ in periods] == hours
    assert periods[1][1] == day and not any(late for *_, late in periods)


def test_racing_processes_queue_each_period_once(database: Database) -> None:
    clock = MovableClock(MONDAY_0800 - timedelta(hours=1))
    many = [dict(LEADS, name=f"leads-{n}") for n in range(5)]
    service(database, clock, config(*many)).run()
    clock.advance(timedelta(days=3))
    racers = [service(database, clock, config(*many)) for _ in range(3)]
    queued: list[int] = []
    start = threading.Barrier(len(racers))

    def race(digests: DigestService) -> None:
        start.wait()
        queued.append(digests.run())

    threads = [threading.Thread(target=race, args=(d,)) for d in racers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(queued) == 5 * 3 == len(runs(database))
    keys = [key for key, _ in outbox(database)]
    assert len(keys) == len(set(keys)) == 5 * 3 * 2


def test_the_policy_files_digests_follow_the_file(database: Database) -> None:
    clock = MovableClock(MONDAY_0800)
    service(database, clock, config(LEADS, dict(LEADS, name="weekly", every="weekly mon 08:30"))).run()
    service(database, clock, config(dict(LEADS, every="weekdays 10:00"))).run()
    with database.session() as session:
        rows = session.execute(select(DigestSubscription.name, DigestSubscription.cadence, DigestSubscription.active))
        assert sorted(tuple(r) for r in rows) == [
            ("leads", "weekdays 10:00 Europe/Paris", True),
            ("weekly", "weekly mon 08:30 Europe/Paris", False),
        ]


def test_agents_subscribe_channels_from_slack_once(database: Database) -> None:
    clock = MovableClock(MONDAY_0800)
    digests = service(database, clock, config(LEADS))
    digests.sync_config()
    first = digests.subscribe(AGENT, "C0MGRS001", "weekly mon 08:30 America/New_York", "priority:P1")
    again = digests.subscribe(AGENT, "C0MGRS001", "weekly monday 8:30 America/New_York", "priority:p1")
    assert first.id == again.id
    assert [(s.channel_id, s.cadence) for s in digests.subscriptions()] == [
        ("C0LEADS01", "daily 09:00 Europe/Paris"),
        ("C0MGRS001", "weekly mon 08:30 America/New_York"),
    ]
    with pytest.raises(PermissionDenied):
        digests.subscribe(OUTSIDER, "C0MGRS001", "daily 09:00", "")
    with pytest.raises(UsageError, match="time zone"):
        digests.subscribe(AGENT, "C0MGRS001", "daily 09:00 Mars/Base", "")
    # Unsubscribing a channel stops what Slack subscribed there; the policy file's own digests stay.
    assert digests.unsubscribe(AGENT, "C0MGRS001") == 1 and digests.unsubscribe(AGENT, "C0LEADS01") == 0
    assert [s.channel_id for s in digests.subscriptions()] == ["C0LEADS01"]


@pytest.mark.parametrize(
    "table, problem",
    [
        ({"subscriptions": [{"name": "x", "channel": "general", "every": "daily 09:00"}]}, "channel id"),
        ({"subscriptions": [{"name": "x", "channel": "C0LEADS01", "every": "hourly"}]}, r"subscriptions\[0\]"),
        ({"subscriptions": [{"name": "x", "channel": "C0LEADS01", "every": "daily 09:00", "filter": "x:y"}]}, "filter"),
        ({"timezone": "Mars/Base"}, "timezone"),
        ({"at_risk": "soon"}, "at_risk"),
        ({"templates": "no/such/dir"}, "templates"),
        ({"subscriptions": [LEADS, LEADS]}, "used twice"),
    ],
)
def test_a_bad_digests_table_stops_start_up_naming_the_key(table: dict, problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        LiaisonConfig.from_dict({"tickets": {"queue_channel": "C0QUEUE01"}, "digests": table})


def test_an_operators_template_replaces_ours(database: Database, tmp_path: Path) -> None:
    (tmp_path / "digest.md.j2").write_text("Our own words: {{ f.breaches }} breaches, {{ f.created }} opened.\n")
    policy = LiaisonConfig.from_dict(
        {"tickets": {"queue_channel": "C0QUEUE01"}, "digests": {"templates": str(tmp_path)}}
    )
    digests = service(database, MovableClock(MONDAY_0800), policy)
    with database.session() as session:
        figures = digests.figures(session, MONDAY_0800 - timedelta(days=1), MONDAY_0800, MONDAY_0800, Filter())
    digests._workspace_url = ""  # no Slack behind this gateway: tickets are named without links
    text, blocks = digests.message(figures, title="Support digest")
    assert "Our own words: 0 breaches, 0 opened." in str(blocks)
