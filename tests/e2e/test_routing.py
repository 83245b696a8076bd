"""Routing end to end: unassigned tickets offered by DM to the right agent (skills, cap, away, working hours, round
robin), the nearest deadline first; Accept assigns, Pass or no answer offers the next agent, a claim withdraws the
offer, and nobody available tells the queue once."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from app import Liaison
from bot.clock import MovableClock
from bot.config import LiaisonConfig
from bot.local.driver import SlackDriver
from bot.local.standin import SlackStandIn
from bot.messages.routing import ACCEPT, PASS
from bot.tickets import rules
from bot.tickets.service import Actor, TicketDraft
from models import AgentPresence, RoutingOffer, Ticket
from tests.e2e.helpers import block_texts
from tests.slack_fixtures import AGENTS, ALICE, BOB, QUEUE

DAVE = "U0DAVE001"
# Tuesday 1 Dec 2026, 15:00 UTC: 16:00 in Berlin, where bob works 09:00-17:00.
START = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(START)


@pytest.fixture
def config() -> LiaisonConfig:
    return LiaisonConfig.from_dict(
        tomllib.loads(f"""
[tickets]
queue_channel = "{QUEUE}"
[agents]
usergroup = "{AGENTS}"
[calendars.berlin]
timezone = "Europe/Berlin"
weekdays = ["09:00-17:00"]
[[sla.policies]]
name = "all"
[sla.policies.targets.P1]
first_response = {{ duration = "30m" }}
[sla.policies.targets.P3]
first_response = {{ duration = "4h" }}
[routing]
offer_timeout = "5m"
max_open = 2
[routing.agents.{ALICE}]
skills = ["api"]
[routing.agents.{BOB}]
skills = ["api", "billing"]
calendar = "berlin"
[routing.agents.{DAVE}]
skills = ["billing"]
max_open = 1
[[routing.rules]]
name = "billing"
match = {{ customers = ["globex"] }}
skills = ["billing"]
""")
    )


@pytest.fixture
def team(slack: SlackStandIn) -> None:
    slack.add_user(DAVE, "dave", real_name="Dave Manager")
    slack.add_usergroup(AGENTS, "support", [ALICE, BOB, DAVE])


def open_ticket(liaison: Liaison, customer: str = "Acme", priority: str = "P3") -> str:
    draft = TicketDraft(f"{customer} needs help", priority, new_customer=customer)
    return liaison.services.tickets.open(Actor("U0CAROL01", is_agent=False), draft).ticket.key


def route(liaison: Liaison, tick: Any) -> int:
    offered = liaison.services.routing.run()
    tick()
    return offered


def offers(liaison: Liaison) -> list[tuple[int, str, str]]:
    with liaison.services.database.session() as session:
        query = select(RoutingOffer.ticket_id, RoutingOffer.user_id, RoutingOffer.state).order_by(RoutingOffer.id)
        rows = session.execute(query)
        return [tuple(row) for row in rows.all()]  # type: ignore[misc]


def assignee(liaison: Liaison, key: str) -> str | None:
    with liaison.services.database.session() as session:
        return session.scalar(select(Ticket.assignee_id).where(Ticket.id == int(key[2:])))


def counted_as_they_change(liaison: Liaison) -> None:
    """Each agent's active tickets and waiting offers, as routing reads them, equal a count of the rows."""
    with liaison.services.database.session() as session:
        kept = session.execute(select(AgentPresence.user_id, AgentPresence.open_tickets, AgentPresence.offers_waiting))
        tickets = select(Ticket.assignee_id, func.count()).where(Ticket.status.in_(rules.ACTIVE_STATUSES))
        held = dict(session.execute(tickets.group_by(Ticket.assignee_id)).tuples().all())
        offered = select(RoutingOffer.user_id, func.count()).where(RoutingOffer.state == "offered")
        waiting = dict(session.execute(offered.group_by(RoutingOffer.user_id)).tuples().all())
        for user, open_tickets, offers_waiting in kept:
            assert (open_tickets, offers_waiting) == (held.get(user, 0), waiting.get(user, 0)), user


def dm_texts(slack: SlackStandIn, user: str) -> list[str]:
    return [m["text"] + "\n" + block_texts(m.get("blocks") or []) for m in slack.messages(slack.dm_channel(user))]


def test_an_offer_accepted_assigns_the_ticket(
    driver: SlackDriver, slack: SlackStandIn, liaison: Liaison, team: None, tick: Any
) -> None:
    key = open_ticket(liaison)
    assert route(liaison, tick) == 1
    assert offers(liaison) == [(1, ALICE, "offered")]  # api skill is not needed; all equal: the first by id
    assert "Can you take *T-1*" in dm_texts(slack, ALICE)[-1]
    assert driver.click(ALICE, ACCEPT, channel=slack.dm_channel(ALICE)).status == 200
    tick()
    assert assignee(liaison, key) == ALICE and offers(liaison) == [(1, ALICE, "accepted")]
    with liaison.services.database.session() as session:
        assert session.scalar(select(Ticket.status)) == "open", "taken: no longer new"
    assert "You took it: it is assigned to you." in dm_texts(slack, ALICE)[-1]
    assert route(liaison, tick) == 0, "an assigned ticket is not routed again"
    counted_as_they_change(liaison)


