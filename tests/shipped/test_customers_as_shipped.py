"""A customer's shared channel, and routing, in the configuration a team deploys: the Procfile's web process with
its default workers and the shipped policy file (#acme-shared is Acme's), on SQLite or PostgreSQL. Message events
redelivered and raced across workers open one ticket and post one status line; thread replies count once; nothing
internal reaches the channel; a survey double-clicked across workers records one answer; with routing on, every
worker routes, yet each ticket is offered once and a double-clicked Accept assigns it once."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.db import Database
from bot.local.driver import SlackDriver
from bot.local.standin import SlackStandIn
from bot.messages.routing import ACCEPT
from bot.messages.satisfaction import SCORE
from models import RoutingOffer, Satisfaction, Ticket, TicketEvent
from tests.e2e.helpers import open_ticket
from tests.shipped.helpers import settle, wait_for
from tests.shipped.web import WebProcess, policy_file, start_web
from tests.slack_fixtures import AGENTS, ALICE, BOB, CAROL, QUEUE, SIGNING_SECRET

SHARED, WILE = "C0ACMESHR1", "U0WILE001"  # as config/liaison.toml ships them


@pytest.fixture
def acme(slack: SlackStandIn) -> str:
    slack.add_user(WILE, "wile", real_name="Wile E. Coyote")
    slack.add_channel(SHARED, "acme-shared", members=[ALICE, BOB, WILE, slack.bot_user_id])
    return SHARED


def count(database: Database, model: type, *where: Any) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def everything_in(slack: SlackStandIn) -> list[dict[str, Any]]:
    found = []
    for message in slack.messages(SHARED):
        found += [message, *slack.replies(SHARED, message["ts"])]
    return found


def bot_lines(slack: SlackStandIn, needle: str) -> int:
    return sum(1 for m in everything_in(slack) if m.get("bot_id") and needle in m.get("text", ""))


def message_event(slack: SlackStandIn, ts: str) -> dict[str, Any]:
    return {**slack.slack_message(SHARED, ts), "channel": SHARED, "channel_type": "channel"}


def test_a_customer_message_raced_and_redelivered_opens_one_ticket_with_one_status_line(
    driver: SlackDriver, slack: SlackStandIn, database: Database, acme: str
) -> None:
    ts = slack.post_user_message(SHARED, WILE, "Checkout fails with error 502")
    event = message_event(slack, ts)
    sends = [
        lambda: driver.event(event, event_id="Ev0SHARED01"),
        lambda: driver.event(event, event_id="Ev0SHARED01", retry_num=1, retry_reason="http_timeout"),
        lambda: driver.event(event, event_id="Ev0SHARED01", retry_num=2, retry_reason="http_timeout"),
    ]
    with ThreadPoolExecutor(3) as pool:
        assert [r.status for r in pool.map(lambda send: send(), sends)] == [200, 200, 200]

    def observe() -> dict[str, int]:
        return {
            "tickets": count(database, Ticket),
            "status lines in the thread": bot_lines(slack, "We have your request as *T-1*"),
            "cards in the queue": len(slack.messages("C0QUEUE01")),
        }

    settle(observe, dict.fromkeys(observe(), 1))


def test_thread_replies_count_once_and_nothing_internal_reaches_the_customer(
    driver: SlackDriver, slack: SlackStandIn, database: Database, acme: str
) -> None:
    root = slack.post_user_message(SHARED, WILE, "Checkout fails")
    assert driver.event(message_event(slack, root)).status == 200
    wait_for(lambda: bot_lines(slack, "*T-1*"), what="the status line")
    reply = slack.post_user_message(SHARED, WILE, "Still failing", thread_ts=root)
    for retry in (None, 1):
        assert driver.event(message_event(slack, reply), event_id="Ev0REPLY01", retry_num=retry).status == 200
    driver.command(ALICE, "note T-1 SECRET internal remark")
    driver.command(ALICE, "reply T-1 A fix is deploying")

    def observe() -> dict[str, int]:
        return {
            "customer messages": count(database, TicketEvent, TicketEvent.kind == "customer_message"),
            "replies posted in the thread": bot_lines(slack, "A fix is deploying"),
        }

    settle(observe, dict.fromkeys(observe(), 1))
    assert not any("SECRET" in m.get("text", "") for m in everything_in(slack))


def test_a_survey_double_clicked_across_workers_records_one_answer(
    driver: SlackDriver, slack: SlackStandIn, database: Database, acme: str
) -> None:
    root = slack.post_user_message(SHARED, WILE, "Checkout fails")
    assert driver.event(message_event(slack, root)).status == 200
    wait_for(lambda: count(database, Ticket), what="the ticket")
    driver.command(ALICE, "status T-1 solved")
    survey = wait_for(
        lambda: [m for m in slack.replies(SHARED, root) if "How did we do" in m.get("text", "")], what="the survey"
    )[0]
    clicks = [
        lambda n=n: driver.click(WILE, f"{SCORE}_{n}", channel=SHARED, message_ts=survey["ts"]).status for n in (5, 4)
    ]
    with ThreadPoolExecutor(2) as pool:
        assert list(pool.map(lambda click: click(), clicks)) == [200, 200]
    settle(lambda: {"answers": count(database, Satisfaction)}, {"answers": 1})


@pytest.fixture
def routed_web(database: Database, slack: SlackStandIn, tmp_path: Path) -> Iterator[WebProcess]:
    """The Procfile's web process with the shipped policy file and routing turned on for alice and bob."""
    config = policy_file(tmp_path, queue=QUEUE, usergroup=AGENTS)
    config.write_text(
        config.read_text()
        + f'\n[routing]\noffer_timeout = "30s"\nmax_open = 5\n[routing.agents.{ALICE}]\n[routing.agents.{BOB}]\n'
    )
    process = start_web("web", slack, tmp_path, database_url=database.url, signing_secret=SIGNING_SECRET, config=config)
    try:
        yield process
    finally:
        process.stop()


def test_every_worker_routes_yet_each_ticket_is_offered_once_and_accepted_once(
    routed_web: WebProcess, slack: SlackStandIn, database: Database
) -> None:
    driver = SlackDriver(events_url=f"{routed_web.url}slack/events", signing_secret=SIGNING_SECRET, standin=slack)
    for n in range(3):
        open_ticket(driver, CAROL, f"Printer {n} jammed", customer="Initech")

    def offers() -> dict[str, int]:
        with database.session() as session:
            rows = session.execute(select(RoutingOffer.state, func.count()).group_by(RoutingOffer.state)).all()
        return dict(rows)

    settle(lambda: {"offers waiting": offers().get("offered", 0)}, {"offers waiting": 3}, timeout=30)
    dms = [m for user in (ALICE, BOB) for m in slack.messages(slack.dm_channel(user)) if "Can you take" in m["text"]]
    assert len(dms) == 3, [m["text"] for m in dms]
    first = dms[0]
    taker = ALICE if first in slack.messages(slack.dm_channel(ALICE)) else BOB
    clicks = [lambda: driver.click(taker, ACCEPT, channel=slack.dm_channel(taker), message_ts=first["ts"]).status] * 2
    with ThreadPoolExecutor(2) as pool:
        assert list(pool.map(lambda click: click(), clicks)) == [200, 200]
    settle(lambda: {"accepted": offers().get("accepted", 0)}, {"accepted": 1})
    assert count(database, Ticket, Ticket.assignee_id == taker) == 1
