"""A customer's shared channel end to end, over signed message events: a customer's message opens a ticket and
gets a threaded status line; replies in the thread move the next-response clock both ways; replies recorded
elsewhere reach the thread; internal notes, the card and SLA alerts never do (the stand-in is asked for every
message there); events Liaison ignores are still acknowledged with 200."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from app import Liaison
from bot.clock import MovableClock
from bot.config import LiaisonConfig
from bot.local.driver import SlackDriver
from bot.local.standin import SlackStandIn
from models import SlaClock, Ticket, TicketEvent
from tests.e2e.helpers import block_texts, card
from tests.slack_fixtures import AGENTS, ALICE, BOB, GENERAL, QUEUE

SHARED = "C0ACMESHR1"
WILE, ROAD = "U0WILE001", "U0ROAD001"  # two people of the customer, Acme
START = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(START)


@pytest.fixture
def config() -> LiaisonConfig:
    return LiaisonConfig.from_dict(
        tomllib.loads(f"""
[tickets]
queue_channel = "{QUEUE}"
[agents]
usergroup = "{AGENTS}"
[[sla.policies]]
name = "premium"
[sla.policies.targets.P3]
first_response = {{ duration = "1h" }}
next_response = {{ duration = "1h" }}
resolution = {{ duration = "8h" }}
[customers.accounts.acme]
name = "Acme"
tier = "premium"
channel = "{SHARED}"
""")
    )


@pytest.fixture
def shared(slack: SlackStandIn) -> str:
    slack.add_user(WILE, "wile", real_name="Wile E. Coyote")
    slack.add_user(ROAD, "road", real_name="Road Runner")
    slack.add_channel(SHARED, "acme-shared", members=[ALICE, BOB, WILE, ROAD, slack.bot_user_id])
    return SHARED


def say(driver: SlackDriver, user: str, text: str, thread_ts: str | None = None) -> str:
    response = driver.user_message(user, SHARED, text, thread_ts=thread_ts)
    assert response.status == 200
    return driver.standin.messages(SHARED)[-1]["ts"] if thread_ts is None else ""


def everything_in(slack: SlackStandIn, channel: str) -> list[dict[str, Any]]:
    """Every message of the channel, thread replies included."""
    found = []
    for message in slack.messages(channel):
        found.append(message)
        if message.get("reply_count"):
            found += slack.replies(channel, message["ts"])
    return found


def status_line(slack: SlackStandIn, root: str) -> dict[str, Any]:
    key = lambda m: ((m.get("metadata") or {}).get("event_payload") or {}).get("dedupe_key", "")  # noqa: E731
    [line] = [m for m in slack.replies(SHARED, root) if key(m).endswith(":status")]
    return line


def clocks(liaison: Liaison) -> dict[tuple[str, int], str]:
    with liaison.services.database.session() as session:
        return {(c.metric, c.cycle): c.state for c in session.scalars(select(SlaClock))}


def test_a_customer_message_opens_a_ticket_once_and_gets_a_status_line(
    driver: SlackDriver, slack: SlackStandIn, liaison: Liaison, shared: str, tick: Any
) -> None:
    root = say(driver, WILE, "Checkout fails since 9:00\nError 502 on /pay")
    events = slack.messages(SHARED)
    driver.event({**slack.slack_message(SHARED, root), "channel": SHARED}, retry_num=1, event_id=None)
    tick()
    with liaison.services.database.session() as session:
        [ticket] = session.scalars(select(Ticket)).all()
        assert (ticket.subject, ticket.customer.name, ticket.requester_id) == (
            "Checkout fails since 9:00",
            "Acme",
            WILE,
        )
        assert ticket.source == "shared" and "Error 502 on /pay" in ticket.description
    assert len(events) == 1
    assert (
        status_line(slack, root)["text"] == ":inbox_tray: We have your request as *T-1*; we will answer in this thread."
    )
    assert slack.ephemerals() == [] and [m for m in slack.messages(slack.dm_channel(WILE))] == []
    # The team's card says who the customer is, so nobody asks them to repeat it.
    assert "*Customer*: premium tier · first ticket from Acme" in block_texts(card(slack)["blocks"])


def test_the_thread_moves_the_next_response_clock_both_ways(
    driver: SlackDriver, slack: SlackStandIn, liaison: Liaison, shared: str, tick: Any
) -> None:
    root = say(driver, WILE, "Checkout fails")
    tick(minutes=10)
    say(driver, ALICE, "Looking at it now", thread_ts=root)
    assert clocks(liaison)[("first_response", 0)] == "met"
    tick(minutes=10)
    say(driver, ROAD, "Still failing for us", thread_ts=root)  # anyone of the customer may answer
    assert clocks(liaison)[("next_response", 1)] == "running"
    tick(minutes=5)
    say(driver, BOB, "Fix deployed", thread_ts=root)
    assert clocks(liaison)[("next_response", 1)] == "met"
    tick()
    with liaison.services.database.session() as session:
        kinds = [(e.kind, e.author_id) for e in session.scalars(select(TicketEvent).order_by(TicketEvent.id))]
    assert kinds[1:] == [("public_reply", ALICE), ("customer_message", ROAD), ("public_reply", BOB)]
    texts = [m["text"] for m in slack.replies(SHARED, root) if not m.get("bot_id")]
    assert texts == ["Looking at it now", "Still failing for us", "Fix deployed"], "nothing is posted twice"


def test_replies_reach_the_thread_and_nothing_internal_ever_does(
    driver: SlackDriver, slack: SlackStandIn, liaison: Liaison, shared: str, tick: Any
) -> None:
    root = say(driver, WILE, "Checkout fails @here & <b>")
    driver.command(ALICE, "claim T-1")
    driver.command(ALICE, "note T-1 Their plan is the legacy one; SECRET-NOTE")
    driver.command(ALICE, "reply T-1 We are on it & will update you <soon>")
    tick(hours=3)  # the resolution target and the next-response clock run on; alerts go to the team only
    messages = everything_in(slack, SHARED)
    texts = "\n".join(m.get("text", "") + str(m.get("blocks") or "") for m in messages)
    assert "SECRET-NOTE" not in texts and "breach" not in texts.lower() and "T-1 ·" not in texts
    [reply] = [m for m in messages if m.get("username")]
    assert reply["text"] == "We are on it &amp; will update you &lt;soon&gt;" and reply["username"] == "alice"
    assert "being worked on by *alice*" in status_line(slack, root)["text"]
    driver.command(ALICE, "status T-1 pending")
    tick()
    assert "waiting on you" in status_line(slack, root)["text"]
    driver.command(ALICE, "status T-1 solved")
    tick()
    assert "is solved" in status_line(slack, root)["text"]
    # The customer's text is stored as typed and shown without pinging anyone.
    with liaison.services.database.session() as session:
        assert session.scalar(select(Ticket.subject)) == "Checkout fails @here & <b>"


def test_a_customer_reply_after_solving_reopens_the_ticket(
    driver: SlackDriver, slack: SlackStandIn, liaison: Liaison, shared: str, tick: Any
) -> None:
    root = say(driver, WILE, "Checkout fails")
    driver.command(ALICE, "status T-1 solved")
    tick()
    assert "is solved" in status_line(slack, root)["text"]
    say(driver, WILE, "It is back", thread_ts=root)
    tick()
    with liaison.services.database.session() as session:
        assert session.scalar(select(Ticket.status)) == "open"
    # The reopen is in the ticket's log, so its resolution clock runs again.
    assert clocks(liaison)[("resolution", 0)] == "running"
    assert "being worked on" in status_line(slack, root)["text"] or "in our queue" in status_line(slack, root)["text"]


@pytest.mark.parametrize(
    "event",
    [
        {"type": "message", "subtype": "bot_message", "bot_id": "B0OTHER01", "text": "deploy done", "ts": "1.1"},
        {"type": "message", "subtype": "message_changed", "message": {"text": "edited", "user": WILE}, "ts": "1.2"},
        {"type": "message", "subtype": "message_deleted", "deleted_ts": "1.0", "ts": "1.3"},
        {"type": "message", "subtype": "channel_join", "user": WILE, "text": "<@U0WILE001> has joined", "ts": "1.4"},
        {"type": "message", "user": ALICE, "text": "Hello Acme team", "ts": "1.5"},  # an agent, top level
        {"type": "message", "user": WILE, "text": "in a thread nobody opened", "ts": "1.7", "thread_ts": "1.6"},
    ],
)
def test_events_liaison_ignores_are_acknowledged_and_open_nothing(
    driver: SlackDriver, liaison: Liaison, shared: str, event: dict[str, Any]
) -> None:
    assert driver.event({**event, "channel": SHARED, "channel_type": "channel"}).status == 200
    assert driver.event({**event, "channel": GENERAL, "channel_type": "channel"}).status == 200
    with liaison.services.database.session() as session:
        assert session.scalars(select(Ticket)).all() == []


def test_an_agent_names_a_customers_shared_channel(
    driver: SlackDriver, slack: SlackStandIn, liaison: Liaison, shared: str
) -> None:
    slack.add_channel("C0GLOBEX01", "globex-shared", members=[ALICE, WILE, slack.bot_user_id])
    liaison.services.customers.sync()  # as on the first message event: the policy file's customers exist
    answer = driver.command(ALICE, "customer-channel Acme #globex-shared").json()["text"]
    assert answer.startswith("<#C0GLOBEX01> is now Acme's shared channel")
    assert (
        "There is no customer Initech"
        in driver.command(ALICE, "customer-channel Initech #globex-shared").json()["text"]
    )
    assert "Name the customer, then their channel" in driver.command(ALICE, "customer-channel Acme").json()["text"]
    say_there = driver.user_message(WILE, "C0GLOBEX01", "Hello from the new channel")
    assert say_there.status == 200
    with liaison.services.database.session() as session:
        assert session.scalar(select(Ticket.subject)) == "Hello from the new channel"


def test_files_and_very_long_text_are_kept_safely(
    driver: SlackDriver, slack: SlackStandIn, liaison: Liaison, shared: str, tick: Any
) -> None:
    long = "Logs follow. " + "x" * 30_000
    files = [{"id": "F0LOG0001", "name": "checkout.log"}, {"id": "F0SHOT001", "name": "screen <1>.png"}]
    for text in (long, "See attached"):
        ts = slack.post_user_message(SHARED, WILE, text)
        event = {**slack.slack_message(SHARED, ts), "subtype": "file_share", "files": files, "channel": SHARED}
        assert driver.event(event).status == 200
    tick()
    with liaison.services.database.session() as session:
        first, second = session.scalars(select(Ticket).order_by(Ticket.id)).all()
    assert len(first.subject) <= 150 and first.subject.endswith("…")
    assert first.description.endswith("… (truncated)") and len(first.description) <= 20_000
    assert second.description == "See attached\n\n(2 files: checkout.log, screen <1>.png)"
    assert [(r.dedupe_key, r.last_error) for r in liaison.services.dispatcher.parked()] == []
