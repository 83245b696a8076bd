"""The card's Claim button, status select and Add note modal, clicked as a person would."""

from __future__ import annotations

from bot.db import Database
from bot.local.driver import SlackDriver
from bot.local.standin import SlackStandIn
from models import Ticket
from tests.e2e.helpers import block_texts, card, open_ticket, thread
from tests.slack_fixtures import ALICE, BOB, CAROL, QUEUE


def test_claim_button_assigns_the_clicker_and_updates_the_card(
    driver: SlackDriver, slack: SlackStandIn, database: Database, deliver
) -> None:
    open_ticket(driver, CAROL)
    deliver()
    response = driver.click(BOB, "ticket_claim", channel=QUEUE, message_ts=card(slack)["ts"])
    assert response.status == 200
    assert slack.response_posts()[-1]["body"]["text"] == "T-1 is yours."
    deliver()
    assert f"<@{BOB}>" in block_texts(card(slack)["blocks"])
    assert "Take over" in block_texts(card(slack)["blocks"])
    assert "took the ticket" in thread(slack)[-1]
    with database.session() as session:
        assert session.get(Ticket, 1).assignee_id == BOB


def test_status_select_changes_the_status(
    driver: SlackDriver, slack: SlackStandIn, database: Database, deliver
) -> None:
    open_ticket(driver, ALICE)
    deliver()
    driver.click(ALICE, "ticket_status", channel=QUEUE, message_ts=card(slack)["ts"], selected_option="solved")
    deliver()
    with database.session() as session:
        assert session.get(Ticket, 1).status == "solved"
    actions = next(b for b in card(slack)["blocks"] if b["type"] == "actions")
    assert [e["action_id"] for e in actions["elements"]] == ["ticket_status", "ticket_note"]  # no Claim once solved
    assert actions["elements"][0]["initial_option"]["value"] == "solved"


def test_add_note_opens_a_modal_and_records_the_note(
    driver: SlackDriver, slack: SlackStandIn, database: Database, deliver
) -> None:
    open_ticket(driver, ALICE)
    deliver()
    driver.click(BOB, "ticket_note", channel=QUEUE, message_ts=card(slack)["ts"])
    (view,) = slack.view_stack(BOB)
    assert view["callback_id"] == "ticket_note_modal"
    empty = driver.submit_view(BOB, {"note": {"value": ""}})
    assert empty.json() == {"response_action": "errors", "errors": {"note": "Write the note, or cancel."}}
    assert driver.submit_view(BOB, {"note": {"value": "Customer is on the legacy plan"}}).status == 200
    deliver()
    assert "Customer is on the legacy plan" in thread(slack)[-1] and "Internal note" in thread(slack)[-1]


def test_a_non_agent_clicking_gets_a_refusal_and_changes_nothing(
    driver: SlackDriver, slack: SlackStandIn, database: Database, deliver
) -> None:
    open_ticket(driver, ALICE)
    deliver()
    driver.click(CAROL, "ticket_claim", channel=QUEUE, message_ts=card(slack)["ts"])
    assert slack.response_posts()[-1]["body"]["text"].startswith("Only support agents can change T-1.")
    driver.click(CAROL, "ticket_note", channel=QUEUE, message_ts=card(slack)["ts"])
    assert slack.view_stack(CAROL) == []
    with database.session() as session:
        assert session.get(Ticket, 1).assignee_id is None


def test_double_click_on_claim_changes_the_ticket_once(
    driver: SlackDriver, slack: SlackStandIn, database: Database, deliver
) -> None:
    open_ticket(driver, ALICE)
    deliver()
    for _ in range(2):
        driver.click(BOB, "ticket_claim", channel=QUEUE, message_ts=card(slack)["ts"])
    deliver()
    with database.session() as session:
        assert session.get(Ticket, 1).card_version == 1
    assert sum("took the ticket" in text for text in thread(slack)) == 1
