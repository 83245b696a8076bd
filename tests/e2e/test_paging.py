"""Paging end to end with moved time: levels with repeat, acknowledge, decline, skipped levels, user groups, stale
buttons and bad input, each DM and thread line delivered once, through signed requests and the Slack stand-in."""

from __future__ import annotations

import threading
import tomllib
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.clock import MovableClock
from bot.config import LiaisonConfig
from bot.db import Database
from bot.local.driver import SlackDriver
from bot.local.standin import SlackStandIn
from bot.messages.paging import ACKNOWLEDGE, DECLINE
from models import Page
from tests.e2e.helpers import block_texts, card, open_ticket, thread
from tests.slack_fixtures import AGENTS, ALICE, BOB, CAROL, GENERAL, QUEUE

DAVE, ERIN = "U0DAVE001", "U0ERIN001"
LEADS, EMPTY = "S0LEADS01", "S0EMPTY01"
POLICY_FILE = f"""
[tickets]
queue_channel = "{QUEUE}"
[agents]
usergroup = "{AGENTS}"
[oncall]
default_policy = "support"
direct_timeout = "10m"
direct_repeat = 0
[oncall.schedules.primary]
timezone = "America/New_York"
[[oncall.schedules.primary.layers]]
users = ["{ALICE}", "{BOB}"]
rotation = "weekly"
start = "2026-11-30T09:00"
[oncall.schedules.nights]
timezone = "America/New_York"
[[oncall.schedules.nights.layers]]
users = ["{ERIN}"]
rotation = "daily"
start = "2026-11-30T09:00"
[oncall.policies.support]
repeat = 1
levels = [
  {{ targets = ["primary"], timeout = "15m" }},
  {{ targets = ["{EMPTY}"], timeout = "15m" }},
  {{ targets = ["{LEADS}"], timeout = "10m" }},
  {{ targets = ["{DAVE}"], timeout = "30m" }},
]
[oncall.policies.leads]
levels = [{{ targets = ["{LEADS}"], timeout = "5m" }}]
"""
START = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)  # Tuesday 10:00 in New York: Alice's week on `primary`


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(START)


@pytest.fixture
def config() -> LiaisonConfig:
    return LiaisonConfig.from_dict(tomllib.loads(POLICY_FILE))


@pytest.fixture(autouse=True)
def people(slack: SlackStandIn) -> SlackStandIn:
    slack.add_user(DAVE, "dave", real_name="Dave Manager")
    slack.add_user(ERIN, "erin", real_name="Erin Nights")
    slack.add_usergroup(LEADS, "support-leads", [BOB, DAVE])
    slack.add_usergroup(EMPTY, "nobody-here", [])
    return slack


def dms(slack: SlackStandIn, user: str) -> list[dict]:
    return slack.messages(slack.dm_channel(user))


def page_dms(slack: SlackStandIn, user: str) -> list[str]:
    return [block_texts(m.get("blocks") or []) for m in dms(slack, user) if m.get("text", "").startswith("Page PG-")]


def answer(driver: SlackDriver, slack: SlackStandIn, user: str, action: str) -> str:
    """Press a button on the user's newest page DM; what Liaison answered them."""
    response = driver.click(user, action, channel=slack.dm_channel(user))
    assert response.status == 200
    return slack.response_posts()[-1]["body"]["text"]


def escalated(driver: SlackDriver, tick, text: str = "escalate T-1 support Customer furious") -> str:  # noqa: ANN001
    open_ticket(driver, ALICE, "Checkout down", priority="P1")
    tick(seconds=0)
    response = driver.command(ALICE, text)
    tick(seconds=0)
    return response.json()["text"]


