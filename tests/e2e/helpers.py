"""Small readers over what the stand-in received, so tests say what they check."""

from __future__ import annotations

from typing import Any

from bot.local.driver import SlackDriver
from bot.local.standin import SlackStandIn
from tests.slack_fixtures import QUEUE


def card(slack: SlackStandIn, key: str = "T-1") -> dict[str, Any]:
    """The ticket card in the queue channel."""
    cards = [m for m in slack.messages(QUEUE) if m.get("text", "").startswith(f"{key} ·")]
    assert len(cards) == 1, f"expected one card for {key}, found {len(cards)}"
    return cards[0]


def thread(slack: SlackStandIn, key: str = "T-1") -> list[str]:
    """The texts posted in a card's thread."""
    return [reply["text"] for reply in slack.replies(QUEUE, card(slack, key)["ts"])]


def _texts(node: Any, keep: Any) -> list[str]:
    """Every `text` string in a block tree whose enclosing object passes `keep`."""
    found: list[str] = []
    if isinstance(node, dict):
        if isinstance(node.get("text"), str) and keep(node):
            found.append(node["text"])
        for value in node.values():
            found += _texts(value, keep)
    elif isinstance(node, list):
        for item in node:
            found += _texts(item, keep)
    return found


def block_texts(blocks: list[dict[str, Any]]) -> str:
    """All text in a list of blocks, for loose assertions."""
    return "\n".join(_texts(blocks, lambda _: True))


def mrkdwn_texts(blocks: list[dict[str, Any]]) -> list[str]:
    """The texts Slack parses as mrkdwn (plain_text is shown verbatim and can never ping)."""
    return _texts(blocks, lambda node: node.get("type") == "mrkdwn")


def open_ticket(
    driver: SlackDriver,
    user: str,
    subject: str = "Checkout fails",
    *,
    customer: str = "Acme",
    priority: str = "P2",
    description: str = "",
) -> None:
    """Open a ticket through `/ticket new` and its modal, as a person would."""
    assert driver.command(user, f"new {subject}").status == 200
    response = driver.submit_view(
        user,
        {"new_customer": {"value": customer}, "priority": {"value": priority}, "description": {"value": description}},
    )
    assert response.status == 200 and not response.body, response.text
