"""Slack's retries, double clicks and double submissions change a ticket once and post once."""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import func, select

from bot.db import Database
from bot.local.driver import DriverResponse, SlackDriver
from bot.local.standin import SlackStandIn
from models import OutboxMessage, Ticket, TicketEvent
from tests.e2e.helpers import card, open_ticket, thread
from tests.slack_fixtures import ALICE, BOB, CAROL, QUEUE


class Redelivery:
    """Remembers what the driver sent, so a test can send the same signed body again as Slack's retry."""

    def __init__(self, driver: SlackDriver) -> None:
        self.sent: list[tuple[bytes, dict[str, str]]] = []
        self.post = driver.post_raw

        def recording(body: bytes, headers: dict[str, str]) -> DriverResponse:
            self.sent.append((body, dict(headers)))
            return self.post(body, headers)

        driver.post_raw = recording  # type: ignore[method-assign]

    def again(self, retry: int = 1) -> DriverResponse:
        body, headers = self.sent[-1]
        return self.post(body, headers | {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"})


def count(database: Database, model: type, *where: Any) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def kinds(database: Database) -> list[str]:
    with database.session() as session:
        return list(session.scalars(select(TicketEvent.kind).order_by(TicketEvent.id)))


def test_a_retried_note_command_is_recorded_once(
    driver: SlackDriver, slack: SlackStandIn, database: Database, deliver
) -> None:
    open_ticket(driver, CAROL)
    resend = Redelivery(driver)
    answer = driver.command(ALICE, "note T-1 Customer is on the legacy plan")
    assert answer.json()["text"] == "T-1: internal note added."
    for retry in (1, 2, 3):
        answer = resend.again(retry)
        assert answer.status == 200 and "Already done" in answer.json()["text"]
    deliver()
    assert kinds(database).count("internal_note") == 1
    assert sum("legacy plan" in text for text in thread(slack)) == 1


def test_a_retried_reply_command_is_recorded_once(
    driver: SlackDriver, slack: SlackStandIn, database: Database, deliver
) -> None:
    open_ticket(driver, CAROL)
    resend = Redelivery(driver)
    driver.command(ALICE, "reply T-1 We deployed a fix")
    assert resend.again().status == 200
    deliver()
    assert kinds(database).count("public_reply") == 1
    assert sum("We deployed a fix" in text for text in thread(slack)) == 1
    # Typing the same reply again is a new request, and is recorded again.
    driver.command(ALICE, "reply T-1 We deployed a fix")
    assert kinds(database).count("public_reply") == 2


def test_a_retried_new_ticket_submission_opens_one_ticket_with_one_card(
    driver: SlackDriver, slack: SlackStandIn, database: Database, deliver
) -> None:
    driver.command(CAROL, "new Printer on fire")
    resend = Redelivery(driver)
    assert driver.submit_view(CAROL, {"new_customer": {"value": "Acme"}}).status == 200
    for retry in (1, 2):
        answer = resend.again(retry)
        assert answer.status == 200 and not answer.body  # closes the modal again, opens nothing
    deliver()
    assert count(database, Ticket) == 1
    assert card(slack)["text"].startswith("T-1 ·")
    assert count(database, OutboxMessage, OutboxMessage.dedupe_key.like("opened:%")) == 1  # one DM to Carol


def test_a_retried_note_submission_adds_the_note_once(
    driver: SlackDriver, slack: SlackStandIn, database: Database, deliver
) -> None:
    open_ticket(driver, CAROL)
    deliver()
    driver.click(BOB, "ticket_note", channel=QUEUE, message_ts=card(slack)["ts"])
    resend = Redelivery(driver)
    assert driver.submit_view(BOB, {"note": {"value": "Call them back at 3"}}).status == 200
    assert resend.again().status == 200 and resend.again(2).status == 200
    deliver()
    assert kinds(database).count("internal_note") == 1
    assert sum("Call them back at 3" in text for text in thread(slack)) == 1


def test_a_double_click_on_claim_posts_one_claim(
    driver: SlackDriver, slack: SlackStandIn, database: Database, deliver
) -> None:
    open_ticket(driver, CAROL)
    deliver()
    for _ in range(2):
        assert driver.click(BOB, "ticket_claim", channel=QUEUE, message_ts=card(slack)["ts"]).status == 200
    answers = [post["body"]["text"] for post in slack.response_posts()]
    assert answers[-2:] == ["T-1 is yours.", "T-1 is already yours."]
    deliver()
    assert kinds(database).count("assignee_change") == 1
    assert sum("took the ticket" in text for text in thread(slack)) == 1


def test_two_clicks_on_claim_at_once_post_one_claim(
    driver: SlackDriver, slack: SlackStandIn, database: Database, deliver
) -> None:
    open_ticket(driver, CAROL)
    deliver()
    ts = card(slack)["ts"]
    start = threading.Barrier(2)
    statuses: list[int] = []

    def click() -> None:
        start.wait(timeout=5)
        statuses.append(driver.click(BOB, "ticket_claim", channel=QUEUE, message_ts=ts).status)

    clickers = [threading.Thread(target=click) for _ in range(2)]
    for clicker in clickers:
        clicker.start()
    for clicker in clickers:
        clicker.join(timeout=30)
    assert statuses == [200, 200]
    answers = sorted(post["body"]["text"] for post in slack.response_posts())
    assert answers == ["T-1 is already yours.", "T-1 is yours."]
    deliver()
    assert kinds(database).count("assignee_change") == 1
    assert sum("took the ticket" in text for text in thread(slack)) == 1


def test_claiming_your_own_ticket_says_so_and_records_nothing(
    driver: SlackDriver, slack: SlackStandIn, database: Database, deliver
) -> None:
    open_ticket(driver, CAROL)
    driver.command(ALICE, "claim T-1")
    deliver()
    before = (kinds(database), count(database, OutboxMessage), thread(slack))
    assert driver.command(ALICE, "claim T-1").json()["text"] == "T-1 is already yours."
    driver.click(ALICE, "ticket_claim", channel=QUEUE, message_ts=card(slack)["ts"])
    assert slack.response_posts()[-1]["body"]["text"] == "T-1 is already yours."
    assert driver.command(ALICE, "priority T-1 P2").json()["text"] == "T-1 is already P2."
    deliver()
    assert (kinds(database), count(database, OutboxMessage), thread(slack)) == before
