"""Opening and working a ticket over signed HTTP: the modal, the card, its thread, and every /ticket subcommand."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

from sqlalchemy import select

from bot.db import Database
from bot.local.driver import SlackDriver
from bot.local.standin import SlackStandIn
from models import Ticket, TicketEvent
from tests.e2e.helpers import block_texts, card, open_ticket, thread
from tests.slack_fixtures import ALICE, BOB, CAROL

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def ticket(database: Database, number: int = 1) -> Ticket:
    with database.session() as session:
        found = session.get(Ticket, number)
        assert found is not None
        return found


def test_ticket_new_opens_a_prefilled_modal(driver: SlackDriver, slack: SlackStandIn) -> None:
    response = driver.command(ALICE, "new Checkout fails")
    assert response.status == 200
    (view,) = slack.view_stack(ALICE)
    assert view["callback_id"] == "ticket_new" and view["title"]["text"] == "New ticket"
    subject = next(b for b in view["blocks"] if b.get("block_id") == "subject")
    assert subject["element"]["initial_value"] == "Checkout fails"


def test_submitting_the_modal_opens_the_ticket_and_posts_its_card(
    driver: SlackDriver, slack: SlackStandIn, database: Database, deliver
) -> None:
    open_ticket(driver, ALICE, description="Payments fail since 9am")
    assert slack.view_stack(ALICE) == []
    opened = ticket(database)
    assert (opened.subject, opened.priority, opened.status, opened.source) == ("Checkout fails", "P2", "new", "command")
    assert opened.customer.name == "Acme" and opened.requester_id == ALICE

    deliver()
    posted = card(slack)
    assert posted["ts"] == ticket(database).card_ts
    text = block_texts(posted["blocks"])
    assert "T-1 · Checkout fails" in text and "Acme" in text and "Payments fail since 9am" in text
    actions = next(b for b in posted["blocks"] if b["type"] == "actions")
    assert [e["action_id"] for e in actions["elements"]] == [
        "ticket_claim",
        "ticket_status",
        "ticket_note",
        "ticket_escalate",
        "ticket_link_incident",
    ]
    assert "opened *T-1*" in thread(slack)[0]
    assert "T-1" in slack.messages(slack.dm_channel(ALICE))[0]["text"]


def test_invalid_modal_fields_get_inline_errors_and_keep_the_modal(
    driver: SlackDriver, slack: SlackStandIn, database: Database
) -> None:
    driver.command(ALICE, "new")
    response = driver.submit_view(ALICE, {"subject": {"value": "   "}, "new_customer": {"value": ""}})
    assert response.json()["response_action"] == "errors"
    errors = response.json()["errors"]
    assert errors["subject"] == "Give the ticket a subject."
    assert errors["new_customer"] == "Pick a customer or type a new one."
    assert len(slack.view_stack(ALICE)) == 1
    with database.session() as session:
        assert session.scalars(select(Ticket)).all() == []


def test_a_double_submit_opens_one_ticket(driver: SlackDriver, slack: SlackStandIn, database: Database) -> None:
    driver.command(ALICE, "new Duplicate me")
    (view,) = slack.view_stack(ALICE)
    state = {
        "new_customer": {"value": {"type": "plain_text_input", "value": "Acme"}},
        "subject": {"value": {"type": "plain_text_input", "value": "Duplicate me"}},
    }
    payload = {
        "type": "view_submission",
        "team": {"id": slack.team_id},
        "user": {"id": ALICE},
        "view": view | {"state": {"values": state}},
    }
    body = urlencode({"payload": json.dumps(payload)}).encode()
    # Two clicks in flight at once, as a person double-clicking Submit on a slow network.
    with ThreadPoolExecutor(2) as pool:
        statuses = list(pool.map(lambda _: driver.post_raw(body, FORM | driver.sign(body)).status, range(2)))
    assert statuses == [200, 200]
    with database.session() as session:
        assert len(session.scalars(select(Ticket)).all()) == 1


def test_the_modal_offers_existing_customers(driver: SlackDriver, slack: SlackStandIn, database: Database) -> None:
    open_ticket(driver, ALICE, customer="Acme")
    driver.command(BOB, "new Second issue")
    (view,) = slack.view_stack(BOB)
    customer = next(b for b in view["blocks"] if b.get("block_id") == "customer")
    assert [o["text"]["text"] for o in customer["element"]["options"]] == ["Acme (standard)"]
    option = customer["element"]["options"][0]["value"]
    assert driver.submit_view(BOB, {"customer": {"value": option}}).status == 200
    assert ticket(database, 2).customer_id == ticket(database, 1).customer_id


def test_every_subcommand_changes_the_ticket_and_its_card(
    driver: SlackDriver, slack: SlackStandIn, database: Database, deliver
) -> None:
    open_ticket(driver, CAROL)
    deliver()
    steps = [
        ("claim T-1", "it's yours", "took the ticket"),
        (f"assign T-1 <@{BOB}|bob>", f"assigned to <@{BOB}>", f"assigned the ticket to <@{BOB}>"),
        ("priority T-1 P1", "priority is now P1", "from *P2* to *P1*"),
        ("status T-1 pending", "status is now pending", "from *open* to *pending*"),
        ("reply T-1 We deployed a fix", "reply to the customer recorded", "replied to the customer"),
        ("note T-1 Legacy plan", "internal note added", "*Internal note*"),
        ("customer T-1 Works now, thanks", "customer message recorded", "Message from the customer"),
    ]
    for text, answer, activity in steps:
        response = driver.command(ALICE, text)
        assert response.status == 200
        assert answer in response.json()["text"], (text, response.json())
        assert response.json()["response_type"] == "ephemeral"
        deliver()
        assert activity in thread(slack)[-1], (text, thread(slack)[-1])
    final = ticket(database)
    assert (final.assignee_id, final.priority, final.status) == (BOB, "P1", "open")
    # The customer's message reopens the pending ticket: a status change of its own, folded into the same update.
    assert final.card_version == len(steps) + 1
    updates = [c for c in slack.calls("chat.update") if c.response and c.response.get("ok")]
    assert len(updates) == len(steps)
    assert "P1" in block_texts(card(slack)["blocks"]) and f"<@{BOB}>" in block_texts(card(slack)["blocks"])
    with database.session() as session:
        kinds = session.scalars(select(TicketEvent.kind).order_by(TicketEvent.id)).all()
    assert kinds[0] == "created" and kinds[-1] == "customer_message" and len(kinds) == len(steps) + 2


def test_list_and_show(driver: SlackDriver, deliver) -> None:
    open_ticket(driver, ALICE, "Low thing", priority="P4")
    open_ticket(driver, ALICE, "Urgent thing", priority="P1", customer="Globex")
    driver.command(ALICE, "note T-2 internal detail")
    listed = driver.command(ALICE, "list").json()
    text = block_texts(listed["blocks"])
    assert text.index("T-2") < text.index("T-1")
    assert "Globex" in block_texts(driver.command(ALICE, "list globex").json()["blocks"])
    assert "T-1" not in block_texts(driver.command(ALICE, "list globex").json()["blocks"])
    assert "none" in driver.command(ALICE, "list mine").json()["text"]
    shown = block_texts(driver.command(ALICE, "show T-2").json()["blocks"])
    assert "Urgent thing" in shown and "internal detail" in shown


def test_help_and_usage(driver: SlackDriver) -> None:
    for text in ("", "help"):
        answer = driver.command(ALICE, text).json()["text"]
        assert "/ticket new" in answer and "/ticket note T-12" in answer
    unknown = driver.command(ALICE, "frobnicate").json()["text"]
    assert "I don't know `/ticket frobnicate`" in unknown and "/ticket list" in unknown
    missing = driver.command(ALICE, "reply T-1").json()["text"]
    assert "needs the reply text, for example `/ticket reply T-12" in missing
    assert "Which ticket?" in driver.command(ALICE, "claim").json()["text"]


def test_unknown_ticket_gets_a_plain_message(driver: SlackDriver) -> None:
    answer = driver.command(ALICE, "show T-404").json()
    assert answer["text"] == "There is no ticket T-404. Try `/ticket list` to see open tickets."


def test_non_agents_may_open_and_follow_but_not_change(
    driver: SlackDriver, slack: SlackStandIn, database: Database
) -> None:
    open_ticket(driver, ALICE, "Agent's ticket")
    open_ticket(driver, CAROL, "Carol's ticket")
    refused = driver.command(CAROL, "status T-1 solved").json()["text"]
    assert refused.startswith("Only support agents can change T-1.")
    assert ticket(database, 1).status == "new"
    assert "not one of your tickets" in driver.command(CAROL, "show T-1").json()["text"]
    mine = block_texts(driver.command(CAROL, "list").json()["blocks"])
    assert "T-2" in mine and "T-1" not in mine
    assert "recorded" in driver.command(CAROL, "customer T-2 more detail").json()["text"]
