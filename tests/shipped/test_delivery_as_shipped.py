"""Liaison's promises in the configuration a team deploys: the Procfile's web process with its default workers,
each running its own scheduler, on the test database (SQLite or PostgreSQL), fed requests encoded as Slack encodes
them. Exactly once, in order, nothing lost, text as typed: checked in what the Slack stand-in received."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.db import Database
from bot.local.driver import SlackDriver
from bot.local.standin import SlackStandIn
from bot.tickets import rules
from models import Ticket, TicketEvent
from tests.e2e.helpers import block_texts, mrkdwn_texts, open_ticket
from tests.shipped.helpers import (
    command_body,
    post_form,
    settle,
    show_answer,
    slack_encode,
    text_objects,
    view_submission_body,
    wait_for,
)
from tests.slack_fixtures import ALICE, BOB, CAROL, GENERAL, QUEUE

REPORT = "Checkout is down for our EU shop\nCustomers see error 502 since 09:10."
TYPED = "<!here> & <tray 2>"
ENCODED = "&lt;!here&gt; &amp; &lt;tray 2&gt;"  # typed text as it must appear where Slack parses mrkdwn
SHOWN_METHODS = ("chat.postMessage", "chat.update", "chat.postEphemeral", "views.open", "views.update", "views.push")


# ----- what the database and the stand-in hold


def count(database: Database, model: type, *where: Any) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def events(database: Database, kind: str) -> int:
    return count(database, TicketEvent, TicketEvent.kind == kind)


def cards(slack: SlackStandIn) -> list[dict[str, Any]]:
    """Top-level messages in the queue channel: one per ticket, or something was posted twice."""
    return slack.messages(QUEUE)


def thread(slack: SlackStandIn) -> list[str]:
    """Texts in the threads of every card (of every copy of it), oldest first."""
    return [reply["text"] for card in cards(slack) for reply in slack.replies(QUEUE, card["ts"])]


def lines(slack: SlackStandIn, needle: str) -> int:
    return sum(needle in text for text in thread(slack))


def the_card(slack: SlackStandIn) -> dict[str, Any]:
    found = wait_for(lambda: cards(slack), what="the ticket card")
    assert len(found) == 1, f"{len(found)} cards in the queue channel: {[c['text'] for c in found]}"
    return found[0]


def open_and_wait(driver: SlackDriver, slack: SlackStandIn, **fields: str) -> dict[str, Any]:
    """Open T-1 through /ticket new and its modal; return its card once the card and its first line arrived."""
    open_ticket(driver, ALICE, **fields)
    wait_for(lambda: lines(slack, "opened *T-1*"), what="the card and its 'opened' line")
    return the_card(slack)


def card_state(blocks: list[dict[str, Any]]) -> tuple[str | None, str | None]:
    """(priority, status) as the card's fields show them."""
    labels = {label: status for status, label in rules.STATUS_LABELS.items()}
    priority = status = None
    for text in mrkdwn_texts(blocks):
        head, _, value = text.partition("\n")
        if head == "*Priority*":
            priority = next((p for p in rules.PRIORITIES if p in value), None)
        elif head == "*Status*":
            status = labels.get(value.strip())
    return priority, status


# ----- exactly once


def test_a_reaction_by_two_people_and_its_redelivery_open_one_ticket_with_one_card(
    driver: SlackDriver, slack: SlackStandIn, database: Database
) -> None:
    ts = slack.post_user_message(GENERAL, CAROL, REPORT)
    assert driver.reaction_added(BOB, GENERAL, ts, "ticket", event_id="Ev0SHIPPED01").status == 200
    # Alice reacts while Slack redelivers Bob's event (same event_id and body) because its answer timed out.
    sends = [
        lambda: driver.reaction_added(ALICE, GENERAL, ts, "ticket"),
        lambda: driver.reaction_added(
            BOB, GENERAL, ts, "ticket", event_id="Ev0SHIPPED01", retry_num=1, retry_reason="http_timeout"
        ),
    ]
    with ThreadPoolExecutor(2) as pool:
        assert [r.status for r in pool.map(lambda send: send(), sends)] == [200, 200]

    def observe() -> dict[str, int]:
        return {
            "tickets": count(database, Ticket),
            "cards in the queue channel": len(cards(slack)),
            "'opened' lines in card threads": lines(slack, "opened *T-1*"),
            "replies under the reacted message": len(slack.replies(GENERAL, ts)),
            "DMs to the requester": len(slack.messages(slack.dm_channel(BOB))),
        }

    settle(observe, dict.fromkeys(observe(), 1))
    assert "opened *T-1* from this message" in slack.replies(GENERAL, ts)[0]["text"]


