"""What a person types reaches Slack exactly as typed: encoded once where Slack parses mrkdwn, never in plain_text
or an input's initial value, and never able to ping. The driver encodes what is typed as Slack does."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from bot.db import Database
from bot.local.driver import SlackDriver
from bot.local.standin import SlackStandIn
from models import Ticket, TicketEvent
from tests.e2e.helpers import _texts, card, mrkdwn_texts, open_ticket, thread
from tests.slack_fixtures import ALICE, BOB, CAROL, GENERAL, QUEUE

TYPED = "<!here> & <tray 2>"
ENCODED = "&lt;!here&gt; &amp; &lt;tray 2&gt;"


def plain_texts(blocks: list[dict[str, Any]]) -> list[str]:
    return _texts(blocks, lambda node: node.get("type") == "plain_text")


def ticket(database: Database) -> Ticket:
    with database.session() as session:
        found = session.get(Ticket, 1)
        assert found is not None
        session.expunge(found)
        return found


def assert_nothing_pings_or_is_encoded_twice(slack: SlackStandIn) -> None:
    """Every message Liaison sent: no broadcast or mention where Slack parses mrkdwn, no entity encoded twice."""
    sent = [c.args for c in slack.calls() if c.method.startswith("chat.")]
    sent += [p["body"] for p in slack.response_posts() if isinstance(p["body"], dict)]
    sent += slack.ephemerals()
    assert sent
    for message in sent:
        parsed = [str(message.get("text") or ""), *mrkdwn_texts(message.get("blocks") or [])]
        for text in parsed:
            assert "<!here>" not in text and "<@U0BOB0001" not in text, text
        assert "&amp;lt;" not in json.dumps(message) and "&amp;amp;" not in json.dumps(message)


def values(view: dict[str, Any]) -> dict[str, Any]:
    return {b["block_id"]: b for b in view["blocks"] if b.get("block_id")}


def test_ticket_new_prefills_the_subject_exactly_as_typed(driver: SlackDriver, slack: SlackStandIn) -> None:
    assert driver.command(ALICE, "new Printer on fire & jammed <tray 2>").status == 200
    (view,) = slack.view_stack(ALICE)
    assert values(view)["subject"]["element"]["initial_value"] == "Printer on fire & jammed <tray 2>"


def test_every_new_ticket_field_reaches_slack_as_typed(
    driver: SlackDriver, slack: SlackStandIn, database: Database, deliver
) -> None:
    driver.command(ALICE, f"new {TYPED}")
    (view,) = slack.view_stack(ALICE)
    assert values(view)["subject"]["element"]["initial_value"] == TYPED
    submitted = driver.submit_view(ALICE, {"new_customer": {"value": TYPED}, "description": {"value": TYPED}})
    assert submitted.status == 200 and not submitted.body, submitted.text
    opened = ticket(database)
    assert (opened.subject, opened.description) == (TYPED, TYPED)
    deliver()

    posted = card(slack)
    assert f"T-1 · {TYPED}" in plain_texts(posted["blocks"])  # the header, plain_text: exactly as typed
    shown = mrkdwn_texts(posted["blocks"])
    assert ENCODED in shown  # the description
    assert f"*Customer*\n{ENCODED} (standard)" in shown
    assert posted["text"].endswith(ENCODED)  # the notification fallback is parsed as mrkdwn too
    (dm,) = slack.messages(slack.dm_channel(ALICE))
    assert f"{ENCODED} ({ENCODED}, P3)" in dm["text"]
    listed = driver.command(ALICE, "list").json()
    assert any(f"*T-1* {ENCODED} · {ENCODED}" in text for text in mrkdwn_texts(listed["blocks"]))
    assert_nothing_pings_or_is_encoded_twice(slack)


@pytest.mark.parametrize(
    ("command", "kind", "line"),
    [
        ("reply", "public_reply", "replied to the customer"),
        ("note", "internal_note", "*Internal note*"),
        ("customer", "customer_message", "Message from the customer"),
    ],
)
def test_every_command_that_takes_text_reaches_slack_as_typed(
    driver: SlackDriver, slack: SlackStandIn, database: Database, deliver, command: str, kind: str, line: str
) -> None:
    open_ticket(driver, ALICE)
    answer = driver.command(ALICE, f"{command} T-1 {TYPED}")
    assert answer.status == 200 and "T-1" in answer.json()["text"]
    with database.session() as session:
        event = session.scalars(select(TicketEvent).where(TicketEvent.kind == kind)).one()
        assert event.body == TYPED
    deliver()
    assert line in thread(slack)[-1] and thread(slack)[-1].endswith(f"\n>{ENCODED}")
    shown = driver.command(ALICE, "show T-1").json()
    assert any(f">{ENCODED}" in text for text in mrkdwn_texts(shown["blocks"]))
    assert_nothing_pings_or_is_encoded_twice(slack)


def test_the_add_note_modal_reaches_slack_as_typed(
    driver: SlackDriver, slack: SlackStandIn, database: Database, deliver
) -> None:
    open_ticket(driver, ALICE, subject=TYPED)
    deliver()
    assert driver.click(ALICE, "ticket_note", channel=QUEUE, message_ts=card(slack)["ts"]).status == 200
    (view,) = slack.view_stack(ALICE)
    assert mrkdwn_texts(view["blocks"])[0] == f"*T-1* · {ENCODED}"
    assert driver.submit_view(ALICE, {"note": {"value": TYPED}}).status == 200
    deliver()
    assert thread(slack)[-1].endswith(f"\n>{ENCODED}")
    assert_nothing_pings_or_is_encoded_twice(slack)


def test_mentions_typed_in_a_command_are_shown_as_words_and_ping_nobody(
    driver: SlackDriver, slack: SlackStandIn, deliver
) -> None:
    open_ticket(driver, ALICE)
    driver.command(ALICE, "note T-1 @here please ask @bob & #general")  # Slack sends <!here>, <@U…|bob>, <#C…|…>
    deliver()
    assert thread(slack)[-1].endswith("\n>@here please ask @bob &amp; #general")
    assert_nothing_pings_or_is_encoded_twice(slack)


def test_a_reported_message_is_kept_as_typed_and_pings_nobody(
    driver: SlackDriver, slack: SlackStandIn, database: Database, deliver
) -> None:
    typed = f"{TYPED} ask @bob\nsecond line"
    ts = slack.post_user_message(GENERAL, CAROL, typed)
    assert slack.message(GENERAL, ts)["text"] == f"{ENCODED} ask <@{BOB}>\nsecond line"  # as Slack stores it

    assert driver.message_shortcut(ALICE, "create_ticket", GENERAL, ts).status == 200
    (view,) = slack.view_stack(ALICE)
    fields = values(view)
    assert fields["subject"]["element"]["initial_value"] == f"{TYPED} ask @bob"
    assert fields["description"]["element"]["initial_value"] == typed
    driver.close_view(ALICE)

    driver.reaction_added(ALICE, GENERAL, ts, "ticket")
    opened = ticket(database)
    assert (opened.subject, opened.description) == (f"{TYPED} ask @bob", f"{TYPED} ask @bob\nsecond line")
    deliver()
    assert f"{ENCODED} ask @bob\nsecond line" in mrkdwn_texts(card(slack)["blocks"])
    assert_nothing_pings_or_is_encoded_twice(slack)
