"""The Slack driver: its requests verify and are shaped like Slack's, and modal answers are applied like Slack."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, parse_qsl

import pytest
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier

from bot.local.driver import SlackDriver
from bot.local.standin import SlackStandIn

PAYLOADS = "/work/shared/slack/payloads"
SECRET = "test-signing-secret"
ALICE, BOB = "U0ALICE01", "U0BOB0002"


def load(name: str) -> Any:
    with open(f"{PAYLOADS}/{name}") as f:
        return json.load(f)


class RecordingApp:
    """A stand-in for the bot: verifies signatures like Bolt, records requests, answers from a queue."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.answers: list[tuple[int, bytes]] = []
        app = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                headers = {k.lower(): v for k, v in self.headers.items()}
                timestamp, signature = headers.get("x-slack-request-timestamp"), headers.get("x-slack-signature")
                valid = bool(timestamp and signature) and SignatureVerifier(SECRET).is_valid(body, timestamp, signature)
                app.requests.append({"headers": headers, "body": body, "valid": valid})
                status, answer = (401, b"") if not valid else (app.answers.pop(0) if app.answers else (200, b""))
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/slack/events"

    def answer(self, body: Any, status: int = 200) -> None:
        self.answers.append((status, json.dumps(body).encode() if not isinstance(body, bytes) else body))

    def payload(self, index: int = -1) -> dict[str, Any]:
        request = self.requests[index]
        assert request["headers"]["content-type"] == "application/x-www-form-urlencoded"
        return json.loads(parse_qs(request["body"].decode())["payload"][0])


@pytest.fixture
def app() -> Iterator[RecordingApp]:
    recorder = RecordingApp()
    recorder.thread.start()
    yield recorder
    recorder.server.shutdown()
    recorder.server.server_close()
    recorder.thread.join()


@pytest.fixture
def standin() -> Iterator[SlackStandIn]:
    s = SlackStandIn()
    s.add_user(ALICE, "alice")
    s.add_user(BOB, "bob")
    s.add_channel("C0INCIDENT", "incidents", members=[s.bot_user_id, ALICE, BOB])
    with s:
        yield s


@pytest.fixture
def driver(app: RecordingApp, standin: SlackStandIn) -> SlackDriver:
    return SlackDriver(events_url=app.url, signing_secret=SECRET, standin=standin)


@pytest.fixture
def client(standin: SlackStandIn) -> WebClient:
    return WebClient(token=standin.bot_token, base_url=standin.api_url)


def open_ticket_modal(standin: SlackStandIn, client: WebClient, **changes: Any) -> dict[str, Any]:
    view = {**load("views_open_request_ticket_modal.json")["view"], **changes}
    return client.views_open(trigger_id=standin.issue_trigger_id(ALICE), view=view)["view"]


def test_signing_matches_the_worked_example(standin: SlackStandIn) -> None:
    example = load("signed_request_example.json")
    driver = SlackDriver(events_url="http://unused/", signing_secret=example["signing_secret"], standin=standin)
    body = example["basestring"].split(":", 2)[2].encode()
    headers = driver.sign(body, timestamp=int(example["headers"]["X-Slack-Request-Timestamp"]))
    assert headers == {k: v for k, v in example["headers"].items() if k != "Content-Type"}


def test_command_is_a_signed_form_like_slacks(
    app: RecordingApp, driver: SlackDriver, standin: SlackStandIn, client: WebClient
) -> None:
    response = driver.command(ALICE, "create db-latency P2", channel_id="C0INCIDENT")
    assert response.status == 200
    request = app.requests[0]
    assert request["valid"] and request["headers"]["content-type"] == "application/x-www-form-urlencoded"
    fields = dict(parse_qsl(request["body"].decode()))
    assert list(fields) == list(load("slash_command_ticket.json")["fields"])  # same fields, same order
    assert fields["user_name"] == "alice" and fields["channel_name"] == "incidents" and fields["command"] == "/ticket"
    assert fields["text"] == "create db-latency P2" and fields["response_url"].startswith(standin.base_url)
    assert client.views_open(trigger_id=fields["trigger_id"], view=load("views_open_request_ticket_modal.json")["view"])
    assert len(standin.view_stack(ALICE)) == 1  # the trigger id was issued for the user who ran the command

    app.answer({"text": "Ticket INC-1 created"})
    driver.command(ALICE, "create", channel_id="C0INCIDENT")
    assert standin.ephemerals(user=ALICE)[-1]["text"] == "Ticket INC-1 created"
    driver.command(BOB, "help")
    assert dict(parse_qsl(app.requests[-1]["body"].decode()))["channel_id"] == standin.dm_channel(BOB)


