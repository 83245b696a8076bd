"""Bad input gets a clear answer and loses nothing: escaping, limits, signatures and retries."""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

from sqlalchemy import func, select

from bot.db import Database
from bot.local.driver import SlackDriver
from bot.local.standin import SlackStandIn
from bot.text import TRUNCATION_MARKER
from models import Ticket
from tests.e2e.helpers import card, mrkdwn_texts, open_ticket, thread
from tests.slack_fixtures import ALICE, CAROL

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
