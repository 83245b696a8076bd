"""Bad input gets a clear answer and loses nothing: escaping, limits, signatures and retries."""

from __future__ import annotations

import json
import logging
import time
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from bot.db import Database
from bot.local.driver import DriverResponse, SlackDriver
from bot.local.standin import SlackStandIn
from bot.text import TRUNCATION_MARKER
from models import Ticket
from tests.e2e.helpers import card, mrkdwn_texts, open_ticket, thread
from tests.slack_fixtures import ALICE, CAROL, QUEUE

HOSTILE = "<!channel> <!here> <@U0BOB0001> <https://evil.example|click me> & more"


def test_user_text_can_never_ping_or_break_a_message(driver: SlackDriver, slack: SlackStandIn, deliver) -> None:
    open_ticket(driver, ALICE, subject="Broken <!here>", customer="Acme <!channel>", description=HOSTILE)
    driver.command(ALICE, f"reply T-1 {HOSTILE}")
    driver.command(ALICE, f"note T-1 {HOSTILE}")
    deliver()
    everything = [card(slack)["text"], *mrkdwn_texts(card(slack)["blocks"]), *thread(slack)]
    for text in everything:
        for dangerous in ("<!channel>", "<!here>", "<@U0BOB0001>", "<https://evil.example"):
            assert dangerous not in text, text
    assert "&lt;!channel&gt; &lt;!here&gt;" in thread(slack)[-1]
    assert "&amp; more" in thread(slack)[-1]
    assert any("&lt;!channel&gt;" in text for text in mrkdwn_texts(card(slack)["blocks"]))
    header = next(b for b in card(slack)["blocks"] if b["type"] == "header")
    assert header["text"] == {"type": "plain_text", "text": "T-1 · Broken <!here>", "emoji": False}


def test_over_long_text_is_cut_with_a_visible_marker(driver: SlackDriver, slack: SlackStandIn, deliver) -> None:
    open_ticket(driver, ALICE, description="d" * 2999)
    driver.command(ALICE, "note T-1 " + "n" * 5000)
    deliver()
    assert thread(slack)[-1].endswith(TRUNCATION_MARKER)
    description = next(b for b in card(slack)["blocks"] if b["type"] == "section" and "text" in b)
    assert len(description["text"]["text"]) <= 2000 and description["text"]["text"].endswith(TRUNCATION_MARKER)
    assert not [c for c in slack.calls() if c.response and c.response.get("error") == "invalid_blocks"]


def test_every_block_kit_payload_passes_validation(driver: SlackDriver, slack: SlackStandIn, deliver) -> None:
    open_ticket(driver, ALICE, subject="x" * 150, customer="c" * 100, description="y" * 3000)
    deliver()  # the card is posted first, so the changes below reach it as updates
    for text in ("list", "show T-1", "claim T-1", "status T-1 solved"):
        driver.command(ALICE, text)
    driver.app_home_opened(ALICE)
    deliver()
    assert slack.calls("chat.postMessage") and slack.calls("chat.update") and slack.calls("views.publish")
    failures = [c for c in slack.calls() if c.response and not c.response.get("ok")]
    assert failures == []


def request_body(user: str = ALICE, text: str = "help") -> bytes:
    return urlencode(
        {
            "command": "/ticket",
            "text": text,
            "user_id": user,
            "team_id": "T0LIAISON",
            "channel_id": "C0GENERAL1",
            "trigger_id": "1.2.3",
            "response_url": "http://127.0.0.1:9/x",
        }
    ).encode()


def test_unsigned_stale_and_tampered_requests_are_refused(driver: SlackDriver) -> None:
    body = request_body()
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    assert driver.post_raw(body, form).status == 401
    stale = driver.sign(body, timestamp=int(time.time()) - 600)
    assert driver.post_raw(body, form | stale).status == 401
    signed = driver.sign(body)
    assert driver.post_raw(request_body(text="new evil"), form | signed).status == 401
    assert driver.post_raw(body, form | signed).status == 200


def test_slack_retries_of_a_submission_open_one_ticket(
    driver: SlackDriver, slack: SlackStandIn, database: Database
) -> None:
    driver.command(CAROL, "new From a flaky network")
    (view,) = slack.view_stack(CAROL)
    payload = {
        "type": "view_submission",
        "team": {"id": "T0LIAISON"},
        "user": {"id": CAROL},
        "view": view
        | {
            "state": {
                "values": {
                    "new_customer": {"value": {"type": "plain_text_input", "value": "Acme"}},
                    "subject": {"value": {"type": "plain_text_input", "value": "Flaky"}},
                }
            }
        },
    }
    body = urlencode({"payload": json.dumps(payload)}).encode()
    for retry in range(3):
        headers = {"Content-Type": "application/x-www-form-urlencoded", **driver.sign(body)}
        if retry:
            headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        assert driver.post_raw(body, headers).status == 200
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(Ticket)) == 1


# ----- payloads Slack can send (or a stale form could), answered calmly: no 500, no traceback


def post_payload(driver: SlackDriver, payload: dict) -> DriverResponse:
    body = urlencode({"payload": json.dumps(payload)}).encode()
    return driver.post_raw(body, {"Content-Type": "application/x-www-form-urlencoded", **driver.sign(body)})


