"""The outbox dispatcher against the Slack stand-in: leases, deliveries that died mid-call, faults kept to one row."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app import Liaison
from bot import outbox
from bot.clock import MovableClock
from bot.db import Database
from bot.dispatcher import MAX_FAILURES, OutboxDispatcher
from bot.gateway import keyed_metadata
from bot.local.driver import SlackDriver
from bot.local.standin import SlackStandIn
from models import OutboxMessage
from tests.e2e.helpers import open_ticket
from tests.slack_fixtures import ALICE, GENERAL, QUEUE


def queue(database: Database, clock: MovableClock, key: str, text: str, *, channel: str = GENERAL, order: str = "k"):
    with database.session() as session:
        outbox.enqueue(
            session,
            now=clock.now(),
            dedupe_key=key,
            method="chat.postMessage",
            payload={"channel": channel, "text": text},
            ordering_key=order,
        )


def row(database: Database, key: str) -> OutboxMessage:
    with database.session() as session:
        return session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == key))


def texts(slack: SlackStandIn, channel: str = GENERAL) -> list[str]:
    return [m["text"] for m in slack.messages(channel)]


def die_mid_call(database: Database, clock: MovableClock, key: str) -> None:
    """Leave the row as a process killed during its Slack call leaves it: leased, no outcome, lease now expired."""
    with database.session() as session:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.dedupe_key == key)
            .values(lease_owner="4242:dead", lease_until=clock.now() - timedelta(seconds=1))
        )


@pytest.fixture
def dispatcher(liaison: Liaison) -> OutboxDispatcher:
    return liaison.services.dispatcher


def test_a_delivery_that_died_after_slack_posted_is_not_posted_again(
    dispatcher: OutboxDispatcher, database: Database, slack: SlackStandIn, clock: MovableClock
) -> None:
    queue(database, clock, "once", "hello")
    posted = dispatcher.gateway.post_message(GENERAL, "hello", metadata=keyed_metadata("once"))
    die_mid_call(database, clock, "once")

    assert dispatcher.drain().delivered == 1
    assert texts(slack) == ["hello"]
    delivered = row(database, "once")
    assert (delivered.state, delivered.posted_ts, delivered.posted_channel) == ("delivered", posted["ts"], GENERAL)
    assert delivered.lease_owner is None and not delivered.in_doubt


def test_a_delivery_that_died_before_slack_got_it_is_posted_once(
    dispatcher: OutboxDispatcher, database: Database, slack: SlackStandIn, clock: MovableClock
) -> None:
    queue(database, clock, "lost", "hello")
    die_mid_call(database, clock, "lost")

    assert dispatcher.drain().delivered == 1
    assert texts(slack) == ["hello"]
    history = slack.calls("conversations.history")
    assert history and history[0].args["include_all_metadata"] in (True, "true", "1")


def test_a_thread_reply_in_doubt_is_looked_for_in_its_thread(
    dispatcher: OutboxDispatcher, database: Database, slack: SlackStandIn, clock: MovableClock
) -> None:
    parent = dispatcher.gateway.post_message(GENERAL, "parent")["ts"]
    with database.session() as session:
        payload = {"channel": GENERAL, "text": "reply", "thread_ts": parent}
        outbox.enqueue(
            session, now=clock.now(), dedupe_key="r", method="chat.postMessage", payload=payload, ordering_key="k"
        )
    dispatcher.gateway.post_message(GENERAL, "reply", thread_ts=parent, metadata=keyed_metadata("r"))
    die_mid_call(database, clock, "r")

    dispatcher.drain()
    assert [m["text"] for m in slack.replies(GENERAL, parent)] == ["reply"]


def test_a_row_leased_by_a_live_process_waits_for_its_lease(
    dispatcher: OutboxDispatcher, database: Database, slack: SlackStandIn, clock: MovableClock
) -> None:
    queue(database, clock, "held", "hello")
    with database.session() as session:
        lease = {"lease_owner": "4242:alive", "lease_until": clock.now() + timedelta(seconds=30)}
        session.execute(update(OutboxMessage).where(OutboxMessage.dedupe_key == "held").values(**lease))
    assert dispatcher.drain().handled == 0
    clock.advance(timedelta(seconds=31))
    assert dispatcher.drain().delivered == 1
    assert texts(slack) == ["hello"]


def test_an_unknown_slack_error_is_tried_a_few_times_then_parked_without_blocking_others(
    dispatcher: OutboxDispatcher, database: Database, slack: SlackStandIn, clock: MovableClock
) -> None:
    queue(database, clock, "odd", "odd one", channel=QUEUE, order="a")
    slack.fail("chat.postMessage", error="some_new_error", times=100)
    dispatcher.drain()
    slack.clear_failures()
    queue(database, clock, "fine", "fine one", order="b")
    assert dispatcher.drain().delivered == 1  # the failing row backs off; the other key goes
    assert texts(slack) == ["fine one"]
    slack.fail("chat.postMessage", error="some_new_error", times=100)
    for _ in range(MAX_FAILURES * 2):
        clock.advance(timedelta(minutes=5))
        dispatcher.drain()
    parked = row(database, "odd")
    assert (parked.state, parked.last_error, parked.attempts) == ("parked", "some_new_error", MAX_FAILURES)


def test_a_failing_render_is_retried_with_back_off_then_parked(
    liaison: Liaison, database: Database, slack: SlackStandIn, clock: MovableClock, driver: SlackDriver
) -> None:
    calls = []

    def broken(*_: object) -> tuple[str, list]:
        calls.append(clock.now())
        raise RuntimeError("renderer bug")

    dispatcher = OutboxDispatcher(database, liaison.services.gateway, clock, render_card=broken)
    open_ticket(driver, ALICE)
    queue(database, clock, "plain", "still delivered", order="other")
    dispatcher.drain()
    assert texts(slack) == ["still delivered"] and texts(slack, QUEUE) == []
    card = row(database, "card:T-1:post")
    assert (card.state, card.attempts, card.last_error) == ("pending", 1, "RuntimeError: renderer bug")
    assert card.next_attempt_at == clock.now() + timedelta(seconds=1)
    for _ in range(MAX_FAILURES * 2):
        clock.advance(timedelta(minutes=5))
        dispatcher.drain()
    assert row(database, "card:T-1:post").state == "parked" and len(calls) == MAX_FAILURES


def test_posted_messages_keep_their_ts(
    dispatcher: OutboxDispatcher, database: Database, slack: SlackStandIn, clock: MovableClock
) -> None:
    queue(database, clock, "kept", "hello")
    dispatcher.drain()
    kept = row(database, "kept")
    assert (kept.posted_channel, kept.posted_ts) == (GENERAL, slack.messages(GENERAL)[0]["ts"])


def follow_up(database: Database, clock: MovableClock, after: str, key: str, text: str, *, as_: str) -> None:
    with database.session() as session:
        outbox.follow(
            session,
            now=clock.now(),
            after=after,
            dedupe_key=key,
            method="chat.update" if as_ == "ts" else "chat.postMessage",
            payload={"text": text},
            ordering_key="k",
            as_=as_,
        )


def test_a_follow_up_edits_or_answers_the_message_its_earlier_row_posted(
    dispatcher: OutboxDispatcher, database: Database, slack: SlackStandIn, clock: MovableClock
) -> None:
    queue(database, clock, "first", "Paging @alice")
    follow_up(database, clock, "first", "first:edit", "Paged @alice: acknowledged", as_="ts")
    follow_up(database, clock, "first", "first:reply", "Acknowledged after 2m", as_="thread_ts")
    assert dispatcher.drain().delivered == 3
    (message,) = slack.messages(GENERAL)
    assert message["text"] == "Paged @alice: acknowledged" and message["edited"]
    assert [r["text"] for r in slack.replies(GENERAL, message["ts"])] == ["Acknowledged after 2m"]


def test_a_follow_up_of_a_message_that_never_went_out_is_parked_not_sent_elsewhere(
    dispatcher: OutboxDispatcher, database: Database, slack: SlackStandIn, clock: MovableClock
) -> None:
    queue(database, clock, "lost", "hello", channel="C0NOSUCH01")
    follow_up(database, clock, "lost", "lost:edit", "edited", as_="ts")
    assert dispatcher.drain().parked == 2
    assert row(database, "lost:edit").last_error == "the message it follows (lost) was not posted"
    assert slack.calls("chat.update") == []
