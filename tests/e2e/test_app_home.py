"""The App Home tab: the agent's own tickets and the queue's most urgent, with Claim buttons."""

from __future__ import annotations

from bot.local.driver import SlackDriver
from bot.local.standin import SlackStandIn
from tests.e2e.helpers import block_texts, open_ticket
from tests.slack_fixtures import ALICE, BOB, CAROL


def test_home_shows_my_tickets_and_the_urgent_queue(driver: SlackDriver, slack: SlackStandIn) -> None:
    open_ticket(driver, CAROL, "Mine soon", priority="P3")
    open_ticket(driver, CAROL, "Fire", priority="P1")
    driver.command(ALICE, "claim T-1")
    assert driver.app_home_opened(ALICE).status == 200
    home = slack.home_view(ALICE)
    text = block_texts(home["blocks"])
    mine, queue = text.split("Most urgent in the queue")
    assert "T-1" in mine and "T-2" not in mine
    assert queue.index("T-2") < queue.index("T-1")


def test_claiming_from_home_refreshes_it(driver: SlackDriver, slack: SlackStandIn) -> None:
    open_ticket(driver, CAROL, "Fire", priority="P1")
    driver.app_home_opened(BOB)
    assert driver.click(BOB, "ticket_claim", view_id=slack.home_view(BOB)["id"]).status == 200
    mine = block_texts(slack.home_view(BOB)["blocks"]).split("Most urgent in the queue")[0]
    assert "T-1" in mine


def test_non_agents_see_the_tickets_they_opened(driver: SlackDriver, slack: SlackStandIn) -> None:
    open_ticket(driver, CAROL, "Carol's")
    open_ticket(driver, ALICE, "Alice's")
    driver.app_home_opened(CAROL)
    text = block_texts(slack.home_view(CAROL)["blocks"])
    assert "Tickets you opened" in text and "Carol's" in text and "Alice's" not in text
    assert "Most urgent in the queue" not in text
