"""`/oncall` end to end: now and next, a schedule's week, overrides from Slack, and an iCalendar layer fetched on a
schedule that keeps its last good copy when a refresh fails."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app import Liaison
from bot.clock import MovableClock
from bot.config import LiaisonConfig
from bot.local.driver import SlackDriver
from bot.local.standin import SlackStandIn
from tests.slack_fixtures import AGENTS, ALICE, BOB, CAROL, QUEUE

START = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)  # Tuesday 10:00 in New York


def feed_text(login: str, start: str, end: str) -> str:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//PagerDuty Inc.//Schedule//EN\r\n"
        "BEGIN:VEVENT\r\nUID:shift-1\r\n"
        f"DTSTART:{start}\r\nDTEND:{end}\r\nRRULE:FREQ=DAILY\r\n"
        f"SUMMARY:On Call - {login.title()} - Nights\r\nATTENDEE:mailto:{login}@example.com\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )


@pytest.fixture
def feed(tmp_path: Path) -> Path:
    path = tmp_path / "nights.ics"
    path.write_text(feed_text("bob", "20261130T230000Z", "20261201T110000Z"), encoding="utf-8")
    return path


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(START)


@pytest.fixture
def config(feed: Path) -> LiaisonConfig:
    return LiaisonConfig.from_dict(
        tomllib.loads(f"""
[tickets]
queue_channel = "{QUEUE}"
[agents]
usergroup = "{AGENTS}"
[oncall]
people = {{ "bob@example.com" = "{BOB}", "alice@example.com" = "{ALICE}" }}
[oncall.schedules.primary]
timezone = "America/New_York"
[[oncall.schedules.primary.layers]]
users = ["{ALICE}", "{BOB}"]
rotation = "daily"
start = "2026-11-30T09:00"
[oncall.schedules.nights]
timezone = "America/New_York"
[[oncall.schedules.nights.layers]]
name = "pagerduty"
ical = "{feed}"
refresh = "1h"
""")
    )


def oncall(driver: SlackDriver, text: str = "", user: str = ALICE) -> str:
    response = driver.command(user, text, command="/oncall")
    assert response.status == 200
    return response.json()["text"]


def test_oncall_shows_now_and_next_and_a_week(driver: SlackDriver, liaison: Liaison) -> None:
    liaison.services.feeds.run()
    overview = oncall(driver)
    # Daily hand-off at 09:00 New York: Tuesday is Bob's turn (Monday Alice), next Alice from Wednesday 09:00.
    assert "• *primary*: <@U0BOB0001> · next <@U0ALICE01> from <!date^1796220000^" in overview
    # The feed has Bob from 23:00 to 11:00 UTC every day: nobody at 15:00 UTC, Bob next from 23:00.
    assert "• *nights*: _nobody_ · next <@U0BOB0001> from <!date^1796166000^" in overview
    week = oncall(driver, "primary")
    assert week.startswith("*primary* for the next 7 days (hand-offs in America/New_York")
    assert week.count("\n• ") == 8, "today's rest and seven more daily turns"


def test_an_override_wins_for_its_length(driver: SlackDriver, liaison: Liaison, clock: MovableClock) -> None:
    answer = oncall(driver, "override primary <@U0CAROL01> 2h")
    assert answer.startswith("<@U0CAROL01> is on call for *primary* from")
    assert "• *primary*: <@U0CAROL01> (override) · next <@U0BOB0001>" in oncall(driver)
    clock.advance(timedelta(hours=2))
    assert "• *primary*: <@U0BOB0001> · next <@U0ALICE01>" in oncall(driver)
    assert oncall(driver, "override primary <@U0CAROL01> until 18:00").count("<!date^") == 2
    assert liaison.services.oncall.on_call("primary") == (CAROL,)


def test_a_failed_refresh_keeps_the_last_good_copy(
    driver: SlackDriver, liaison: Liaison, clock: MovableClock, feed: Path
) -> None:
    assert "no copy yet (not fetched yet)" in oncall(driver)
    assert liaison.services.feeds.run() == {("nights", "pagerduty"): None}
    feed.write_text("this is not a calendar", encoding="utf-8")
    clock.advance(timedelta(minutes=59))
    assert liaison.services.feeds.run() == {}, "a good copy is kept for its refresh period"
    clock.advance(timedelta(hours=8, minutes=1))  # 00:00 UTC: Bob's night
    (problem,) = liaison.services.feeds.run().values()
    assert problem is not None and "not" in problem.lower()
    shown = oncall(driver)
    assert "• *nights*: <@U0BOB0001>" in shown and "refresh failed, showing the copy of 2026-12-01 15:00 UTC" in shown
    feed.unlink()
    clock.advance(timedelta(minutes=5))
    (problem,) = liaison.services.feeds.run().values()
    assert problem is not None and "FileNotFoundError" in problem
    assert liaison.services.oncall.on_call("nights") == (BOB,)
    feed.write_text(feed_text("alice", "20261130T230000Z", "20261201T110000Z"), encoding="utf-8")
    clock.advance(timedelta(minutes=5))
    assert liaison.services.feeds.run() == {("nights", "pagerduty"): None}
    assert liaison.services.oncall.on_call("nights") == (ALICE,)


def test_bad_oncall_requests_get_a_clear_answer(driver: SlackDriver) -> None:
    assert "There is no schedule `tertiary`. The schedules are: `nights`, `primary`." in oncall(driver, "tertiary")
    assert "Name the person as a mention" in oncall(driver, "override primary carol 2h")
    assert "is not a length like `4h`" in oncall(driver, "override primary <@U0CAROL01> soon")
    assert "at most 31 days" in oncall(driver, "override primary <@U0CAROL01> 40d")
    assert "already passed" in oncall(driver, "override primary <@U0CAROL01> until 2026-11-01 09:00")
    assert "Only support agents can change who is on call" in oncall(
        driver, "override primary <@U0CAROL01> 2h", user=CAROL
    )
    assert "`/oncall primary`" in oncall(driver, "help")


def test_an_override_from_the_form(driver: SlackDriver, slack: SlackStandIn, liaison: Liaison) -> None:
    assert driver.command(ALICE, "override primary", command="/oncall").status == 200
    (form,) = slack.view_stack(ALICE)
    assert form["callback_id"] == "oncall_override"
    wrong = driver.submit_view(ALICE, {"person": {"value": CAROL}, "length": {"value": "forever"}})
    assert "is not a length like `4h`" in wrong.json()["errors"]["length"]
    done = driver.submit_view(ALICE, {"person": {"value": CAROL}, "length": {"value": "until 18:00"}})
    assert done.json()["response_action"] == "update"
    assert "<@U0CAROL01> is on call for *primary* from" in str(slack.view_stack(ALICE)[0]["blocks"])
    assert liaison.services.oncall.on_call("primary") == (CAROL,)
    assert "Only support agents can change who is on call" in oncall(driver, "override", user=CAROL)
