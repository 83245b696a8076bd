"""Spotting a pattern early: similar unlinked tickets are suggested once as one incident; Declare links them to a
new incident, Link to an open one, Dismiss keeps the group from being suggested again."""

from __future__ import annotations

import pytest

from app import Liaison
from bot.local.driver import SlackDriver
from bot.local.standin import SlackStandIn
from bot.messages.incident_forms import SUGGEST_DECLARE, SUGGEST_DISMISS, SUGGEST_LINK
from tests.e2e.helpers import block_texts, card, open_ticket
from tests.e2e.test_incidents import clock, config, declare, workspace  # noqa: F401 - the same workspace and policy
from tests.slack_fixtures import ALICE, CAROL, QUEUE

SIMILAR = ("Checkout fails with 502", "checkout failing for EU customers", "Payments failed at checkout since 9am")


@pytest.fixture
def suggest(liaison: Liaison, tick):  # noqa: ANN001, ANN201
    def suggest() -> int:
        found = liaison.services.patterns.run()
        tick(seconds=0)
        return found

    return suggest


def suggestions(slack: SlackStandIn) -> list[dict]:
    return [m for m in slack.messages(QUEUE) if "similar tickets" in m.get("text", "")]


def open_similar(driver: SlackDriver) -> None:
    for subject in SIMILAR:
        open_ticket(driver, ALICE, subject)
    open_ticket(driver, ALICE, "Invoice PDF missing logo")


def test_similar_tickets_are_suggested_once_and_a_dismissal_sticks(
    driver: SlackDriver, slack: SlackStandIn, suggest
) -> None:  # noqa: ANN001
    open_similar(driver)
    assert suggest() == 1 and suggest() == 0
    (message,) = suggestions(slack)
    text = block_texts(message["blocks"])
    assert "3 similar tickets (checkout, fail)" in text and "T-1" in text and "T-3" in text and "T-4" not in text
    driver.click(CAROL, SUGGEST_DISMISS, channel=QUEUE)
    assert "Only support agents" in slack.response_posts()[-1]["body"]["text"]
    driver.click(ALICE, SUGGEST_DISMISS, channel=QUEUE)
    suggest()
    assert "Dismissed by <@U0ALICE01>" in block_texts(slack.message(QUEUE, message["ts"])["blocks"])
    open_ticket(driver, ALICE, "Checkout fails again")
    assert suggest() == 0, "a dismissed group is not suggested again as it grows"


def test_declare_from_a_suggestion_links_its_tickets(driver: SlackDriver, slack: SlackStandIn, suggest) -> None:  # noqa: ANN001
    open_similar(driver)
    suggest()
    (message,) = suggestions(slack)
    driver.click(ALICE, SUGGEST_DECLARE, channel=QUEUE)
    (form,) = slack.view_stack(ALICE)
    assert form["callback_id"] == "incident_declare"
    assert driver.submit_view(ALICE, {"severity": {"value": "SEV3"}}).status == 200
    suggest()
    for key in ("T-1", "T-2", "T-3"):
        assert "*Incident*: INC-1" in block_texts(card(slack, key)["blocks"])
    assert "*Incident*" not in block_texts(card(slack, "T-4")["blocks"])
    assert "declared INC-1 for these tickets" in block_texts(slack.message(QUEUE, message["ts"])["blocks"])


def test_link_a_suggestion_to_an_open_incident(driver: SlackDriver, slack: SlackStandIn, suggest, tick) -> None:  # noqa: ANN001
    declare(driver, tick, "Checkout outage")
    open_similar(driver)
    suggest()
    driver.click(ALICE, SUGGEST_LINK, channel=QUEUE)
    assert driver.submit_view(ALICE, {"incident": {"value": "INC-1"}}).status == 200
    suggest()
    assert "*Incident*: INC-1" in block_texts(card(slack, "T-2")["blocks"])