def test_unsigned_stale_and_tampered_requests_are_returned(app: RecordingApp, driver: SlackDriver) -> None:
    body = b"token=x&command=%2Fticket"
    assert driver.post_raw(body, {"Content-Type": "application/x-www-form-urlencoded"}).status == 401
    stale = driver.post_raw(body, driver.sign(body, timestamp=1_600_000_000))
    assert stale.status == 401
    tampered = driver.post_raw(body + b"&text=more", driver.sign(body))
    assert tampered.status == 401 and tampered.body == b""
    assert driver.post_raw(body, driver.sign(body)).status == 200


def test_submit_view_shorthand_builds_state_and_empty_answer_closes(
    app: RecordingApp, driver: SlackDriver, standin: SlackStandIn, client: WebClient
) -> None:
    view = open_ticket_modal(standin, client)
    values = {
        "title_block": {"title_input": "DB latency above SLO"},
        "severity_block": {"severity_select": "p2"},
        "owner_block": {"owner_select": BOB},
    }
    response = driver.submit_view(ALICE, values)
    assert response.status == 200 and response.view_error is None
    payload = app.payload()
    assert app.requests[-1]["valid"] and payload["type"] == "view_submission" and payload["user"]["id"] == ALICE
    assert payload["view"]["id"] == view["id"] and payload["view"]["callback_id"] == "ticket_modal"
    expected = load("view_submission_ticket_modal.json")["payload"]["view"]["state"]["values"]
    expected["due_block"]["due_date"]["selected_date"] = None  # left empty, sent as Slack sends empty fields
    assert payload["view"]["state"]["values"] == expected
    assert payload["trigger_id"] and payload["response_urls"] == []
    assert standin.view_stack(ALICE) == []  # an empty 200 closes the modal


def test_errors_answer_keeps_the_view_and_other_actions_apply(
    app: RecordingApp, driver: SlackDriver, standin: SlackStandIn, client: WebClient
) -> None:
    open_ticket_modal(standin, client)
    acks = load("view_submission_ack_responses.json")
    app.answer(acks["errors"])
    response = driver.submit_view(ALICE, {"title_block": {"title_input": "DB"}})
    assert response.json()["errors"]["title_block"] == "Title must be at least 5 characters"
    assert response.view_error is None
    stack = standin.view_stack(ALICE)
    assert len(stack) == 1 and stack[0]["state"]["values"]["title_block"]["title_input"]["value"] == "DB"

    app.answer(acks["push"])
    driver.submit_view(ALICE, {"title_block": {"title_input": "DB latency"}})
    assert [v["callback_id"] for v in standin.view_stack(ALICE)] == ["ticket_modal", "confirm"]
    app.answer(acks["update"])
    driver.submit_view(ALICE)
    assert [v["callback_id"] for v in standin.view_stack(ALICE)] == ["ticket_modal", "ticket_done"]
    app.answer({"response_action": "errors", "errors": {"no_such_block": "x"}})
    assert driver.submit_view(ALICE).view_error.startswith("invalid_errors")
    app.answer(acks["clear"])
    driver.submit_view(ALICE)
    assert standin.view_stack(ALICE) == []


def test_push_answer_respects_the_stack_limit(
    app: RecordingApp, driver: SlackDriver, standin: SlackStandIn, client: WebClient
) -> None:
    open_ticket_modal(standin, client)
    push = load("view_submission_ack_responses.json")["push"]
    for _ in range(3):
        app.answer(push)
    driver.submit_view(ALICE)
    driver.submit_view(ALICE)
    assert driver.submit_view(ALICE).view_error == "push_limit_reached"
    assert len(standin.view_stack(ALICE)) == 3