def test_a_page_walks_the_levels_skips_the_empty_one_and_repeats(
    driver: SlackDriver, slack: SlackStandIn, tick
) -> None:
    answer_text = escalated(driver, tick)
    assert "PG-1: paging <@U0ALICE01> (level 1 of 4, round 1 of 2)" in answer_text
    (dm,) = page_dms(slack, ALICE)
    assert "You are paged (on call for *primary*)" in dm and "T-1 Checkout down" in dm and "Customer furious" in dm
    assert "Acknowledge" in dm and "Decline" in dm
    tick(minutes=14)
    assert page_dms(slack, BOB) == []
    tick(minutes=1)  # 15 minutes without an acknowledgement: level 2 is an empty group, so level 3 at once
    assert len(page_dms(slack, BOB)) == 1 and len(page_dms(slack, DAVE)) == 1
    assert "Also paged: <@U0DAVE001>" in page_dms(slack, BOB)[0]
    lines = [t for t in thread(slack) if "Paging" in t]
    assert len(lines) == 2
    assert "No acknowledgement within 15m" in lines[1] and "Skipped level 2 (user group `S0EMPTY01`)" in lines[1]
    tick(minutes=10)  # level 4: the manager alone
    assert len(page_dms(slack, DAVE)) == 2 and len(page_dms(slack, BOB)) == 1
    tick(minutes=30)  # round 2 starts again at level 1
    assert len(page_dms(slack, ALICE)) == 2 and "round 2 of 2" in page_dms(slack, ALICE)[-1]
    tick(minutes=15)
    tick(minutes=10)
    tick(minutes=30)
    nobody = [t for t in thread(slack) if "Nobody acknowledged PG-1" in t]
    assert len(nobody) == 1
    broadcast = [m for m in slack.messages(QUEUE) if "Nobody acknowledged PG-1" in m.get("text", "")]
    assert len(broadcast) == 1, "the channel is told, not only the thread"
    tick(hours=2)
    assert len(page_dms(slack, ALICE)) == 2 and len(page_dms(slack, DAVE)) == 4
    assert len([t for t in thread(slack) if "Paging" in t]) == 6


def test_acknowledge_stops_the_page_and_edits_every_dm(driver: SlackDriver, slack: SlackStandIn, tick) -> None:
    escalated(driver, tick)
    tick(minutes=15)
    assert "You acknowledged PG-1" in answer(driver, slack, BOB, ACKNOWLEDGE)
    # Dave presses too before his DM is edited: told who won, nothing changes.
    assert "already acknowledged by <@U0BOB0001>" in answer(driver, slack, DAVE, ACKNOWLEDGE)
    assert "already acknowledged by you" in answer(driver, slack, BOB, ACKNOWLEDGE)
    tick(seconds=0)
    for user in (ALICE, BOB, DAVE):
        (dm,) = page_dms(slack, user)
        assert "Acknowledged by <@U0BOB0001>" in dm and "Decline" not in dm
    assert len([t for t in thread(slack) if "PG-1 acknowledged by <@U0BOB0001> after 15m" in t]) == 1
    tick(hours=3)
    assert len(page_dms(slack, ALICE)) == 1 and len(page_dms(slack, DAVE)) == 1


def test_decline_moves_on_at_once_when_everyone_at_the_level_declined(
    driver: SlackDriver, slack: SlackStandIn, tick
) -> None:
    escalated(driver, tick)
    assert "You declined PG-1" in answer(driver, slack, ALICE, DECLINE)
    tick(seconds=0)
    assert len(page_dms(slack, BOB)) == 1, "level 3 is paged without waiting for the timeout"
    assert "You declined" in page_dms(slack, ALICE)[0]
    assert any("<@U0ALICE01> declined" in t for t in thread(slack))
    assert "You declined PG-1" in answer(driver, slack, BOB, DECLINE)
    tick(seconds=0)
    assert "still waiting on <@U0DAVE001>" in " ".join(thread(slack))
    assert len(page_dms(slack, DAVE)) == 1, "one of two declined: the level waits"
    tick(minutes=10)
    assert len(page_dms(slack, DAVE)) == 2


