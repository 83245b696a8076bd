"""Satisfaction end to end: a solved ticket's survey in the customer's shared thread (or by DM), answered once under
a double click, a comment through a form, low scores told to the assignee, a click after a reopen recording nothing,
and the card showing the answer."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import func, select

from app import Liaison
from bot.local.driver import SlackDriver
from bot.local.standin import SlackStandIn
from bot.messages.satisfaction import COMMENT, SCORE
from bot.tickets.service import Actor, TicketDraft
from models import Satisfaction
from tests.e2e.helpers import block_texts, card
from tests.e2e.test_shared_channels import SHARED, WILE, config, say, shared  # noqa: F401 - the shared channel setup
from tests.slack_fixtures import ALICE, CAROL


def survey(slack: SlackStandIn, root: str) -> dict[str, Any]:
    [found] = [m for m in slack.replies(SHARED, root) if "How did we do" in m.get("text", "")]
    return found


def click_score(driver: SlackDriver, user: str, score: int, ts: str, channel: str = SHARED) -> str:
    response = driver.click(user, f"{SCORE}_{score}", channel=channel, message_ts=ts)
    assert response.status == 200
    return driver.standin.response_posts()[-1]["body"]["text"]


def rows(liaison: Liaison) -> list[tuple[int, int, str]]:
    with liaison.services.database.session() as session:
        found = session.execute(select(Satisfaction.score, Satisfaction.ticket_id, Satisfaction.comment))
        return [tuple(r) for r in found.all()]  # type: ignore[misc]


@pytest.fixture
def solved(driver: SlackDriver, slack: SlackStandIn, liaison: Liaison, shared: str, tick: Any) -> str:  # noqa: F811
    root = say(driver, WILE, "Checkout fails")
    driver.command(ALICE, "claim T-1")
    driver.command(ALICE, "status T-1 solved")
    tick()
    return root


def test_the_survey_is_answered_once_under_a_double_click(
    driver: SlackDriver, slack: SlackStandIn, liaison: Liaison, solved: str, tick: Any
) -> None:
    ts = survey(slack, solved)["ts"]
    start = threading.Barrier(2)

    def click(score: int) -> None:
        start.wait()
        assert driver.click(WILE, f"{SCORE}_{score}", channel=SHARED, message_ts=ts).status == 200

    clicks = [threading.Thread(target=click, args=(n,)) for n in (4, 5)]
    for thread in clicks:
        thread.start()
    for thread in clicks:
        thread.join()
    [(score, ticket_id, _)] = rows(liaison)
    assert ticket_id == 1 and score in (4, 5)
    answers = sorted(post["body"]["text"] for post in slack.response_posts())
    assert answers == [f"T-1 was already rated {score}/5. Thank you!", f"Thank you: T-1 rated {score}/5."]
    tick()
    assert f"You rated *T-1* {'★' * score}" in block_texts(survey_after(slack, solved)["blocks"])
    assert "*Satisfaction*:" in block_texts(card(slack)["blocks"])


def survey_after(slack: SlackStandIn, root: str) -> dict[str, Any]:
    [found] = [m for m in slack.replies(SHARED, root) if m.get("text", "").startswith("You rated")]
    return found


def test_a_comment_comes_through_a_form_and_low_scores_reach_the_assignee(
    driver: SlackDriver, slack: SlackStandIn, liaison: Liaison, solved: str, tick: Any
) -> None:
    ts = survey(slack, solved)["ts"]
    assert click_score(driver, WILE, 1, ts) == "Thank you: T-1 rated 1/5."
    tick()
    assert "The customer rated *T-1* Checkout fails 1/5" in " ".join(
        m["text"] for m in slack.messages(slack.dm_channel(ALICE))
    )
    assert driver.click(WILE, COMMENT, channel=SHARED, message_ts=ts).status == 200
    form = slack.view_stack(WILE)[-1]
    assert form["callback_id"] == "csat_comment_modal"
    assert driver.submit_view(WILE, {"comment": {"value": ""}}).json()["errors"]["comment"]
    assert driver.submit_view(WILE, {"comment": {"value": "Too slow & <b>"}}).status == 200
    tick()
    assert rows(liaison) == [(1, 1, "Too slow & <b>")]
    assert "“Too slow &amp; &lt;b&gt;”" in block_texts(card(slack)["blocks"])


def test_a_click_after_a_reopen_records_nothing(
    driver: SlackDriver, slack: SlackStandIn, liaison: Liaison, solved: str, tick: Any
) -> None:
    ts = survey(slack, solved)["ts"]
    assert click_score(driver, ALICE, 5, ts) == "This survey is for the customer of T-1."
    say(driver, WILE, "It is back", thread_ts=solved)
    assert "open again" in click_score(driver, WILE, 5, ts)
    assert rows(liaison) == []


def test_a_requester_outside_a_shared_channel_is_asked_by_dm(
    driver: SlackDriver, slack: SlackStandIn, liaison: Liaison, tick: Any
) -> None:
    draft = TicketDraft("VPN drops", "P3", new_customer="Initech")
    liaison.services.tickets.open(Actor(CAROL, is_agent=False), draft)
    driver.command(ALICE, "status T-1 solved")
    tick()
    [asked] = [m for m in slack.messages(slack.dm_channel(CAROL)) if "How did we do" in m["text"]]
    assert click_score(driver, CAROL, 5, asked["ts"], channel=slack.dm_channel(CAROL)) == "Thank you: T-1 rated 5/5."
    with liaison.services.database.session() as session:
        assert session.scalar(select(func.count()).select_from(Satisfaction)) == 1


def test_an_agent_who_opened_the_ticket_from_the_customers_message_cannot_rate_it(
    driver: SlackDriver,
    slack: SlackStandIn,
    liaison: Liaison,
    shared: str,  # noqa: F811 - the fixture, imported from the shared-channel tests
    tick: Any,
) -> None:
    liaison.services.customers.sync()
    root = slack.post_user_message(SHARED, WILE, "Checkout fails")  # no event: Liaison opens nothing by itself here
    liaison.services.reactions.ticket_from_reaction(Actor(ALICE, is_agent=True), SHARED, root)  # alice's :ticket:
    driver.command(ALICE, "status T-1 solved")
    tick()
    ts = survey(slack, root)["ts"]
    assert click_score(driver, ALICE, 5, ts) == "This survey is for the customer of T-1."
    assert click_score(driver, WILE, 4, ts) == "Thank you: T-1 rated 4/5."