def test_close_view_sends_view_closed_only_when_asked(
    app: RecordingApp, driver: SlackDriver, standin: SlackStandIn, client: WebClient
) -> None:
    view = open_ticket_modal(standin, client)  # notify_on_close: true
    driver.close_view(ALICE)
    payload = app.payload()
    assert payload["type"] == "view_closed" and payload["view"]["id"] == view["id"] and payload["is_cleared"] is False
    assert standin.view_stack(ALICE) == []
    open_ticket_modal(standin, client, notify_on_close=False)
    assert driver.close_view(ALICE) is None and len(app.requests) == 1


def test_click_a_message_button(
    app: RecordingApp, driver: SlackDriver, standin: SlackStandIn, client: WebClient
) -> None:
    blocks = load("block_actions_message_button.json")["payload"]["message"]["blocks"]
    posted = client.chat_postMessage(channel="C0INCIDENT", text="INC-1042 DB latency", blocks=blocks)
    client.chat_postMessage(channel="C0INCIDENT", text="unrelated")
    driver.click(ALICE, "inc_ack", channel="C0INCIDENT")
    payload = app.payload()
    assert payload["type"] == "block_actions"
    assert payload["container"] == {
        "type": "message",
        "message_ts": posted["ts"],
        "channel_id": "C0INCIDENT",
        "is_ephemeral": False,
    }
    assert payload["message"]["blocks"] == blocks and payload["message"]["bot_id"] == standin.bot_id
    assert payload["channel"] == {"id": "C0INCIDENT", "name": "incidents"}
    action = payload["actions"][0]
    assert (action["action_id"], action["block_id"], action["type"]) == ("inc_ack", "inc_actions", "button")
    assert action["value"] == "INC-1042" and action["style"] == "primary" and action["action_ts"]
    assert payload["trigger_id"] and payload["response_url"].startswith(standin.base_url)
    with pytest.raises(AssertionError, match="inc_escalate"):
        driver.click(ALICE, "inc_escalate", channel="C0INCIDENT", message_ts=posted["ts"])


def test_click_in_a_modal_records_state(
    app: RecordingApp, driver: SlackDriver, standin: SlackStandIn, client: WebClient
) -> None:
    view = open_ticket_modal(standin, client)
    driver.click(ALICE, "severity_select", selected_option="p1")
    payload = app.payload()
    assert payload["container"] == {"type": "view", "view_id": view["id"]} and "response_url" not in payload
    assert payload["actions"][0]["selected_option"]["value"] == "p1"
    assert payload["view"]["state"]["values"]["severity_block"]["severity_select"]["selected_option"]["value"] == "p1"
    driver.submit_view(ALICE)
    submitted = app.payload()["view"]["state"]["values"]
    assert submitted["severity_block"]["severity_select"]["selected_option"]["value"] == "p1"
    with pytest.raises(AssertionError):
        driver.click(ALICE, "severity_select", selected_option="p9")  # the modal is closed now


def test_shortcuts(app: RecordingApp, driver: SlackDriver, standin: SlackStandIn) -> None:
    ts = standin.post_user_message("C0INCIDENT", BOB, "checkout is throwing 500s again")
    driver.message_shortcut(ALICE, "ticket_from_message", "C0INCIDENT", ts)
    payload = app.payload()
    assert set(payload) == set(load("message_action_create_ticket.json")["payload"])
    assert payload["type"] == "message_action" and payload["callback_id"] == "ticket_from_message"
    assert payload["message_ts"] == ts and payload["message"]["user"] == BOB
    assert payload["message"]["text"] == "checkout is throwing 500s again"
    assert payload["channel"]["id"] == "C0INCIDENT" and payload["trigger_id"] and payload["response_url"]
    driver.global_shortcut(ALICE, "open_ticket")
    shortcut = app.payload()
    assert shortcut["type"] == "shortcut" and shortcut["callback_id"] == "open_ticket"
    assert set(shortcut) == set(load("shortcut_global.json")["payload"])