def block_action(slack: SlackStandIn, user: str, action: dict, **extra: object) -> dict:
    url = slack.new_response_url(channel=QUEUE, user=user)
    payload = {"type": "block_actions", "user": {"id": user}, "team": {"id": "T0LIAISON"}, "api_app_id": "A0LIAISON"}
    action = {"block_id": "card:T-1", "action_ts": "1.2", "type": "button"} | action
    return payload | {"actions": [action], "trigger_id": slack.issue_trigger_id(user), "response_url": url} | extra


def no_errors_logged(caplog: pytest.LogCaptureFixture) -> None:
    bad = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert bad == [], [r.getMessage() for r in bad]


def test_slack_errors_from_listeners_are_warnings_with_a_plain_answer(
    driver: SlackDriver, slack: SlackStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    open_ticket(driver, CAROL)
    ghost = "U0GHOST01"  # a user Slack no longer knows: views.publish answers user_not_found
    event = {"type": "app_home_opened", "user": ghost, "channel": "D0GHOST01", "tab": "home"}
    assert driver.event(event).status == 200
    home_click = block_action(slack, ghost, {"action_id": "ticket_claim", "value": "T-1"}, container={"type": "view"})
    del home_click["response_url"]
    assert post_payload(driver, home_click).status == 200
    no_errors_logged(caplog)
    warnings = [r.getMessage() for r in caplog.records if r.name == "liaison.errors"]
    assert any("views.publish" in w and "user_not_found" in w for w in warnings), warnings


@pytest.mark.parametrize(
    "action",
    [
        {"action_id": "ticket_claim", "value": 12},
        {"action_id": "ticket_claim"},
        {"action_id": "ticket_note", "value": ["T-1"]},
        {"action_id": "ticket_status", "selected_option": None, "type": "static_select"},
        {"action_id": "ticket_status", "selected_option": {"value": "solved"}, "block_id": None},
        {"action_id": "sla_snooze_30m", "value": "0x1:30m"},
        {"action_id": "sla_snooze_2h"},
    ],
)
def test_malformed_button_values_get_a_plain_answer(
    driver: SlackDriver, slack: SlackStandIn, database: Database, caplog: pytest.LogCaptureFixture, action: dict
) -> None:
    open_ticket(driver, ALICE)
    caplog.set_level(logging.WARNING)

    def state() -> tuple:
        with database.session() as session:
            ticket = session.get(Ticket, 1)
            return ticket.status, ticket.assignee_id, ticket.row_version

    before = state()
    assert post_payload(driver, block_action(slack, ALICE, action)).status == 200
    no_errors_logged(caplog)
    (answer,) = slack.response_posts()
    assert "Something went wrong" not in answer["body"]["text"]
    assert state() == before


@pytest.mark.parametrize(
    "change",
    [
        {"private_metadata": "{not json"},
        {"private_metadata": '["a list"]'},
        {"private_metadata": '{"source": "reaction", "channel": "C0GENERAL1", "ts": 12}'},
        {"private_metadata": '{"source": "x" , "channel": null, "ts": null}'},
        {"customer": "9" * 40},
        {"customer": "0x1"},
    ],
)
def test_a_crashed_new_ticket_submission_never_answers_500(
    driver: SlackDriver, slack: SlackStandIn, database: Database, caplog: pytest.LogCaptureFixture, change: dict
) -> None:
    caplog.set_level(logging.WARNING)
    driver.command(CAROL, "new From a stale form")
    (view,) = slack.view_stack(CAROL)
    values = {
        "new_customer": {"value": {"type": "plain_text_input", "value": None if "customer" in change else "Acme"}},
        "subject": {"value": {"type": "plain_text_input", "value": "Stale"}},
    }
    if "customer" in change:
        values["customer"] = {"value": {"type": "static_select", "selected_option": {"value": change["customer"]}}}
    view = view | {"state": {"values": values}} | {k: v for k, v in change.items() if k == "private_metadata"}
    response = post_payload(driver, {"type": "view_submission", "user": {"id": CAROL}, "view": view})
    assert response.status == 200
    answer = response.json()
    assert answer["response_action"] == "errors" and set(answer["errors"]) <= {"new_customer", "subject"}
    no_errors_logged(caplog)
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(Ticket)) == 0


def test_a_note_submission_with_broken_metadata_keeps_the_modal_open(
    driver: SlackDriver, slack: SlackStandIn, caplog: pytest.LogCaptureFixture, deliver
) -> None:
    open_ticket(driver, ALICE)
    deliver()
    driver.click(ALICE, "ticket_note", channel=QUEUE, message_ts=card(slack)["ts"])
    (view,) = slack.view_stack(ALICE)
    caplog.set_level(logging.WARNING)
    for metadata in ("T-1", '{"key": 7}', '{"key": "T-99"}'):
        view = view | {"private_metadata": metadata}
        view["state"] = {"values": {"note": {"value": {"type": "plain_text_input", "value": "hello"}}}}
        response = post_payload(driver, {"type": "view_submission", "user": {"id": ALICE}, "view": view})
        assert response.status == 200 and list(response.json()["errors"]) == ["note"], response.text
    no_errors_logged(caplog)
