"""The Slack stand-in, driven over real HTTP by slack_sdk's WebClient."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.local.standin import SlackStandIn

PAYLOADS = "/work/shared/slack/payloads"
ALICE, BOB, CAROL = "U0ALICE01", "U0BOB0002", "U0CAROL03"


class FakeClock:
    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def load(name: str) -> Any:
    with open(f"{PAYLOADS}/{name}") as f:
        return json.load(f)


def ticket_modal() -> dict[str, Any]:
    return load("views_open_request_ticket_modal.json")["view"]


def small_modal(title: str = "Step") -> dict[str, Any]:
    section = {"type": "section", "text": {"type": "mrkdwn", "text": title}}
    return {"type": "modal", "title": {"type": "plain_text", "text": title}, "blocks": [section]}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def standin(clock: FakeClock) -> Iterator[SlackStandIn]:
    s = SlackStandIn(clock=clock)
    s.add_user(ALICE, "alice", real_name="Alice Adams")
    s.add_user(BOB, "bob")
    s.add_user(CAROL, "carol", tz="Europe/Berlin")
    s.add_channel("C0SUPPORT", "support", members=[s.bot_user_id, ALICE, BOB])
    s.add_channel("C0RANDOM", "random", members=[ALICE, CAROL])
    s.add_channel("C0PRIVATE", "secret", members=[ALICE], is_private=True)
    with s:
        yield s


@pytest.fixture
def client(standin: SlackStandIn) -> WebClient:
    return WebClient(token=standin.bot_token, base_url=standin.api_url)


def error_of(call: Any) -> str:
    with pytest.raises(SlackApiError) as info:
        call()
    return info.value.response["error"]


def post(url: str, body: bytes, content_type: str = "application/json") -> tuple[int, str]:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=5)
    try:
        connection.request(
            "POST", parts.path + (f"?{parts.query}" if parts.query else ""), body, {"Content-Type": content_type}
        )
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def test_auth(standin: SlackStandIn, client: WebClient) -> None:
    answer = client.auth_test()
    assert answer["user_id"] == standin.bot_user_id and answer["team_id"] == "T0LIAISON"
    assert answer["bot_id"] == standin.bot_id
    assert error_of(WebClient(token="xoxb-wrong", base_url=standin.api_url).auth_test) == "invalid_auth"
    assert error_of(WebClient(base_url=standin.api_url).auth_test) == "not_authed"
    status, text = post(standin.api_url + "auth.test?" + urlencode({"token": standin.bot_token}), b"")
    assert status == 200 and json.loads(text)["ok"] is True
    assert json.loads(post(standin.api_url + "nope.nothing", b"{}")[1]) == {"ok": False, "error": "unknown_method"}


def test_post_update_thread_and_history(standin: SlackStandIn, client: WebClient) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*INC-1*"}}]
    first = client.chat_postMessage(channel="C0SUPPORT", text="INC-1 opened", blocks=blocks)
    assert first["channel"] == "C0SUPPORT" and first["message"]["bot_id"] == standin.bot_id
    second = client.chat_postMessage(channel="C0SUPPORT", text="INC-2 opened")
    assert float(second["ts"]) > float(first["ts"]) and first["ts"].startswith("1700000000.")

    client.chat_update(channel="C0SUPPORT", ts=first["ts"], text="INC-1 acknowledged")
    reply = client.chat_postMessage(channel="C0SUPPORT", thread_ts=first["ts"], text="on it")
    alice_ts = standin.post_user_message("C0SUPPORT", ALICE, "thanks", thread_ts=reply["ts"])  # lands in the root

    top = standin.messages("C0SUPPORT")
    assert [m["ts"] for m in top] == [first["ts"], second["ts"]]
    assert top[0]["text"] == "INC-1 acknowledged" and top[0]["edited"] == 1 and top[0]["blocks"][0]["block_id"]
    assert top[0]["reply_count"] == 2 and top[1]["edited"] == 0 and top[1]["reply_count"] == 0
    replies = standin.replies("C0SUPPORT", first["ts"])
    assert [(r["text"], r.get("user")) for r in replies] == [("on it", standin.bot_user_id), ("thanks", ALICE)]
    assert all(r["thread_ts"] == first["ts"] for r in replies)

    history = client.conversations_history(channel="C0SUPPORT")["messages"]
    assert [m["ts"] for m in history] == [second["ts"], first["ts"]]  # newest first, replies not included
    assert history[1]["edited"]["user"] == standin.bot_user_id
    thread = client.conversations_replies(channel="C0SUPPORT", ts=first["ts"])["messages"]
    assert [m["ts"] for m in thread] == [first["ts"], reply["ts"], alice_ts]

    assert error_of(lambda: client.chat_update(channel="C0SUPPORT", ts=alice_ts, text="x")) == "cant_update_message"
    assert error_of(lambda: client.chat_update(channel="C0SUPPORT", ts="1.000001", text="x")) == "message_not_found"
    bad_thread = lambda: client.chat_postMessage(channel="C0SUPPORT", thread_ts="1.000001", text="x")  # noqa: E731
    assert error_of(bad_thread) == "thread_not_found"
    assert error_of(lambda: client.api_call("chat.postMessage", json={"channel": "C0SUPPORT"})) == "no_text"
    assert error_of(lambda: client.chat_postMessage(channel="C0SUPPORT", text="x" * 40001)) == "msg_too_long"

    link = client.chat_getPermalink(channel="C0SUPPORT", message_ts=first["ts"])["permalink"]
    assert link == f"https://liaison-local.slack.com/archives/C0SUPPORT/p{first['ts'].replace('.', '')}"
    client.chat_delete(channel="C0SUPPORT", ts=second["ts"])
    assert [m["ts"] for m in standin.messages("C0SUPPORT")] == [first["ts"]]


def test_membership_join_and_missing_channels(standin: SlackStandIn, client: WebClient) -> None:
    assert error_of(lambda: client.chat_postMessage(channel="C0RANDOM", text="hi")) == "not_in_channel"
    assert error_of(lambda: client.chat_postMessage(channel="C0NOPE", text="hi")) == "channel_not_found"
    assert error_of(lambda: client.conversations_join(channel="C0NOPE")) == "channel_not_found"
    private = error_of(lambda: client.conversations_join(channel="C0PRIVATE"))
    assert private == "method_not_supported_for_channel_type"
    assert client.conversations_join(channel="C0RANDOM")["channel"]["is_member"] is True
    again = client.conversations_join(channel="C0RANDOM")
    assert again["response_metadata"]["warnings"] == ["already_in_channel"]
    client.chat_postMessage(channel="C0RANDOM", text="hi")
    assert [m["text"] for m in standin.messages("C0RANDOM")] == ["hi"]
    assert standin.channel_id_by_name("random") == "C0RANDOM"

    client.conversations_invite(channel="C0RANDOM", users=[BOB])
    assert BOB in client.conversations_members(channel="C0RANDOM")["members"]
    assert error_of(lambda: client.conversations_invite(channel="C0RANDOM", users="U0NOBODY")) == "user_not_found"
    assert client.conversations_info(channel="C0PRIVATE")["channel"]["is_private"] is True


def test_dms_ephemerals_users_and_groups(standin: SlackStandIn, client: WebClient) -> None:
    posted = client.chat_postMessage(channel=ALICE, text="your ticket")
    dm = standin.dm_channel(ALICE)
    assert posted["channel"] == dm and dm.startswith("D")
    assert client.conversations_open(users=ALICE)["channel"]["id"] == dm
    assert [m["text"] for m in standin.messages(dm)] == ["your ticket"]

    sent = client.chat_postEphemeral(channel="C0SUPPORT", user=ALICE, text="only you")
    assert standin.ephemerals(user=ALICE) == [
        {**standin.ephemerals(channel="C0SUPPORT")[0], "ts": sent["message_ts"], "text": "only you"}
    ]
    assert standin.ephemerals(user=ALICE)[0]["channel"] == "C0SUPPORT"
    not_member = lambda: client.chat_postEphemeral(channel="C0SUPPORT", user=CAROL, text="x")  # noqa: E731
    assert error_of(not_member) == "user_not_in_channel"

    carol = client.users_info(user=CAROL)["user"]
    assert carol["name"] == "carol" and carol["tz"] == "Europe/Berlin" and carol["tz_offset"] in (3600, 7200)
    assert error_of(lambda: client.users_info(user="U0NOBODY")) == "user_not_found"
    standin.add_usergroup("S0ONCALL", "oncall", [ALICE, BOB])
    assert client.usergroups_users_list(usergroup="S0ONCALL")["users"] == [ALICE, BOB]
    assert error_of(lambda: client.usergroups_users_list(usergroup="S0NONE")) == "no_such_subteam"


def test_form_encoded_blocks_are_decoded(standin: SlackStandIn, client: WebClient) -> None:
    blocks = [{"type": "section", "text": {"type": "plain_text", "text": "from a form"}}]
    answer = client.api_call("chat.postMessage", params={"channel": "C0SUPPORT", "blocks": json.dumps(blocks)})
    assert answer["message"]["blocks"][0]["text"]["text"] == "from a form"
    assert standin.calls("chat.postMessage")[0].args["blocks"][0]["type"] == "section"


@pytest.mark.parametrize(
    "block",
    [
        {"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}},
        {
            "type": "actions",
            "elements": [{"type": "button", "action_id": "b", "text": {"type": "plain_text", "text": "y" * 76}}],
        },
        {"type": "no_such_block"},
    ],
)
def test_invalid_blocks(standin: SlackStandIn, client: WebClient, block: dict[str, Any]) -> None:
    with pytest.raises(SlackApiError) as info:
        client.chat_postMessage(channel="C0SUPPORT", text="x", blocks=[block])
    assert info.value.response["error"] == "invalid_blocks"
    assert info.value.response["errors"] and "json-pointer:/blocks/0" in info.value.response["errors"][0]
    assert standin.messages("C0SUPPORT") == []


def test_block_count_limits(standin: SlackStandIn, client: WebClient) -> None:
    divider = {"type": "divider"}
    assert error_of(lambda: client.chat_postMessage(channel="C0SUPPORT", text="x", blocks=[divider] * 51)) == (
        "invalid_blocks"
    )
    client.chat_postMessage(channel="C0SUPPORT", text="x", blocks=[divider] * 50)
    view = {**small_modal(), "blocks": [divider] * 101}
    trigger = standin.issue_trigger_id(ALICE)
    assert error_of(lambda: client.views_open(trigger_id=trigger, view=view)) == "invalid_blocks"
    long_title = {**small_modal(), "title": {"type": "plain_text", "text": "t" * 25}}
    assert error_of(lambda: client.views_open(trigger_id=trigger, view=long_title)) == "invalid_arguments"
    client.views_open(trigger_id=trigger, view={**small_modal(), "blocks": [divider] * 100})  # not used up above


def test_trigger_ids_are_single_use_and_expire(standin: SlackStandIn, client: WebClient, clock: FakeClock) -> None:
    trigger = standin.issue_trigger_id(ALICE)
    opened = client.views_open(trigger_id=trigger, view=ticket_modal())["view"]
    assert opened["id"].startswith("V") and opened["callback_id"] == "ticket_modal"
    assert opened["state"] == {"values": {}} and opened["root_view_id"] == opened["id"] and opened["hash"]
    assert [v["id"] for v in standin.view_stack(ALICE)] == [opened["id"]]
    assert error_of(lambda: client.views_open(trigger_id=trigger, view=ticket_modal())) == "invalid_trigger_id"
    assert error_of(lambda: client.views_open(trigger_id="123.456.abc", view=ticket_modal())) == "invalid_trigger_id"

    late = standin.issue_trigger_id(BOB)
    clock.now += 3.5
    assert error_of(lambda: client.views_open(trigger_id=late, view=ticket_modal())) == "expired_trigger_id"
    assert standin.view_stack(BOB) == []
    in_time = standin.issue_trigger_id(BOB)
    clock.now += 2.5
    client.views_open(trigger_id=in_time, view=ticket_modal())
    assert len(standin.view_stack(BOB)) == 1


def test_push_limit_update_hash_and_home(standin: SlackStandIn, client: WebClient) -> None:
    root = client.views_open(trigger_id=standin.issue_trigger_id(ALICE), view=small_modal("One"))["view"]
    second = client.views_push(trigger_id=standin.issue_trigger_id(ALICE), view=small_modal("Two"))["view"]
    client.views_push(trigger_id=standin.issue_trigger_id(ALICE), view=small_modal("Three"))
    assert second["previous_view_id"] == root["id"] and second["root_view_id"] == root["id"]
    push = lambda: client.views_push(trigger_id=standin.issue_trigger_id(ALICE), view=small_modal("Four"))  # noqa: E731
    assert error_of(push) == "push_limit_reached"
    assert [v["title"]["text"] for v in standin.view_stack(ALICE)] == ["One", "Two", "Three"]

    updated = client.views_update(view_id=root["id"], hash=root["hash"], view=small_modal("Uno"))["view"]
    assert updated["id"] == root["id"] and updated["hash"] != root["hash"]
    stale = lambda: client.views_update(view_id=root["id"], hash=root["hash"], view=small_modal("Eins"))  # noqa: E731
    assert error_of(stale) == "hash_conflict"
    assert error_of(lambda: client.views_update(view_id="V0NOPE", view=small_modal())) == "not_found"
    assert standin.view_stack(ALICE)[0]["title"]["text"] == "Uno"

    home = {"type": "home", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Your tickets"}}]}
    published = client.views_publish(user_id=ALICE, view=home)["view"]
    assert standin.home_view(ALICE)["id"] == published["id"] and standin.home_view(BOB) is None


def test_rate_limit_seen_by_web_client(standin: SlackStandIn, client: WebClient) -> None:
    standin.fail("chat.postMessage", retry_after=7)
    with pytest.raises(SlackApiError) as info:
        client.chat_postMessage(channel="C0SUPPORT", text="hi")
    assert info.value.response.status_code == 429 and info.value.response.headers["Retry-After"] == "7"
    assert info.value.response["error"] == "ratelimited"
    client.chat_postMessage(channel="C0SUPPORT", text="hi")  # times=1: the next call goes through
    statuses = [(c.method, c.status) for c in standin.calls()]
    assert statuses == [("chat.postMessage", 429), ("chat.postMessage", 200)]
    assert len(standin.messages("C0SUPPORT")) == 1


def test_injected_errors_change_no_state(standin: SlackStandIn, client: WebClient) -> None:
    standin.fail(error="channel_not_found", times=2)
    assert error_of(lambda: client.chat_postMessage(channel="C0SUPPORT", text="hi")) == "channel_not_found"
    assert error_of(client.auth_test) == "channel_not_found"
    assert standin.messages("C0SUPPORT") == []
    standin.fail("auth.test", status=500)
    with pytest.raises(SlackApiError) as info:
        client.auth_test()
    assert info.value.response.status_code == 500
    assert client.auth_test()["ok"] is True


def test_outage_then_recovery(standin: SlackStandIn, client: WebClient, clock: FakeClock) -> None:
    standin.outage(30)
    with pytest.raises(SlackApiError) as info:
        client.chat_postMessage(channel="C0SUPPORT", text="hi")
    assert info.value.response.status_code == 503
    clock.now += 31
    client.chat_postMessage(channel="C0SUPPORT", text="hi")
    standin.rate_limit(10, retry_after=3)
    assert error_of(client.auth_test) == "ratelimited"
    standin.clear_failures()
    assert client.auth_test()["ok"] is True
    assert [c.status for c in standin.calls()] == [503, 200, 429, 200]


def test_response_url_posts(standin: SlackStandIn, client: WebClient) -> None:
    url = standin.new_response_url(channel="C0SUPPORT", user=ALICE)
    assert url.startswith(standin.base_url)
    assert post(url, json.dumps(load("response_url_posts.json")["ephemeral_reply"]).encode()) == (200, "ok")
    assert post(url, json.dumps(load("response_url_posts.json")["in_channel_reply"]).encode()) == (200, "ok")
    assert standin.ephemerals(user=ALICE)[0]["text"] == "Ticket INC-1042 created"
    assert standin.messages("C0SUPPORT")[0]["text"] == "INC-1042 opened by <@U0ALICE01>"
    bad = {"text": "x", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "z" * 3001}}]}
    assert post(url, json.dumps(bad).encode()) == (400, "invalid_blocks")

    ts = client.chat_postMessage(channel="C0SUPPORT", text="INC-1042", blocks=[{"type": "divider"}])["ts"]
    on_message = standin.new_response_url(channel="C0SUPPORT", user=ALICE, message_ts=ts)
    assert post(on_message, json.dumps(load("response_url_posts.json")["replace_original"]).encode())[0] == 200
    replaced = standin.message("C0SUPPORT", ts)
    assert replaced["text"] == "INC-1042 acknowledged by <@U0ALICE01>" and replaced["blocks"][0]["type"] == "section"
    assert post(on_message, json.dumps(load("response_url_posts.json")["delete_original"]).encode())[0] == 200
    assert ts not in [m["ts"] for m in standin.messages("C0SUPPORT")]

    for _ in range(3):
        assert post(url, b'{"text": "more"}')[0] == 200
    assert post(url, b'{"text": "sixth"}') == (404, "no_active_hooks")
    posts = standin.response_posts(url)
    assert [p["status"] for p in posts] == [200, 200, 400, 200, 200, 200, 404]
    assert posts[0]["body"]["response_type"] == "ephemeral"
