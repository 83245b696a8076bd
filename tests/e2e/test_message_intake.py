"""Tickets from Slack messages: the "Create ticket" shortcut and the emoji trigger."""

from __future__ import annotations

import json
import logging

import pytest
from sqlalchemy import func, select

from bot.db import Database
from bot.local.driver import SlackDriver
from bot.local.standin import SlackStandIn
from models import Customer, Ticket
from tests.e2e.helpers import block_texts, card
from tests.slack_fixtures import ALICE, BOB, CAROL, GENERAL, QUEUE

REPORT = "Checkout is down for our EU shop\nCustomers see error 502 since 09:10."


def ticket_count(database: Database) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(Ticket))


def test_shortcut_prefills_the_modal_and_replies_in_the_original_thread(
    driver: SlackDriver, slack: SlackStandIn, database: Database, deliver
) -> None:
    ts = slack.post_user_message(GENERAL, CAROL, REPORT)
    assert driver.message_shortcut(ALICE, "create_ticket", GENERAL, ts).status == 200
    (view,) = slack.view_stack(ALICE)
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    assert blocks["subject"]["element"]["initial_value"] == "Checkout is down for our EU shop"
    assert blocks["description"]["element"]["initial_value"] == REPORT
    assert "/archives/" in block_texts(view["blocks"])

    assert driver.submit_view(ALICE, {"new_customer": {"value": "Acme EU"}}).status == 200
    with database.session() as session:
        opened = session.get(Ticket, 1)
        assert opened.source == "shortcut" and opened.source_permalink and "/archives/" in opened.source_permalink
    deliver()
    (reply,) = slack.replies(GENERAL, ts)
    assert "opened *T-1* from this message" in reply["text"]
    assert "original message" in block_texts(card(slack)["blocks"])

    again = driver.message_shortcut(BOB, "create_ticket", GENERAL, ts)
    assert again.status == 200
    assert "already has a ticket: *T-1*" in slack.response_posts()[-1]["body"]["text"]
    assert slack.view_stack(BOB) == []


def test_reacting_with_the_ticket_emoji_opens_one_ticket_however_many_react(
    driver: SlackDriver, slack: SlackStandIn, database: Database, deliver
) -> None:
    ts = slack.post_user_message(GENERAL, CAROL, REPORT)
    assert driver.reaction_added(BOB, GENERAL, ts, "ticket").status == 200
    driver.reaction_added(ALICE, GENERAL, ts, "ticket")
    driver.reaction_added(BOB, GENERAL, ts, "ticket", retry_num=1, retry_reason="http_timeout")
    assert ticket_count(database) == 1
    with database.session() as session:
        opened = session.get(Ticket, 1)
        assert (opened.source, opened.requester_id, opened.subject) == (
            "reaction",
            BOB,
            "Checkout is down for our EU shop",
        )
        assert opened.customer.name == "Unknown customer"
    deliver()
    assert len(slack.replies(GENERAL, ts)) == 1


def test_other_emoji_do_nothing(driver: SlackDriver, slack: SlackStandIn, database: Database) -> None:
    ts = slack.post_user_message(GENERAL, CAROL, REPORT)
    driver.reaction_added(BOB, GENERAL, ts, "eyes")
    assert ticket_count(database) == 0


def test_a_message_in_a_customer_channel_belongs_to_that_customer(
    driver: SlackDriver, slack: SlackStandIn, database: Database, liaison
) -> None:
    slack.add_channel("C0ACMESHR1", "acme-shared", members=[ALICE, CAROL, slack.bot_user_id])
    with database.session() as session:
        session.add(
            Customer(
                name="Acme", tier="premium", slack_channel_id="C0ACMESHR1", created_at=liaison.services.clock.now()
            )
        )
    ts = slack.post_user_message("C0ACMESHR1", CAROL, "Our dashboard is blank")
    driver.reaction_added(ALICE, "C0ACMESHR1", ts, "ticket")
    with database.session() as session:
        assert session.get(Ticket, 1).customer.tier == "premium"