def test_a_retried_slash_command_adds_one_note(driver: SlackDriver, slack: SlackStandIn, database: Database) -> None:
    open_and_wait(driver, slack)
    body = command_body(driver, ALICE, "note T-1 Customer is on the legacy plan")
    post_form(driver, body)
    post_form(driver, body, retry_num=1)  # Slack did not see the first answer in time and sends it again

    def observe() -> dict[str, int]:
        return {
            "notes in the database": events(database, rules.INTERNAL_NOTE),
            "note lines in the card's thread": lines(slack, "Customer is on the legacy plan"),
            "cards in the queue channel": len(cards(slack)),
        }

    settle(observe, dict.fromkeys(observe(), 1))


def test_a_resent_modal_submission_opens_one_ticket(
    driver: SlackDriver, slack: SlackStandIn, database: Database
) -> None:
    assert driver.command(ALICE, "new Printer jammed").status == 200
    body, view_id = view_submission_body(driver, ALICE, {"new_customer": "Acme", "description": "Tray 2 again"})
    first = post_form(driver, body)
    assert slack.apply_view_response(ALICE, view_id, first.status, first.body) is None, first.text
    post_form(driver, body)  # the identical submission again: a double click on a slow network

    def observe() -> dict[str, int]:
        return {
            "tickets": count(database, Ticket),
            "cards in the queue channel": len(cards(slack)),
            "'opened' lines in card threads": lines(slack, "opened *T-1*"),
            "DMs to the requester": len(slack.messages(slack.dm_channel(ALICE))),
        }

    settle(observe, dict.fromkeys(observe(), 1))


def test_a_double_clicked_claim_posts_one_activity(
    driver: SlackDriver, slack: SlackStandIn, database: Database
) -> None:
    card_ts = open_and_wait(driver, slack)["ts"]
    with ThreadPoolExecutor(2) as pool:
        clicks = pool.map(lambda _: driver.click(BOB, "ticket_claim", channel=QUEUE, message_ts=card_ts), range(2))
        assert [click.status for click in clicks] == [200, 200]

    def observe() -> dict[str, int]:
        return {
            "claims in the database": events(database, rules.ASSIGNEE_CHANGE),
            "'took the ticket' lines in the card's thread": lines(slack, "took the ticket"),
            "cards in the queue channel": len(cards(slack)),
        }

    settle(observe, dict.fromkeys(observe(), 1))
    shown = block_texts(the_card(slack)["blocks"])
    assert f"<@{BOB}>" in shown and "Take over" in shown, shown


# ----- in order


@pytest.mark.parametrize("failed_updates", [0, 2], ids=["steady", "after-chat-update-failed"])
def test_the_card_never_shows_an_older_state(
    driver: SlackDriver, slack: SlackStandIn, database: Database, failed_updates: int
) -> None:
    card_ts = open_and_wait(driver, slack, priority="P2")["ts"]
    steps = [  # (command, the state the card shows after it, the thread line it adds)
        ("priority T-1 P1", ("P1", "new"), "from *P2* to *P1*"),
        ("status T-1 pending", ("P1", "pending"), "from *new* to *pending*"),
        ("priority T-1 P3", ("P3", "pending"), "from *P1* to *P3*"),
        ("status T-1 on-hold", ("P3", "on-hold"), "from *pending* to *on-hold*"),
        ("priority T-1 P4", ("P4", "on-hold"), "from *P3* to *P4*"),
    ]
    order = [("P2", "new")] + [state for _, state, _ in steps]
    if failed_updates:  # Slack answers the first card updates with 503, so the changes pile up behind them
        slack.fail("chat.update", status=503, times=failed_updates)
    for text, _, _ in steps:  # back to back, without waiting for Slack: an agent working fast
        show_answer(slack, ALICE, post_form(driver, command_body(driver, ALICE, text)).json())

    def shown() -> list[tuple[str | None, str | None]]:
        """The states of the card in the chat.update calls Slack accepted, in the order it received them."""
        return [
            card_state(call.args.get("blocks") or [])
            for call in slack.calls("chat.update")
            if call.args.get("ts") == card_ts and (call.response or {}).get("ok")
        ]

    wait_for(lambda: len(thread(slack)) > len(steps) and order[-1] in shown(), what=f"the card showing {order[-1]}")
    problems = []
    try:
        settle(
            lambda: {"change lines in the card's thread": len(thread(slack)) - 1, "cards": len(cards(slack))},
            {"change lines in the card's thread": len(steps), "cards": 1},
        )
    except AssertionError as duplicates:
        problems.append(str(duplicates))
    states = shown()
    positions = [order.index(state) if state in order else -1 for state in states]
    if positions != sorted(positions) or -1 in positions:
        problems.append(f"the card went backwards or showed a state no change produced: {positions} = {states}")
    if states[-1] != order[-1] or card_state(the_card(slack)["blocks"]) != order[-1]:
        problems.append(f"the card ends showing {states[-1]}, not {order[-1]}")
    activity = [line for line in thread(slack) if "changed the" in line]
    got = [next((i for i, (_, _, needle) in enumerate(steps) if needle in line), -1) for line in activity]
    if got != list(range(len(steps))):
        problems.append(f"the thread shows the changes as steps {got}, not once each in order: {activity}")
    with database.session() as session:
        ticket = session.get(Ticket, 1)
        if (ticket.priority, ticket.status) != order[-1]:
            problems.append(f"the ticket is {(ticket.priority, ticket.status)} in the database, not {order[-1]}")
    assert not problems, "\n".join(problems)


