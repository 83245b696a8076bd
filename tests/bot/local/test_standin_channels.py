"""Channel lifecycle and pins in the Slack stand-in, driven over real HTTP by slack_sdk's WebClient."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.local.standin import SlackStandIn

ALICE = "U0ALICE01"
NOW = 1_700_000_000


@pytest.fixture
def standin() -> Iterator[SlackStandIn]:
    s = SlackStandIn(clock=lambda: NOW)
    s.add_user(ALICE, "alice")
    s.add_channel("C0SUPPORT", "support", members=[s.bot_user_id, ALICE])
    s.add_channel("C0RANDOM", "random", members=[ALICE])
    with s:
        yield s


@pytest.fixture
def client(standin: SlackStandIn) -> WebClient:
    return WebClient(token=standin.bot_token, base_url=standin.api_url)


def error_of(call: Any) -> str:
    with pytest.raises(SlackApiError) as info:
        call()
    return info.value.response["error"]


# ----- conversations.create


def test_create_makes_a_public_channel_the_bot_created_and_is_in(standin: SlackStandIn, client: WebClient) -> None:
    channel = client.conversations_create(name="inc-42_printer")["channel"]
    assert channel["id"].startswith("C") and channel["name"] == channel["name_normalized"] == "inc-42_printer"
    assert channel["is_channel"] is True and channel["is_private"] is False and channel["is_archived"] is False
    assert channel["created"] == NOW and channel["creator"] == standin.bot_user_id and channel["is_member"] is True
    assert channel["topic"] == channel["purpose"] == {"value": "", "creator": "", "last_set": 0}
    assert client.conversations_info(channel=channel["id"])["channel"] == channel
    assert client.conversations_members(channel=channel["id"])["members"] == [standin.bot_user_id]
    assert standin.channel_id_by_name("inc-42_printer") == channel["id"]


def test_create_makes_a_private_channel(client: WebClient) -> None:
    channel = client.conversations_create(name="inc-43", is_private=True)["channel"]
    assert channel["is_private"] is True and channel["is_channel"] is False and channel["is_group"] is True


def test_create_accepts_80_characters_and_caseless_scripts(client: WebClient) -> None:
    assert client.conversations_create(name="a" * 80)["channel"]["name"] == "a" * 80
    assert client.conversations_create(name="障害-1")["channel"]["name"] == "障害-1"


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("", "invalid_name_required"),
        ("a" * 81, "invalid_name_maxlength"),
        ("Inc-44", "invalid_name_specials"),
        ("inc 44", "invalid_name_specials"),
        ("inc.44", "invalid_name_specials"),
        ("#inc-44", "invalid_name_specials"),
        ("-_-", "invalid_name_punctuation"),
    ],
)
def test_create_refuses_names_slack_refuses(standin: SlackStandIn, client: WebClient, name: str, error: str) -> None:
    assert error_of(lambda: client.conversations_create(name=name)) == error
    with pytest.raises(KeyError):
        standin.channel_id_by_name(name)


def test_create_without_a_name_is_invalid_name_required(client: WebClient) -> None:
    assert error_of(lambda: client.api_call("conversations.create", json={})) == "invalid_name_required"


def test_create_with_a_name_that_is_not_text_is_invalid_name(client: WebClient) -> None:
    assert error_of(lambda: client.api_call("conversations.create", json={"name": 44})) == "invalid_name"


def test_create_refuses_a_name_in_use(client: WebClient) -> None:
    assert error_of(lambda: client.conversations_create(name="support")) == "name_taken"


def test_create_refuses_the_name_of_an_archived_channel(standin: SlackStandIn, client: WebClient) -> None:
    standin.add_channel("C0OLDINC", "inc-1")
    standin.archive_channel("C0OLDINC")
    assert error_of(lambda: client.conversations_create(name="inc-1")) == "name_taken"


# ----- conversations.archive


def test_archive_marks_the_channel_archived(standin: SlackStandIn, client: WebClient) -> None:
    channel_id = client.conversations_create(name="inc-45")["channel"]["id"]
    assert client.conversations_archive(channel=channel_id).data == {"ok": True}
    assert client.conversations_info(channel=channel_id)["channel"]["is_archived"] is True
    assert standin.channel(channel_id)["is_archived"] is True  # type: ignore[index]


def test_archived_channel_refuses_posts(standin: SlackStandIn, client: WebClient) -> None:
    client.conversations_archive(channel="C0SUPPORT")
    assert error_of(lambda: client.chat_postMessage(channel="C0SUPPORT", text="still here?")) == "is_archived"
    assert standin.messages("C0SUPPORT") == []


def test_archive_twice_is_already_archived(client: WebClient) -> None:
    client.conversations_archive(channel="C0SUPPORT")
    assert error_of(lambda: client.conversations_archive(channel="C0SUPPORT")) == "already_archived"


def test_archive_needs_the_bot_in_the_channel(standin: SlackStandIn, client: WebClient) -> None:
    assert error_of(lambda: client.conversations_archive(channel="C0RANDOM")) == "not_in_channel"
    assert standin.channel("C0RANDOM")["is_archived"] is False  # type: ignore[index]


def test_archive_refuses_dms_and_unknown_channels(standin: SlackStandIn, client: WebClient) -> None:
    dm = standin.dm_channel(ALICE)
    assert error_of(lambda: client.conversations_archive(channel=dm)) == "method_not_supported_for_channel_type"
    assert error_of(lambda: client.conversations_archive(channel="C0NOPE")) == "channel_not_found"


def test_archive_channel_helper_needs_a_known_channel(standin: SlackStandIn) -> None:
    with pytest.raises(ValueError, match="C0NOPE"):
        standin.archive_channel("C0NOPE")


# ----- conversations.setTopic


def test_set_topic_returns_and_keeps_the_topic(standin: SlackStandIn, client: WebClient) -> None:
    topic = "INC-45 · printer down · " + "x" * 226  # 250 characters, Slack's limit
    channel = client.conversations_setTopic(channel="C0SUPPORT", topic=topic)["channel"]
    assert channel["id"] == "C0SUPPORT"
    assert channel["topic"] == {"value": topic, "creator": standin.bot_user_id, "last_set": NOW}
    assert client.conversations_info(channel="C0SUPPORT")["channel"]["topic"]["value"] == topic


def test_set_topic_longer_than_250_characters_is_too_long(standin: SlackStandIn, client: WebClient) -> None:
    assert error_of(lambda: client.conversations_setTopic(channel="C0SUPPORT", topic="x" * 251)) == "too_long"
    assert standin.channel("C0SUPPORT")["topic"]["value"] == ""  # type: ignore[index]


def test_set_topic_needs_the_bot_in_the_channel(client: WebClient) -> None:
    assert error_of(lambda: client.conversations_setTopic(channel="C0RANDOM", topic="hi")) == "not_in_channel"


def test_set_topic_refuses_an_archived_channel(client: WebClient) -> None:
    client.conversations_archive(channel="C0SUPPORT")
    assert error_of(lambda: client.conversations_setTopic(channel="C0SUPPORT", topic="hi")) == "is_archived"


def test_set_topic_needs_a_topic(client: WebClient) -> None:
    assert error_of(lambda: client.api_call("conversations.setTopic", json={"channel": "C0SUPPORT"})) == (
        "invalid_arguments"
    )


# ----- pins


def test_pin_add_and_list_show_the_message_as_edited(standin: SlackStandIn, client: WebClient) -> None:
    summary = client.chat_postMessage(channel="C0SUPPORT", text="INC-45 summary")["ts"]
    assert client.pins_add(channel="C0SUPPORT", timestamp=summary).data == {"ok": True}
    client.chat_update(channel="C0SUPPORT", ts=summary, text="INC-45 summary: resolved")

    [item] = client.pins_list(channel="C0SUPPORT")["items"]
    assert {k: item[k] for k in ("type", "channel", "created", "created_by")} == {
        "type": "message",
        "channel": "C0SUPPORT",
        "created": NOW,
        "created_by": standin.bot_user_id,
    }
    assert item["message"]["ts"] == summary and item["message"]["text"] == "INC-45 summary: resolved"
    [pinned] = standin.pins("C0SUPPORT")
    assert pinned["text"] == "INC-45 summary: resolved" and pinned["edited"] == 1
    assert client.conversations_history(channel="C0SUPPORT")["messages"][0]["pinned_to"] == ["C0SUPPORT"]


def test_pins_list_latest_pin_first(standin: SlackStandIn, client: WebClient) -> None:
    first = client.chat_postMessage(channel="C0SUPPORT", text="first")["ts"]
    second = standin.post_user_message("C0SUPPORT", ALICE, "second")
    client.pins_add(channel="C0SUPPORT", timestamp=first)
    client.pins_add(channel="C0SUPPORT", timestamp=second)
    assert [i["message"]["ts"] for i in client.pins_list(channel="C0SUPPORT")["items"]] == [second, first]
    assert client.pins_list(channel="C0RANDOM")["items"] == []


def test_pin_add_needs_an_existing_message(client: WebClient) -> None:
    assert error_of(lambda: client.pins_add(channel="C0SUPPORT", timestamp="1.000001")) == "message_not_found"
    assert error_of(lambda: client.pins_add(channel="C0SUPPORT")) == "no_item_specified"
    assert error_of(lambda: client.pins_add(channel="C0NOPE", timestamp="1.000001")) == "channel_not_found"


def test_pin_add_twice_is_already_pinned(client: WebClient) -> None:
    ts = client.chat_postMessage(channel="C0SUPPORT", text="summary")["ts"]
    client.pins_add(channel="C0SUPPORT", timestamp=ts)
    assert error_of(lambda: client.pins_add(channel="C0SUPPORT", timestamp=ts)) == "already_pinned"


def test_pin_remove_unpins(standin: SlackStandIn, client: WebClient) -> None:
    ts = client.chat_postMessage(channel="C0SUPPORT", text="summary")["ts"]
    client.pins_add(channel="C0SUPPORT", timestamp=ts)
    assert client.pins_remove(channel="C0SUPPORT", timestamp=ts).data == {"ok": True}
    assert client.pins_list(channel="C0SUPPORT")["items"] == [] and standin.pins("C0SUPPORT") == []
    assert "pinned_to" not in standin.message("C0SUPPORT", ts)


def test_pin_remove_of_an_unpinned_message_is_no_pin(client: WebClient) -> None:
    ts = client.chat_postMessage(channel="C0SUPPORT", text="summary")["ts"]
    assert error_of(lambda: client.pins_remove(channel="C0SUPPORT", timestamp=ts)) == "no_pin"


def test_deleting_a_pinned_message_drops_its_pin(standin: SlackStandIn, client: WebClient) -> None:
    ts = client.chat_postMessage(channel="C0SUPPORT", text="summary")["ts"]
    client.pins_add(channel="C0SUPPORT", timestamp=ts)
    client.chat_delete(channel="C0SUPPORT", ts=ts)
    assert client.pins_list(channel="C0SUPPORT")["items"] == [] and standin.pins("C0SUPPORT") == []
