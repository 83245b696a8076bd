"""SlackGateway.upload_file against the Slack stand-in: where the file lands, and how each failure is classified."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from slack_sdk import WebClient

from bot.gateway import UPLOAD_POST, SlackGateway, SlackRejected, SlackUnavailable, SlackUnknownError
from bot.local.standin import SlackStandIn

QUEUE, ELSEWHERE = "C0QUEUE01", "C0RANDOM1"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn() as standin:
        standin.add_channel(QUEUE, "support-queue", members=[standin.bot_user_id])
        standin.add_channel(ELSEWHERE, "random")
        yield standin


@pytest.fixture
def gateway(slack: SlackStandIn) -> SlackGateway:
    return SlackGateway(WebClient(token=slack.bot_token, base_url=slack.api_url))


def upload(gateway: SlackGateway, channel: str = QUEUE, **kw: str) -> dict:
    return gateway.upload_file(channel, filename="sla.png", content=PNG, title="SLA chart", **kw)


def test_the_file_lands_in_the_channel_with_its_comment_and_bytes_intact(
    gateway: SlackGateway, slack: SlackStandIn
) -> None:
    answer = upload(gateway, initial_comment="SLA this week")
    [shared] = answer["files"]
    assert answer["ok"] is True and shared["title"] == "SLA chart"
    [message] = slack.messages(QUEUE)
    assert message["text"] == "SLA this week"
    assert [(f["id"], f["name"], f["mimetype"], f["size"]) for f in message["files"]] == [
        (shared["id"], "sla.png", "image/png", len(PNG))
    ]
    assert slack.file_content(shared["id"]) == PNG
    [got] = slack.calls("files.getUploadURLExternal")
    assert got.args == {"filename": "sla.png", "length": str(len(PNG))}


def test_with_thread_ts_the_file_is_a_reply_in_that_thread(gateway: SlackGateway, slack: SlackStandIn) -> None:
    parent = gateway.post_message(QUEUE, "T-1 · Checkout fails")["ts"]
    file_id = upload(gateway, thread_ts=parent)["files"][0]["id"]
    [reply] = slack.replies(QUEUE, parent)
    assert reply["files"][0]["id"] == file_id and reply["text"] == ""
    assert [m["ts"] for m in slack.messages(QUEUE)] == [parent]
    thread = gateway.call("conversations.replies", channel=QUEUE, ts=parent)["messages"]
    assert [m.get("files", [{}])[0].get("title") for m in thread] == [None, "SLA chart"]


@pytest.mark.parametrize("method", ["files.getUploadURLExternal", "files.completeUploadExternal", "upload"])
def test_a_503_in_any_step_is_transient(gateway: SlackGateway, slack: SlackStandIn, method: str) -> None:
    slack.fail(method, status=503)
    with pytest.raises(SlackUnavailable) as info:
        upload(gateway)
    assert info.value.transient and info.value.method == (UPLOAD_POST if method == "upload" else method)
    assert slack.messages(QUEUE) == []
    upload(gateway)  # the retry takes a fresh upload ticket and goes through
    assert len(slack.messages(QUEUE)) == 1


@pytest.mark.parametrize("method", ["files.completeUploadExternal", "upload"])
def test_a_rate_limit_is_transient_and_carries_retry_after(
    gateway: SlackGateway, slack: SlackStandIn, method: str
) -> None:
    slack.fail(method, retry_after=7)
    with pytest.raises(SlackUnavailable) as info:
        upload(gateway)
    assert (info.value.error, info.value.retry_after) == ("ratelimited", 7.0)


def test_a_slack_rejection_is_permanent(gateway: SlackGateway, slack: SlackStandIn) -> None:
    with pytest.raises(SlackRejected) as info:
        upload(gateway, channel=ELSEWHERE)  # the bot is not in the channel
    assert (info.value.method, info.value.error) == ("files.completeUploadExternal", "not_in_channel")
    slack.fail("files.getUploadURLExternal", error="invalid_auth")
    with pytest.raises(SlackRejected):
        upload(gateway)


def test_an_unknown_error_is_neither_permanent_nor_transient(gateway: SlackGateway, slack: SlackStandIn) -> None:
    slack.fail("files.completeUploadExternal", error="file_not_found")
    with pytest.raises(SlackUnknownError) as info:
        upload(gateway)
    assert not info.value.permanent and not info.value.transient


def test_a_stale_upload_url_is_an_unknown_error(
    gateway: SlackGateway, slack: SlackStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(slack, "_upload_url", lambda file_id: f"{slack.base_url}upload/F0EXPIRED")
    with pytest.raises(SlackUnknownError) as info:
        upload(gateway)
    assert (info.value.method, info.value.error) == (UPLOAD_POST, "http_404")


def test_an_upload_url_that_cannot_be_reached_is_transient(
    gateway: SlackGateway, slack: SlackStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as probe:  # a port nothing listens on once the probe is closed
        probe.bind(("127.0.0.1", 0))
        dead = probe.getsockname()[1]
    monkeypatch.setattr(slack, "_upload_url", lambda file_id: f"http://127.0.0.1:{dead}/upload/{file_id}")
    with pytest.raises(SlackUnavailable) as info:
        upload(gateway)
    assert info.value.method == UPLOAD_POST and info.value.error.startswith("connection: ")