# ----- as typed


def test_text_reaches_slack_exactly_as_typed(driver: SlackDriver, slack: SlackStandIn) -> None:
    """`<!here> & <tray 2>` in every command and modal field: shown literally, encoded once in mrkdwn, pings nobody."""
    problems: list[str] = []
    post_form(driver, command_body(driver, ALICE, f"new {slack_encode(TYPED)}"))
    (modal,) = slack.view_stack(ALICE)
    subject = next(b for b in modal["blocks"] if b.get("block_id") == "subject")["element"].get("initial_value")
    if subject != TYPED:
        problems.append(f"/ticket new prefilled the subject as {subject!r}")
    fields = {"subject": TYPED, "description": TYPED, "new_customer": TYPED}
    body, view_id = view_submission_body(driver, ALICE, fields)
    answer = post_form(driver, body)
    assert slack.apply_view_response(ALICE, view_id, answer.status, answer.body) is None, answer.text
    card_ts = wait_for(lambda: cards(slack), what="the ticket card")[0]["ts"]

    for name in ("reply", "note", "customer"):
        answer = post_form(driver, command_body(driver, ALICE, f"{name} T-1 {slack_encode(TYPED)}"))
        show_answer(slack, ALICE, answer.json())
    assert driver.click(ALICE, "ticket_note", channel=QUEUE, message_ts=card_ts).status == 200
    body, view_id = view_submission_body(driver, ALICE, {"note": TYPED})
    answer = post_form(driver, body)
    assert slack.apply_view_response(ALICE, view_id, answer.status, answer.body) is None, answer.text
    try:  # opened, reply, note, customer message, note from the modal: once each
        settle(lambda: {"lines in the card's thread": len(thread(slack))}, {"lines in the card's thread": 5})
    except AssertionError as duplicates:
        problems.append(str(duplicates))

    card = the_card(slack)
    mrkdwn = mrkdwn_texts(card["blocks"])
    header = next(b["text"]["text"] for b in card["blocks"] if b["type"] == "header")
    dm = "\n".join(m["text"] for m in slack.messages(slack.dm_channel(ALICE)))
    expectations = [  # (where, shown as it should be, what it shows)
        ("the card's header (plain_text)", header == f"T-1 · {TYPED}", header),
        ("the card's fallback text", card["text"].endswith(f" · {ENCODED}"), card["text"]),
        ("the card's customer field", any(f"\n{ENCODED} (standard)" in t for t in mrkdwn), mrkdwn),
        ("the card's description", ENCODED in mrkdwn, mrkdwn),
        ("the requester's DM", dm.count(ENCODED) == 2, dm),  # the subject and the customer's name
    ]
    expectations += [(f"thread line {i}", ENCODED in text, text) for i, text in enumerate(thread(slack)) if i]
    problems += [f"{where} shows {text!r}" for where, ok, text in expectations if not ok]
    problems += misencoded(slack)
    assert not problems, "text not shown as typed:\n" + "\n".join(dict.fromkeys(problems))


def misencoded(slack: SlackStandIn) -> list[str]:
    """Every place in what reached Slack where the typed text would ping, show entities, or is encoded twice."""
    found: list[str] = []
    shown = [(call.method, call.args) for call in slack.calls() if call.method in SHOWN_METHODS]
    shown += [("ephemeral answer", message) for message in slack.ephemerals()]
    shown += [("response_url post", post["body"]) for post in slack.response_posts() if isinstance(post["body"], dict)]
    for method, args in shown:
        texts = list(text_objects(args.get("blocks") or [], "blocks"))
        texts += list(text_objects(args.get("view") or {}, "view"))
        if isinstance(args.get("text"), str):
            texts.append(("mrkdwn", "text", args["text"]))  # the fallback text is parsed as mrkdwn too
        for kind, path, text in texts:
            if "&amp;lt;" in text or "&amp;gt;" in text or "&amp;amp;" in text:
                found.append(f"{method} {path} ({kind}) is encoded twice: {text!r}")
            elif kind == "mrkdwn" and ("<!here>" in text or "<tray 2>" in text):
                found.append(f"{method} {path} (mrkdwn) carries the raw text, so it pings: {text!r}")
            elif kind != "mrkdwn" and ("&lt;" in text or "&amp;" in text):
                found.append(f"{method} {path} ({kind}) shows entities to the reader: {text!r}")
    return found
