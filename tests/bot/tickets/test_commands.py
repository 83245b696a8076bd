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


def test_unknown_subcommand_shows_usage_and_cannot_ping() -> None:
    with pytest.raises(UsageError) as caught:
        parse("<!channel>")
    message = str(caught.value)
    assert "/ticket new" in message and "/ticket list" in message
    assert "<!channel>" not in message and "&lt;!channel&gt;" in message
    assert "<" not in message  # placeholders like <command> would render as broken links in Slack
