"""The /ticket command language: every subcommand parses, and every mistake says what is missing."""

import pytest

from bot.errors import UsageError
from bot.tickets.commands import Command, parse


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", Command("help")),
        ("help", Command("help")),
        ("new", Command("new")),
        ("new Checkout fails", Command("new", arg="Checkout fails")),
        ("list", Command("list")),
        ("list mine", Command("list", arg="mine")),
        ("list Acme Corp", Command("list", arg="Acme Corp")),
        ("show T-12", Command("show", "T-12")),
        ("show t12", Command("show", "T-12")),
        ("claim 7", Command("claim", "T-7")),
        ("assign T-3 <@U0BOB0001|bob>", Command("assign", "T-3", "U0BOB0001")),
        ("assign T-3 <@U0BOB0001>", Command("assign", "T-3", "U0BOB0001")),
        ("status T-3 pending", Command("status", "T-3", "pending")),
        ("status T-3 on hold", Command("status", "T-3", "on-hold")),
        ("priority T-3 p1", Command("priority", "T-3", "P1")),
        ("reply T-3 We shipped a fix", Command("reply", "T-3", "We shipped a fix")),
        ("note T-3 internal only", Command("note", "T-3", "internal only")),
        ("customer T-3 still broken", Command("customer", "T-3", "still broken")),
        ("outbox", Command("outbox")),
    ],
)
def test_every_subcommand_parses(text: str, expected: Command) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("frobnicate", "I don't know `/ticket frobnicate`"),
        ("show", "needs a ticket key, for example `/ticket show T-12`"),
        ("reply T-3", "needs the reply text, for example"),
        ("assign T-3", "needs the person"),
        ("assign T-3 bob", "Name the person as a mention"),
        ("status T-3 weird", "`weird` is not a status"),
        ("priority T-3 P9", "`P9` is not a priority"),
        ("show ABC", "`ABC` is not a ticket key"),
        ("claim T-3 now", "takes nothing after T-3"),
    ],
)
def test_mistakes_say_what_is_missing(text: str, says: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse(text)
    assert says in str(caught.value)


@pytest.mark.parametrize(
    ("sent", "shown"),
    [
        ("&lt;!channel&gt;", "`/ticket &lt;!channel&gt;`"),  # typed "<!channel>": Slack encodes it once
        ("<!channel>", "`/ticket @channel`"),  # typed "@channel": Slack's token, named and never a ping
    ],
)
def test_unknown_subcommand_shows_usage_and_cannot_ping(sent: str, shown: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse(sent)
    message = str(caught.value)
    assert "/ticket new" in message and "/ticket list" in message
    assert shown in message and "&amp;" not in message
    assert "<" not in message  # placeholders like <command> would render as broken links in Slack


# Slash-command text as Slack sends it for what the person typed (manifest: should_escape).
@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        (
            "new Printer on fire &amp; jammed &lt;tray 2&gt;",
            Command("new", arg="Printer on fire & jammed <tray 2>"),
        ),
        ("reply T-3 &lt;!here&gt; &amp; &lt;tray 2&gt;", Command("reply", "T-3", "<!here> & <tray 2>")),
        ("note T-3 ask <@U0BOB0001|bob> &amp; <!here>", Command("note", "T-3", "ask @bob & @here")),
        ("customer T-3 a typed &amp;lt; stays", Command("customer", "T-3", "a typed &lt; stays")),
        ("list Smith &amp; Sons", Command("list", arg="Smith & Sons")),
        ("assign T-3 &lt;@U0BOB0001&gt;", Command("assign", "T-3", "U0BOB0001")),
    ],
)
def test_text_comes_out_as_typed(sent: str, expected: Command) -> None:
    assert parse(sent) == expected


def test_a_key_echoed_in_an_error_is_encoded_once() -> None:
    with pytest.raises(UsageError) as caught:
        parse("show &lt;b&gt;")
    assert "`&lt;b&gt;` is not a ticket key" in str(caught.value)
