"""A Slack outage delays card updates and loses none: every update arrives exactly once, in order."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.clock import MovableClock
from bot.db import Database
from bot.local.driver import SlackDriver
from bot.local.standin import SlackStandIn
from models import OutboxMessage
from tests.e2e.helpers import card, open_ticket, thread
from tests.slack_fixtures import ALICE, QUEUE

STATUSES = ["open", "pending", "on-hold", "open", "solved"]


def delivered_updates(slack: SlackStandIn) -> list[str]:
    return [c.args["text"] for c in slack.calls("chat.update") if c.status == 200 and c.response.get("ok")]


def drain_until_quiet(deliver, clock: MovableClock, rounds: int = 40) -> None:
    for _ in range(rounds):
        deliver()
        clock.advance(timedelta(seconds=30))


def test_outage_and_rate_limits_delay_but_never_drop_or_reorder(
    driver: SlackDriver, slack: SlackStandIn, database: Database, deliver, clock: MovableClock
) -> None:
    open_ticket(driver, ALICE)
    deliver()
    slack.outage(120, status=503)
    for status in STATUSES:
        driver.command(ALICE, f"status T-1 {status}")
        result = deliver()
        assert result.delivered == 0
    clock.advance(timedelta(seconds=121))
    slack.rate_limit(60, retry_after=20)
    deliver()
    assert delivered_updates(slack) == []
    drain_until_quiet(deliver, clock)

    # The card's five queued updates fold into one, rendered as the ticket is at delivery; the thread keeps every
    # change, once each and in order.
    assert [text.split(" · ")[2] for text in delivered_updates(slack)] == ["Solved"]
    assert [t.split("to *")[1].split("*")[0] for t in thread(slack)[1:]] == STATUSES
    assert "Solved" in card(slack)["text"]
    failed = [c for c in slack.calls() if c.status != 200]
    assert any(c.status == 503 for c in failed) and any(c.status == 429 for c in failed)
    with database.session() as session:
        states = set(session.scalars(select(OutboxMessage.state)))
    assert states == {"delivered"}


def test_retry_after_is_honoured(
    driver: SlackDriver, slack: SlackStandIn, database: Database, deliver, clock: MovableClock
) -> None:
    slack.fail("chat.postMessage", retry_after=30, times=1)
    open_ticket(driver, ALICE)
    deliver()
    assert slack.messages(QUEUE) == []
    clock.advance(timedelta(seconds=29))
    deliver()
    assert slack.messages(QUEUE) == []
    clock.advance(timedelta(seconds=2))
    deliver()
    assert len(slack.messages(QUEUE)) == 1


def test_a_message_slack_can_never_take_is_parked_with_its_reason(
    driver: SlackDriver, slack: SlackStandIn, database: Database, deliver
) -> None:
    open_ticket(driver, ALICE)
    slack.fail("chat.postMessage", error="channel_not_found", times=1)
    deliver()
    with database.session() as session:
        parked = session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == "card:T-1:post"))
        assert (parked.state, parked.last_error) == ("parked", "channel_not_found")
    answer = driver.command(ALICE, "outbox").json()["text"]
    assert "card:T-1:post" in answer and "channel_not_found" in answer


def test_the_bot_joins_a_public_channel_it_is_not_in(
    slack: SlackStandIn, database: Database, deliver, clock: MovableClock
) -> None:
    slack.add_channel("C0NEWQUEUE", "new-queue", members=[ALICE])
    with database.session() as session:
        session.add(
            OutboxMessage(
                dedupe_key="probe",
                ordering_key="probe",
                method="chat.postMessage",
                payload={"channel": "C0NEWQUEUE", "text": "hello"},
                role="plain",
                state="pending",
                attempts=0,
                next_attempt_at=clock.now(),
                created_at=clock.now(),
            )
        )
    assert deliver().delivered == 1
    assert [c.method for c in slack.calls()][-3:] == ["chat.postMessage", "conversations.join", "chat.postMessage"]
    assert slack.messages("C0NEWQUEUE")[0]["text"] == "hello"