def test_solving_the_ticket_resolves_its_page_and_stale_buttons_say_so(
    driver: SlackDriver, slack: SlackStandIn, tick
) -> None:
    escalated(driver, tick)
    driver.command(ALICE, "status T-1 solved")
    tick(seconds=0)
    assert "Resolved" in page_dms(slack, ALICE)[0]
    assert any("PG-1 closed: the ticket is solved" in t for t in thread(slack))
    tick(hours=1)
    assert page_dms(slack, BOB) == []


def test_one_running_page_per_ticket(driver: SlackDriver, slack: SlackStandIn, tick) -> None:
    escalated(driver, tick)
    second = driver.command(ALICE, "escalate T-1").json()["text"]
    assert "T-1 is already being escalated (PG-1, level 1 of 4" in second


def test_page_a_user_group_directly_and_acknowledge_from_the_dm(driver: SlackDriver, slack: SlackStandIn, tick) -> None:
    tick(seconds=0)
    response = driver.command(
        ALICE, "<!subteam^S0LEADS01|@support-leads> DB failover", command="/page", channel_id=GENERAL
    )
    assert "paging <@U0BOB0001>, <@U0DAVE001>" in response.json()["text"]
    tick(seconds=0)
    (announcement,) = [m for m in slack.messages(GENERAL) if "Paging" in m.get("text", "")]
    assert "PG-1" in announcement["text"] and "<@U0BOB0001>, <@U0DAVE001>" in announcement["text"]
    assert "as a member of a paged user group" in page_dms(slack, DAVE)[0]
    assert "not sent to you; it pages <@U0BOB0001>, <@U0DAVE001>" in answer_other(driver, slack)
    assert "You acknowledged PG-1" in answer(driver, slack, DAVE, ACKNOWLEDGE)
    tick(seconds=0)
    replies = [r["text"] for r in slack.replies(GENERAL, announcement["ts"])]
    assert len([r for r in replies if "acknowledged by <@U0DAVE001>" in r]) == 1


def answer_other(driver: SlackDriver, slack: SlackStandIn) -> str:
    """Carol presses Acknowledge with a page id she was never sent (a forged or forwarded button)."""
    response = driver.click(CAROL, ACKNOWLEDGE, channel=slack.dm_channel(DAVE), value="1")
    assert response.status == 200
    return slack.response_posts()[-1]["body"]["text"]


def test_page_a_schedule_and_the_person_directly(driver: SlackDriver, slack: SlackStandIn, tick) -> None:
    tick(seconds=0)
    assert "paging <@U0ERIN001>" in driver.command(ALICE, "nights Pager test", command="/page").json()["text"]
    assert "paging <@U0CAROL01>" in driver.command(ALICE, "<@U0CAROL01> Call me", command="/page").json()["text"]
    tick(seconds=0)
    assert len(page_dms(slack, ERIN)) == 1 and len(page_dms(slack, CAROL)) == 1
    tick(minutes=10)
    assert len(page_dms(slack, ERIN)) == 1, "direct pages here do not repeat"


def test_bad_page_requests_get_a_clear_answer(driver: SlackDriver, slack: SlackStandIn, tick) -> None:
    tick(seconds=0)
    unknown = driver.command(ALICE, "tertiary help", command="/page").json()["text"]
    assert "`tertiary` is not a person, a user group, a schedule or a policy" in unknown
    assert "`nights`, `primary`" in unknown and "`leads`, `support`" in unknown
    nobody = driver.command(ALICE, "<!subteam^S0EMPTY01|@nobody-here> anyone?", command="/page").json()["text"]
    assert nobody.startswith("Nobody to page:") and "Nothing was sent" in nobody
    assert "Say what the page is about" in driver.command(ALICE, "primary", command="/page").json()["text"]
    typed = driver.command(ALICE, "<x&y>` help", command="/page").json()["text"]
    assert typed.startswith("`&lt;x&amp;y&gt;'` is not a person"), "what was typed comes back as typed, inertly"
    assert "pages someone" in driver.command(ALICE, "", command="/page").json()["text"]
    refused = driver.command(CAROL, "primary help", command="/page").json()["text"]
    assert "Only support agents can page" in refused
    open_ticket(driver, ALICE, "Checkout down")
    policy = driver.command(ALICE, "escalate T-1 nosuch").json()["text"]
    assert "PG-" in policy, "an unknown first word is the reason, paging the default policy"
    assert "There is no ticket T-9" in driver.command(ALICE, "escalate T-9").json()["text"]