def test_pass_and_silence_move_the_offer_on_round_robin(
    driver: SlackDriver, slack: SlackStandIn, liaison: Liaison, team: None, tick: Any
) -> None:
    open_ticket(liaison)
    route(liaison, tick)
    driver.click(ALICE, PASS, channel=slack.dm_channel(ALICE))
    tick()
    # Dave works around the clock; bob's day in Berlin ends at 17:00, before the first response is due at 19:00.
    assert offers(liaison) == [(1, ALICE, "passed"), (1, DAVE, "offered")]
    tick(minutes=5)  # dave does not answer
    assert offers(liaison) == [(1, ALICE, "passed"), (1, DAVE, "expired"), (1, BOB, "offered")]
    assert "No answer in time" in dm_texts(slack, DAVE)[-1]
    open_ticket(liaison)
    route(liaison, tick)
    # Alice and dave were offered a ticket at the same time, bob since: alice, by name among the two.
    assert (2, ALICE, "offered") in offers(liaison)
    counted_as_they_change(liaison)


def test_skills_caps_away_and_working_hours_decide_who_is_offered(
    driver: SlackDriver, slack: SlackStandIn, liaison: Liaison, team: None, tick: Any, clock: MovableClock
) -> None:
    driver.command(ALICE, "away")
    open_ticket(liaison, "Globex")  # billing: bob or dave; dave works round the clock, bob goes home at 17:00
    route(liaison, tick)
    assert offers(liaison) == [(1, DAVE, "offered")]
    driver.click(DAVE, ACCEPT, channel=slack.dm_channel(DAVE))  # dave is now at his cap of 1
    second = open_ticket(liaison, "Globex")
    route(liaison, tick)
    assert (2, BOB, "offered") in offers(liaison)
    driver.click(BOB, ACCEPT, channel=slack.dm_channel(BOB))
    tick(hours=2)  # 18:00 in Berlin: bob is off shift
    assert assignee(liaison, second) == BOB
    open_ticket(liaison, "Globex")  # dave at his cap, bob off shift, alice away and without billing
    route(liaison, tick)
    notices = [m["text"] for m in slack.messages(QUEUE) if "Nobody can take" in m["text"]]
    assert len(notices) == 1 and "billing" in notices[0]
    route(liaison, tick)
    assert len([m for m in slack.messages(QUEUE) if "Nobody can take" in m["text"]]) == 1, "said once"
    driver.command(ALICE, "back")
    acme = open_ticket(liaison, "Acme")
    route(liaison, tick)
    assert (4, ALICE, "offered") in offers(liaison)
    assert assignee(liaison, acme) is None
    counted_as_they_change(liaison)


def test_the_nearest_deadline_is_offered_first(
    driver: SlackDriver, slack: SlackStandIn, liaison: Liaison, team: None, tick: Any
) -> None:
    driver.command(BOB, "away")
    driver.command(DAVE, "away")
    normal = open_ticket(liaison, priority="P3")
    urgent = open_ticket(liaison, priority="P1")  # opened later, due first
    liaison.services.tickets.assign(Actor(ALICE, is_agent=True), open_ticket(liaison, "Initech"), ALICE)
    route(liaison, tick)  # alice has room for one more (her cap is 2): the ticket due first; the other waits
    assert offers(liaison) == [(2, ALICE, "offered"), (1, "", "nobody")]
    driver.click(ALICE, ACCEPT, channel=slack.dm_channel(ALICE))
    route(liaison, tick)
    assert assignee(liaison, urgent) == ALICE and assignee(liaison, normal) is None
    assert [m for m in slack.messages(QUEUE) if "Nobody can take *T-1*" in m["text"]], "the other waits, said once"
    counted_as_they_change(liaison)


def test_a_claim_withdraws_the_offer(
    driver: SlackDriver, slack: SlackStandIn, liaison: Liaison, team: None, tick: Any
) -> None:
    open_ticket(liaison)
    route(liaison, tick)
    driver.command(BOB, "claim T-1")
    tick()
    assert offers(liaison) == [(1, ALICE, "withdrawn")]
    assert "is no longer waiting: <@U0BOB0001> has it." in dm_texts(slack, ALICE)[-1]
    # The DM lost its buttons; an Accept that was already on its way changes nothing and says why.
    answer = liaison.services.routing.answer(ALICE, 1, accept=True)
    assert answer == "This offer of T-1 ended (withdrawn); <@U0BOB0001> has it now."
    assert assignee(liaison, "T-1") == BOB
    counted_as_they_change(liaison)
