"""SLA reminders end to end, with moved time: warnings, breach, repeats, snooze, pauses, reopen, priority change
and the out-of-hours hold, each delivered exactly once."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app import Liaison
from bot.clock import MovableClock
from bot.config import LiaisonConfig
from bot.db import Database
from bot.local.driver import SlackDriver
from bot.local.standin import SlackStandIn
from models import SlaClock, Ticket
from tests.e2e.helpers import block_texts, card, thread
from tests.slack_fixtures import AGENTS, ALICE, BOB, CAROL, QUEUE

POLICIES = """
[tickets]
queue_channel = "C0QUEUE01"
[agents]
usergroup = "S0AGENTS1"
[calendars.office]
timezone = "America/New_York"
weekdays = ["09:00-17:00"]
[[sla.policies]]
name = "premium"
match = { tiers = ["premium"] }
[sla.policies.targets.P1]
first_response = { duration = "30m", warn_percent = [50], repeat_every = "15m" }
resolution = { duration = "4h" }
[sla.policies.targets.P2]
first_response = { duration = "2h", calendar = "office", warn_percent = [75] }
[[sla.policies]]
name = "standard"
[sla.policies.targets.P3]
first_response = { duration = "8h", calendar = "office" }
"""
START = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)  # Tuesday 09:00 in New York


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(START)


@pytest.fixture
def config() -> LiaisonConfig:
    assert AGENTS and QUEUE
    return LiaisonConfig.from_dict(tomllib.loads(POLICIES))


@pytest.fixture
def tick(liaison: Liaison, clock: MovableClock):  # noqa: ANN201
    """Move time on, then run the sweep and the outbox drain as the scheduler would."""

    def tick(**delta: float) -> None:
        clock.advance(timedelta(**delta))
        liaison.services.sweep.run()
        liaison.services.dispatcher.drain()

    return tick


def open_premium(driver: SlackDriver, priority: str = "P1", user: str = CAROL) -> None:
    driver.command(user, "new Checkout down")
    response = driver.submit_view(
        user, {"new_customer": {"value": "Acme"}, "tier": {"value": "premium"}, "priority": {"value": priority}}
    )
    assert response.status == 200 and not response.body, response.text


def sla_posts(slack: SlackStandIn, word: str) -> list[str]:
    return [t for t in thread(slack) if word in t]


def breaches(slack: SlackStandIn) -> list[str]:
    return sla_posts(slack, "* breached:")


def clock_row(database: Database, metric: str = "first_response") -> SlaClock:
    with database.session() as session:
        return session.scalars(select(SlaClock).where(SlaClock.metric == metric)).one()


def test_warning_breach_and_repeat_each_fire_once(
    driver: SlackDriver, slack: SlackStandIn, tick, database: Database
) -> None:
    open_premium(driver)
    tick(seconds=0)
    assert "First response* due" in block_texts(card(slack)["blocks"])
    tick(minutes=14)
    assert sla_posts(slack, "is due") == []
    tick(minutes=1)
    (warning,) = sla_posts(slack, "is due")
    assert "*First response* for *T-1*" in warning and "15m left" in warning
    tick(minutes=15)
    assert len(breaches(slack)) == 1
    alerts = [m for m in slack.messages(QUEUE) if "breached" in m["text"] and "T-1 ·" not in m["text"]]
    assert len(alerts) == 1 and "Snooze 30 min" in block_texts(alerts[0]["blocks"])
    assert ":red_circle: *First response* breached" in block_texts(card(slack)["blocks"])
    tick(minutes=15)
    tick(minutes=1)
    assert len(sla_posts(slack, "still breached")) == 1
    tick(minutes=14)
    assert len(sla_posts(slack, "still breached")) == 2
    assert len(sla_posts(slack, "is due")) == 1 and len(breaches(slack)) == 1


def test_a_reply_in_time_meets_the_target_and_nothing_fires(driver: SlackDriver, slack: SlackStandIn, tick) -> None:
    open_premium(driver)
    tick(minutes=10)
    driver.command(ALICE, "reply T-1 On it")
    tick(hours=2)
    assert sla_posts(slack, "is due") == [] and sla_posts(slack, "breached") == []
    assert ":white_check_mark: *First response* met" in block_texts(card(slack)["blocks"])


def test_snooze_holds_the_reminders(driver: SlackDriver, slack: SlackStandIn, tick, database: Database) -> None:
    open_premium(driver)
    tick(minutes=30)
    alert = next(m for m in slack.messages(QUEUE) if "breached" in m["text"] and "T-1 ·" not in m["text"])
    assert driver.click(BOB, "sla_snooze_2h", channel=QUEUE, message_ts=alert["ts"]).status == 200
    assert "snoozed until" in slack.response_posts()[-1]["body"]["text"]
    tick(minutes=60)
    assert sla_posts(slack, "still breached") == []
    tick(minutes=61)
    assert len(sla_posts(slack, "still breached")) == 1


def test_pending_pauses_resolution_and_resuming_keeps_the_time_used(
    driver: SlackDriver, slack: SlackStandIn, tick, database: Database
) -> None:
    open_premium(driver)
    driver.command(ALICE, "reply T-1 Need logs")
    tick(hours=1)
    driver.command(ALICE, "status T-1 pending")
    assert clock_row(database, "resolution").state == "paused"
    tick(hours=6)
    assert sla_posts(slack, "breached") == []
    driver.command(ALICE, "status T-1 open")
    row = clock_row(database, "resolution")
    assert row.state == "running" and row.deadline_at == START + timedelta(hours=7 + 3)


def test_reopen_resumes_resolution_without_counting_the_solved_time(
    driver: SlackDriver, tick, database: Database
) -> None:
    open_premium(driver)
    tick(hours=1)
    driver.command(ALICE, "status T-1 solved")
    assert clock_row(database, "resolution").state == "met"
    tick(hours=10)
    driver.command(ALICE, "status T-1 open")
    assert clock_row(database, "resolution").deadline_at == START + timedelta(hours=11 + 3)


def test_priority_change_past_the_new_target_breaches_at_once_with_the_reason(
    driver: SlackDriver, slack: SlackStandIn, tick, database: Database
) -> None:
    open_premium(driver, priority="P2")
    tick(hours=1)
    driver.command(ALICE, "priority T-1 P1")
    tick(seconds=1)
    (breach,) = breaches(slack)
    assert "Why: the priority changed and the new target was already exceeded." in breach
    row = clock_row(database)
    assert row.breached_at == START + timedelta(hours=1)


def test_a_business_hours_warning_outside_working_time_is_held(
    driver: SlackDriver, slack: SlackStandIn, tick, database: Database, clock: MovableClock
) -> None:
    tick(hours=6, minutes=30)  # 15:30 in New York: 75% of two business hours lands on 17:00, closing time
    open_premium(driver, priority="P2")
    tick(hours=1, minutes=31)
    assert sla_posts(slack, "is due") == []
    tick(hours=15)  # 08:01 the next morning: still closed
    assert sla_posts(slack, "is due") == []
    tick(minutes=59)  # 09:00 New York
    (warning,) = sla_posts(slack, "is due")
    assert "30m of business time left" in warning


def test_list_sorts_by_the_nearest_deadline(driver: SlackDriver, tick) -> None:
    open_premium(driver, priority="P2")
    open_premium(driver, priority="P1")
    text = block_texts(driver.command(ALICE, "list").json()["blocks"])
    assert text.index("T-2") < text.index("T-1")
    with_clock = driver.command(ALICE, "show T-1").json()
    assert "First response* due" in block_texts(with_clock["blocks"])


def test_tickets_without_a_matching_policy_have_no_clocks(driver: SlackDriver, database: Database) -> None:
    driver.command(ALICE, "new Question")
    driver.submit_view(ALICE, {"new_customer": {"value": "Initech"}, "priority": {"value": "P4"}})
    with database.session() as session:
        assert session.scalars(select(SlaClock)).all() == []
        assert session.get(Ticket, 1).next_deadline_at is None


def test_home_and_list_show_breached_tickets_first_in_red(driver: SlackDriver, slack: SlackStandIn, tick) -> None:
    open_premium(driver, priority="P2")
    open_premium(driver, priority="P1")
    tick(minutes=31)  # the P1's 30-minute first response breaches; the P2 still has time
    driver.command(ALICE, "claim T-2")
    driver.app_home_opened(ALICE)
    home = block_texts(slack.home_view(ALICE)["blocks"])
    assert ":red_circle: SLA breached · *T-2*" in home
    assert ":large_green_circle: due" in home.split("Most urgent in the queue")[1]
    listed = block_texts(driver.command(ALICE, "list").json()["blocks"])
    assert listed.index("T-2") < listed.index("T-1")