def test_events_and_retries(app: RecordingApp, driver: SlackDriver, standin: SlackStandIn, client: WebClient) -> None:
    ts = client.chat_postMessage(channel="C0INCIDENT", text="INC-1")["ts"]
    driver.reaction_added(ALICE, "C0INCIDENT", ts, "white_check_mark", event_id="Ev0REACTION01")
    first = app.requests[-1]
    assert first["valid"] and first["headers"]["content-type"] == "application/json"
    envelope = json.loads(first["body"])
    assert set(envelope) == set(load("event_reaction_added.json"))
    assert envelope["type"] == "event_callback" and envelope["event_id"] == "Ev0REACTION01"
    assert envelope["event"]["item"] == {"type": "message", "channel": "C0INCIDENT", "ts": ts}
    assert envelope["event"]["item_user"] == standin.bot_user_id
    assert envelope["authorizations"][0]["user_id"] == standin.bot_user_id

    driver.event(envelope["event"], event_id="Ev0REACTION01", retry_num=1, retry_reason="http_timeout")
    retry = app.requests[-1]
    assert retry["body"] == first["body"] and retry["valid"]
    assert retry["headers"]["x-slack-retry-num"] == "1" and retry["headers"]["x-slack-retry-reason"] == "http_timeout"

    driver.app_home_opened(ALICE)
    home = json.loads(app.requests[-1]["body"])["event"]
    assert home["type"] == "app_home_opened" and home["tab"] == "home" and home["channel"] == standin.dm_channel(ALICE)
    driver.user_message(ALICE, "C0INCIDENT", "deploy finished")
    message = json.loads(app.requests[-1]["body"])["event"]
    assert message["type"] == "message" and message["channel_type"] == "channel" and message["user"] == ALICE
    assert standin.messages("C0INCIDENT")[-1]["text"] == "deploy finished"


@pytest.mark.parametrize(
    ("typed", "sent"),
    [
        ("<!here> & <tray 2>", "&lt;!here&gt; &amp; &lt;tray 2&gt;"),  # typed characters: entities only
        ("note T-1 @here ask @bob", f"note T-1 <!here> ask <@{BOB}|bob>"),  # should_escape: tokens
        ("#incidents and #nowhere, a@bob.example", "<#C0INCIDENT|incidents> and #nowhere, a@bob.example"),
        ("https://x.example/?a=1&b=2", "https://x.example/?a=1&amp;b=2"),  # links are left as text
    ],
)
def test_command_text_is_encoded_as_slack_sends_it(
    app: RecordingApp, driver: SlackDriver, typed: str, sent: str
) -> None:
    driver.command(ALICE, typed)
    assert dict(parse_qsl(app.requests[-1]["body"].decode()))["text"] == sent


def test_a_message_is_encoded_as_slack_sends_it_in_events_and_shortcuts(
    app: RecordingApp, driver: SlackDriver, standin: SlackStandIn
) -> None:
    typed = "<!here> & <tray 2>: ask @bob, see https://x.example/a?b=1&c=2."
    sent = f"&lt;!here&gt; &amp; &lt;tray 2&gt;: ask <@{BOB}>, see <https://x.example/a?b=1&amp;c=2>."
    driver.user_message(ALICE, "C0INCIDENT", typed)
    event = json.loads(app.requests[-1]["body"])["event"]
    assert event["text"] == sent
    elements = event["blocks"][0]["elements"][0]["elements"]
    assert elements == [
        {"type": "text", "text": "<!here> & <tray 2>: ask "},  # rich_text holds the raw text
        {"type": "user", "user_id": BOB},
        {"type": "text", "text": ", see "},
        {"type": "link", "url": "https://x.example/a?b=1&c=2"},
        {"type": "text", "text": "."},
    ]
    driver.message_shortcut(ALICE, "create_ticket", "C0INCIDENT", event["ts"])
    assert app.payload()["message"]["text"] == sent
    standin.post_user_message("C0INCIDENT", BOB, "@channel")
    assert standin.messages("C0INCIDENT")[-1]["text"] == "<!channel>"