def test_the_card_and_show_name_the_escalation_point_and_the_running_page(
    driver: SlackDriver, slack: SlackStandIn, tick
) -> None:
    open_ticket(driver, ALICE, "Checkout down")
    tick(seconds=0)
    expected = "*Escalation* (support): <@U0ALICE01> (primary) · then <@U0BOB0001>, <@U0DAVE001>"
    assert expected in block_texts(card(slack)["blocks"])
    assert expected in block_texts(driver.command(ALICE, "show T-1").json()["blocks"])
    driver.command(ALICE, "escalate T-1")
    tick(seconds=0)
    assert "*Escalating* PG-1 (level 1 of 4, round 1 of 2): paged <@U0ALICE01>" in block_texts(card(slack)["blocks"])
    driver.click(ALICE, ACKNOWLEDGE, channel=slack.dm_channel(ALICE))
    tick(seconds=0)
    assert "*Escalation* PG-1: :white_check_mark: Acknowledged by <@U0ALICE01>" in block_texts(card(slack)["blocks"])


def test_app_home_shows_my_on_call_shifts(driver: SlackDriver, slack: SlackStandIn, tick) -> None:
    tick(seconds=0)
    driver.app_home_opened(ALICE)
    home = block_texts(slack.home_view(ALICE)["blocks"])
    # Alice has `primary` this week (until Monday 09:00 New York) and again the week after next.
    assert "Your on-call shifts, next 7 days" in home and "*primary*: <!date^1796137200^" in home
    driver.app_home_opened(ERIN)
    assert "Your on-call shifts" not in block_texts(slack.home_view(ERIN)["blocks"]), "Erin is not an agent"


def test_two_people_acknowledging_at_the_same_moment_one_wins_and_the_other_is_told_who(
    driver: SlackDriver, slack: SlackStandIn, tick, database: Database
) -> None:
    tick(seconds=0)
    for n in range(1, 9):
        started = driver.command(ALICE, f"leads Outage {n}", command="/page", channel_id=GENERAL).json()["text"]
        assert f"PG-{n}: paging" in started
    tick(seconds=0)
    for bob_dm, dave_dm in zip(dms(slack, BOB), dms(slack, DAVE), strict=True):
        start = threading.Barrier(2)

        def press(user: str, ts: str, start: threading.Barrier = start) -> int:
            start.wait()  # both requests leave together
            return driver.click(user, ACKNOWLEDGE, channel=slack.dm_channel(user), message_ts=ts).status

        with ThreadPoolExecutor(2) as pool:
            statuses = list(pool.map(press, (BOB, DAVE), (bob_dm["ts"], dave_dm["ts"])))
        assert statuses == [200, 200]
    with database.session() as session:
        winners = dict(session.execute(select(Page.id, Page.acked_by)).tuples().all())
    answers = [p["body"]["text"] for p in slack.response_posts()]
    for n in range(1, 9):
        assert winners[n] in (BOB, DAVE)
        assert len([a for a in answers if a.startswith(f"You acknowledged PG-{n}:")]) == 1
        assert len([a for a in answers if f"PG-{n} was already acknowledged by <@{winners[n]}>" in a]) == 1
    tick(seconds=0)
    lines = [r["text"] for m in slack.messages(GENERAL) for r in slack.replies(GENERAL, m["ts"])]
    assert len([t for t in lines if "acknowledged by" in t]) == 8