PRIVATE = "G0PRIVATE1"
SECRET = "Acme's contract renewal is at risk, do not share"


def prompt_for(slack: SlackStandIn, channel: str, user: str) -> dict:
    (prompt,) = slack.ephemerals(channel=channel, user=user)
    buttons = [e for b in prompt["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [b["text"]["text"] for b in buttons] == ["Open a ticket…"]
    return prompt


@pytest.mark.parametrize("where", ["private channel", "DM"])
def test_a_reaction_in_a_private_conversation_asks_the_reactor_and_copies_nothing(
    driver: SlackDriver, slack: SlackStandIn, database: Database, deliver, where: str
) -> None:
    if where == "DM":
        channel, author = slack.dm_channel(CAROL), CAROL
    else:
        slack.add_channel(PRIVATE, "acme-deal", members=[ALICE, CAROL, slack.bot_user_id], is_private=True)
        channel, author = PRIVATE, CAROL
    ts = slack.post_user_message(channel, author, SECRET)
    before = len(slack.messages(QUEUE))
    assert driver.reaction_added(CAROL, channel, ts, "ticket").status == 200
    deliver()
    assert ticket_count(database) == 0
    assert len(slack.messages(QUEUE)) == before
    assert not [c for c in slack.calls() if SECRET in json.dumps(c.args)]
    prompt = prompt_for(slack, channel, CAROL)
    assert "private conversation" in prompt["text"]
    assert slack.ephemerals(user=ALICE) == []


def test_the_prompt_opens_the_prefilled_modal_and_the_ticket_only_on_submit(
    driver: SlackDriver, slack: SlackStandIn, database: Database, deliver
) -> None:
    slack.add_channel(PRIVATE, "acme-deal", members=[ALICE, CAROL, slack.bot_user_id], is_private=True)
    ts = slack.post_user_message(PRIVATE, CAROL, f"{SECRET}\nRenewal call on Friday & <legal> is nervous")
    driver.reaction_added(ALICE, PRIVATE, ts, "ticket")
    prompt_for(slack, PRIVATE, ALICE)

    assert driver.click(ALICE, "ticket_open_private", channel=PRIVATE).status == 200
    (view,) = slack.view_stack(ALICE)
    fields = {b.get("block_id"): b for b in view["blocks"]}
    assert fields["subject"]["element"]["initial_value"] == SECRET
    assert fields["description"]["element"]["initial_value"].endswith("Renewal call on Friday & <legal> is nervous")
    assert slack.ephemerals(channel=PRIVATE, user=ALICE) == []  # the question is answered
    assert ticket_count(database) == 0

    assert driver.submit_view(ALICE, {"new_customer": {"value": "Acme"}}).status == 200
    with database.session() as session:
        opened = session.get(Ticket, 1)
        assert (opened.source, opened.source_ref) == ("reaction", f"message:{PRIVATE}:{ts}")
    driver.reaction_added(BOB, PRIVATE, ts, "ticket")  # later reactions find the ticket the reactor opened
    assert ticket_count(database) == 1


def test_a_reaction_on_a_deleted_message_is_answered_calmly(
    driver: SlackDriver, slack: SlackStandIn, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    ts = slack.post_user_message(GENERAL, CAROL, REPORT)
    slack.post_user_message(GENERAL, CAROL, "a later message, so history has something else")
    gone = f"{float(ts) - 50:.6f}"  # never posted, or deleted before the event arrived
    with caplog.at_level(logging.INFO):
        assert driver.reaction_added(BOB, GENERAL, gone, "ticket").status == 200
        assert driver.reaction_added(BOB, "C0DELETED1", ts, "ticket").status == 200  # the channel is gone too
    assert ticket_count(database) == 0
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.WARNING]
    assert any("gone" in r.getMessage() or "channel_not_found" in r.getMessage() for r in caplog.records)
