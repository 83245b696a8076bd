"""Incidents end to end through signed requests and the stand-in: declare (channel with a unique name, announcement,
pinned summary, topic), roles with hand-over and refusal, the automatic customer liaison with and without an
acknowledgement, linking with live counts, updates to linked tickets, resolve, status and the timeline."""

from __future__ import annotations

import json
import threading
import tomllib
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.clock import MovableClock
from bot.config import LiaisonConfig
from bot.db import Database
from bot.incidents.queries import render_summary
from bot.local.driver import SlackDriver
from bot.local.standin import SlackStandIn
from bot.messages.paging import ACKNOWLEDGE
from models import IncidentRole
from tests.e2e.helpers import block_texts, card, open_ticket, thread
from tests.slack_fixtures import AGENTS, ALICE, BOB, CAROL, QUEUE

INCIDENTS, DAVE = "C0INCIDNT1", "U0DAVE001"
POLICY_FILE = f"""
[tickets]
queue_channel = "{QUEUE}"
[agents]
usergroup = "{AGENTS}"
[oncall.schedules.support]
timezone = "America/New_York"
[[oncall.schedules.support.layers]]
users = ["{BOB}"]
rotation = "weekly"
start = "2026-11-30T09:00"
[oncall.policies.support]
levels = [{{ targets = ["support"], timeout = "10m" }}, {{ targets = ["{DAVE}"], timeout = "10m" }}]
[incidents]
channel = "{INCIDENTS}"
major = "SEV2"
bridge = "https://meet.example.com/inc-{{number}}"
liaison_schedule = "support"
liaison_policy = "support"
resolve_status = "pending"
[incidents.roles]
scribe = "Keep the timeline: post what happened with /incident update."
"""


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(datetime(2026, 12, 1, 15, 0, tzinfo=UTC))


@pytest.fixture
def config() -> LiaisonConfig:
    return LiaisonConfig.from_dict(tomllib.loads(POLICY_FILE))


@pytest.fixture(autouse=True)
def workspace(slack: SlackStandIn) -> None:
    slack.add_user(DAVE, "dave", real_name="Dave Manager")
    slack.add_channel(INCIDENTS, "incidents", members=[ALICE, BOB, slack.bot_user_id])


def incident(driver: SlackDriver, user: str, text: str, channel: str | None = None) -> str:
    response = driver.command(user, text, command="/incident", channel_id=channel)
    assert response.status == 200
    return response.json()["text"] if response.body else ""


def declare(driver: SlackDriver, tick, title: str = "Checkout down", severity: str = "SEV3") -> None:  # noqa: ANN001
    incident(driver, ALICE, f"declare {title}")
    response = driver.submit_view(ALICE, {"severity": {"value": severity}})
    assert response.status == 200 and not response.body, response.text
    tick(seconds=0)


def channel_of(slack: SlackStandIn, name: str) -> str:
    return slack.channel_id_by_name(name)


def test_declare_creates_a_channel_announces_pins_a_summary_and_sets_the_topic(
    driver: SlackDriver, slack: SlackStandIn, tick
) -> None:
    declare(driver, tick, "Checkout down for EU")
    channel = channel_of(slack, "inc-1-checkout-down-for-eu")
    (announcement,) = slack.messages(INCIDENTS)
    assert (
        f"*INC-1* declared (SEV3): Checkout down for EU · commander <@U0ALICE01> · <#{channel}>" in announcement["text"]
    )
    (pinned,) = slack.pins(channel)
    summary = block_texts(pinned["blocks"])
    assert "INC-1 · SEV3 · Checkout down for EU" in summary and "*Roles*: Commander <@U0ALICE01>" in summary
    assert "<https://meet.example.com/inc-1|join the call>" in summary and "No tickets linked yet." in summary
    assert slack.channel(channel)["topic"]["value"].startswith("SEV3 · investigating · Commander <@U0ALICE01>")
    invites = [c.args for c in slack.calls("conversations.invite") if (c.response or {}).get("ok")]
    assert invites == [{"channel": channel, "users": ALICE}], "the commander is invited into the channel"
    dms = [m["text"] for m in slack.messages(slack.dm_channel(ALICE))]
    assert any("You are *commander* of *INC-1*" in t for t in dms)


def test_channel_names_stay_unique_when_taken_or_archived(driver: SlackDriver, slack: SlackStandIn, tick) -> None:
    slack.add_channel("C0OLDINC01", "inc-1-checkout-down", members=[])
    slack.archive_channel("C0OLDINC01")
    slack.add_channel("C0OLDINC02", "inc-1-checkout-down-2", members=[])
    declare(driver, tick)
    assert channel_of(slack, "inc-1-checkout-down-3")


def test_roles_hand_over_and_only_the_commander_assigns(
    driver: SlackDriver, slack: SlackStandIn, tick, database: Database
) -> None:
    declare(driver, tick)
    refused = incident(driver, BOB, "role INC-1 scribe <@U0BOB0001>")
    assert refused.startswith("Only the commander of INC-1 (<@U0ALICE01>)")
    assert incident(driver, ALICE, "role INC-1 scribe <@U0BOB0001>") == "<@U0BOB0001> is now scribe of INC-1."
    assert incident(driver, ALICE, "role INC-1 scribe <@U0CAROL01>") == "<@U0CAROL01> is now scribe of INC-1."
    tick(seconds=0)
    channel = channel_of(slack, "inc-1-checkout-down")
    lines = [m["text"] for m in slack.messages(channel)]
    assert any("<@U0CAROL01> is *scribe* of INC-1, taking over from <@U0BOB0001>" in t for t in lines)
    assert "Scribe <@U0CAROL01>" in block_texts(slack.pins(channel)[0]["blocks"])
    assert "Scribe <@U0BOB0001>" not in slack.channel(channel)["topic"]["value"]
    with database.session() as session:
        history = session.execute(
            select(IncidentRole.user_id, IncidentRole.ended_at.is_not(None)).where(IncidentRole.role == "scribe")
        ).all()
    assert [tuple(row) for row in history] == [(BOB, True), (CAROL, False)]
    assert "Keep the timeline" in slack.messages(slack.dm_channel(CAROL))[-1]["text"]
    assert "`boss` is not a role" in incident(driver, ALICE, "role INC-1 boss <@U0BOB0001>")
    # The summary's button: the same through a form, refused inline for someone who may not.
    driver.click(BOB, "incident_assign_role", channel=channel)
    refused = driver.submit_view(BOB, {"role": {"value": "scribe"}, "person": {"value": BOB}})
    assert "Only the commander of INC-1" in refused.json()["errors"]["role"]
    driver.close_view(BOB)
    driver.click(ALICE, "incident_assign_role", channel=channel)
    assert driver.submit_view(ALICE, {"role": {"value": "scribe"}, "person": {"value": BOB}}).status == 200
    tick(seconds=0)
    assert "Scribe <@U0BOB0001>" in block_texts(slack.pins(channel)[0]["blocks"])


def test_a_major_incident_pages_the_on_call_as_customer_liaison(driver: SlackDriver, slack: SlackStandIn, tick) -> None:
    declare(driver, tick, severity="SEV2")
    channel = channel_of(slack, "inc-1-checkout-down")
    assert "Customer liaison <@U0BOB0001>" in block_texts(slack.pins(channel)[0]["blocks"])
    pages = [m for m in slack.messages(slack.dm_channel(BOB)) if m["text"].startswith("Page PG-1")]
    assert len(pages) == 1 and "You are customer liaison of INC-1" in block_texts(pages[0]["blocks"])
    tick(minutes=10)  # no acknowledgement: the support policy goes on to Dave, who takes the role by acknowledging
    driver.click(DAVE, ACKNOWLEDGE, channel=slack.dm_channel(DAVE))
    tick(seconds=0)
    assert "Customer liaison <@U0DAVE001>" in block_texts(slack.pins(channel)[0]["blocks"])


def test_a_named_liaison_is_kept_when_severity_rises(driver: SlackDriver, slack: SlackStandIn, tick) -> None:
    declare(driver, tick)
    incident(driver, ALICE, "role INC-1 customer-liaison <@U0CAROL01>")
    assert incident(driver, ALICE, "severity INC-1 SEV1") == "INC-1 is now SEV1."
    tick(seconds=0)
    channel = channel_of(slack, "inc-1-checkout-down")
    assert any("INC-1 severity SEV3 → *SEV1* (<@U0ALICE01>)" in m["text"] for m in slack.messages(channel))
    assert slack.channel(channel)["topic"]["value"].startswith("SEV1 · investigating")
    assert [m for m in slack.messages(slack.dm_channel(BOB)) if m["text"].startswith("Page")] == []
    channel = channel_of(slack, "inc-1-checkout-down")
    assert "Customer liaison <@U0CAROL01>" in block_texts(slack.pins(channel)[0]["blocks"])


def test_linked_tickets_are_counted_updated_and_resolved_together(
    driver: SlackDriver, slack: SlackStandIn, tick
) -> None:
    for n in range(3):
        open_ticket(driver, ALICE, f"Checkout fails {n}", customer="Acme" if n < 2 else "Globex", priority="P1")
    driver.command(ALICE, "assign T-1 <@U0BOB0001>")
    driver.command(ALICE, "assign T-2 <@U0BOB0001>")
    declare(driver, tick)
    channel = channel_of(slack, "inc-1-checkout-down")
    assert incident(driver, ALICE, "link T-1 T-2", channel=channel) == "Linked T-1, T-2 to INC-1."
    assert "Linked T-3 to INC-1." in driver.command(ALICE, "link T-3 INC-1").json()["text"]
    assert incident(driver, ALICE, "link INC-1 T-3") == "Already linked to INC-1; nothing changed."
    assert incident(driver, ALICE, "unlink INC-1 T-3") == "T-3 is no longer linked to INC-1."
    assert incident(driver, ALICE, "unlink INC-1 T-3") == "T-3 is not linked to INC-1."
    assert incident(driver, ALICE, "link INC-1 T-3") == "Linked T-3 to INC-1."
    tick(seconds=0)
    summary = block_texts(slack.pins(channel)[0]["blocks"])
    assert "*3* linked ticket(s) from *2* customer(s) · by tier: 3 standard · by priority: 3 P1" in summary
    assert "*Incident*: INC-1 (SEV3, investigating) Checkout down" in block_texts(card(slack, "T-2")["blocks"])
    driver.command(ALICE, "stakeholder T-3 <@U0CAROL01>")
    incident(driver, ALICE, "update Payments <b>back</b> & retried", channel=channel)
    tick(seconds=0)
    to_carol = [m["text"] for m in slack.messages(slack.dm_channel(CAROL)) if "INC-1 update" in m["text"]]
    assert len(to_carol) == 1, "a stakeholder of a linked ticket hears the update once"
    assert any(
        "INC-1 update* from <@U0ALICE01>: Payments &lt;b&gt;back&lt;/b&gt; &amp; retried" in t
        for t in thread(slack, "T-3")
    )
    assert incident(driver, ALICE, "resolve", channel=channel) == "INC-1 is resolved; 3 linked ticket(s) updated."
    tick(seconds=0)
    to_bob = [m["text"] for m in slack.messages(slack.dm_channel(BOB)) if "is resolved" in m["text"]]
    assert len(to_bob) == 1 and "T-1" in to_bob[0] and "T-2" in to_bob[0] and "T-3" not in to_bob[0]
    assert "Pending" in card(slack, "T-1")["text"]
    assert any("INC-1* is resolved" in t for t in thread(slack, "T-1"))
    assert len([m for m in slack.messages(INCIDENTS) if "resolved" in m["text"]]) == 1
    assert "INC-1 is resolved." in incident(driver, ALICE, "update INC-1 too late")


def test_status_lists_open_incidents_most_severe_first_and_the_timeline_exports(
    driver: SlackDriver, slack: SlackStandIn, tick
) -> None:
    declare(driver, tick, "Search slow", severity="SEV3")
    declare(driver, tick, "Login broken", severity="SEV1")
    listed = incident(driver, ALICE, "status")
    assert listed.index("INC-2") < listed.index("INC-1") and "Commander <@U0ALICE01>" in listed
    incident(driver, ALICE, "status INC-1 identified")
    timeline = incident(driver, ALICE, "timeline INC-1")
    assert "# INC-1: Search slow" in timeline and "status investigating → identified" in timeline
    assert "declared (SEV3) by <@U0ALICE01>" in timeline


def test_bad_incident_requests_get_a_clear_answer(driver: SlackDriver, slack: SlackStandIn, tick) -> None:
    assert "There is no incident INC-9" in incident(driver, ALICE, "update INC-9 hello")
    assert "Which incident?" in incident(driver, ALICE, "update hello")
    assert "`/incident declare [title]`" in incident(driver, ALICE, "")
    assert "I don't know `/incident frobnicate`" in incident(driver, ALICE, "frobnicate")
    assert "Only support agents can declare" in incident(driver, CAROL, "declare Outage")
    declare(driver, tick)
    assert "`SEV9` is not a severity" in incident(driver, ALICE, "severity INC-1 SEV9")


def test_counts_stay_right_when_agents_link_at_the_same_moment(driver: SlackDriver, slack: SlackStandIn, tick) -> None:
    for n in range(8):
        open_ticket(driver, ALICE, f"Checkout fails {n}", customer=f"Customer {n % 4}")
    declare(driver, tick)
    start = threading.Barrier(8)

    def link(n: int) -> str:
        start.wait()  # eight signed requests leave together
        return incident(driver, ALICE if n % 2 else BOB, f"link INC-1 T-{n + 1} T-1")

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(link, range(8)))
    assert all(a.startswith("Linked") or "Already linked" in a for a in answers)
    tick(seconds=0)
    channel = channel_of(slack, "inc-1-checkout-down")
    summary = block_texts(slack.pins(channel)[0]["blocks"])
    assert "*8* linked ticket(s) from *4* customer(s)" in summary


def test_the_summary_stays_within_slack_limits_with_500_linked_tickets(liaison, database: Database) -> None:  # noqa: ANN001
    from bot.tickets.service import TicketDraft

    alice = liaison.services.actor(ALICE)
    for n in range(500):
        liaison.services.tickets.open(
            alice, TicketDraft(subject=f"Checkout fails {n} " + "x" * 200, new_customer=f"C{n}")
        )
    declared = liaison.services.incidents.declare(alice, "Everything down " + "y" * 200, "SEV3")
    liaison.services.incidents.link(alice, declared.key, [f"T-{n}" for n in range(1, 501)])
    with database.session() as session:
        rendered = render_summary(session, declared.id, liaison.services.clock.now())
    assert len(json.dumps(rendered["blocks"])) < 12_000 and len(rendered["blocks"]) <= 50
    assert "*500* linked ticket(s) from *500* customer(s)" in block_texts(rendered["blocks"])
    assert "… and 490 more" in block_texts(rendered["blocks"])


def test_link_from_the_card_and_declare_from_a_ticket(driver: SlackDriver, slack: SlackStandIn, tick) -> None:
    open_ticket(driver, ALICE, "Checkout down")
    tick(seconds=0)
    driver.click(ALICE, "ticket_link_incident", channel=QUEUE)
    assert "No incident is open" in slack.response_posts()[-1]["body"]["text"]
    assert driver.command(ALICE, "incident T-1").status == 200
    (form,) = slack.view_stack(ALICE)
    assert form["callback_id"] == "incident_declare"
    assert driver.submit_view(ALICE, {"severity": {"value": "SEV3"}}).status == 200
    open_ticket(driver, ALICE, "Checkout still down")
    tick(seconds=0)
    assert "*Incident*: INC-1 (SEV3, investigating) Checkout down" in block_texts(card(slack, "T-1")["blocks"])
    driver.click(ALICE, "ticket_link_incident", channel=QUEUE, message_ts=card(slack, "T-2")["ts"])
    assert driver.submit_view(ALICE, {"incident": {"value": "INC-1"}}).status == 200
    tick(seconds=0)
    assert "*Incident*: INC-1" in block_texts(card(slack, "T-2")["blocks"])


def test_a_stakeholder_hears_updates_changes_and_the_resolution(driver: SlackDriver, slack: SlackStandIn, tick) -> None:
    declare(driver, tick)
    assert incident(driver, ALICE, "stakeholder INC-1 <@U0DAVE001>") == "<@U0DAVE001> is kept informed of INC-1."
    assert "already is a stakeholder" in incident(driver, ALICE, "stakeholder INC-1 <@U0DAVE001>")
    incident(driver, ALICE, "status INC-1 identified")
    incident(driver, ALICE, "update INC-1 Rolling back the deploy")
    incident(driver, ALICE, "resolve INC-1")
    tick(seconds=0)
    texts = [m["text"] for m in slack.messages(slack.dm_channel(DAVE))]
    assert len(texts) == 4, texts
    assert "added you as a stakeholder of *INC-1*" in texts[0]
    assert "status investigating → *identified*" in texts[1]
    assert "Rolling back the deploy" in texts[2] and "resolved by <@U0ALICE01>" in texts[3]
    assert "Name the person" in incident(driver, ALICE, "stakeholder INC-1 dave")


def test_a_burst_of_changes_costs_one_summary_update(driver: SlackDriver, slack: SlackStandIn, tick) -> None:
    for n in range(5):
        open_ticket(driver, ALICE, f"Checkout fails {n}", customer=f"Customer {n}")
    declare(driver, tick)
    channel = channel_of(slack, "inc-1-checkout-down")
    before = len([c for c in slack.calls("chat.update") if c.args.get("channel") == channel])
    for n in range(1, 6):
        assert incident(driver, ALICE, f"link INC-1 T-{n}") == f"Linked T-{n} to INC-1."
    tick(seconds=0)
    updates = [c for c in slack.calls("chat.update") if c.args.get("channel") == channel]
    assert len(updates) - before == 1, "one waiting update shows every change made while it waited"
    assert "*5* linked ticket(s) from *5* customer(s)" in block_texts(slack.pins(channel)[0]["blocks"])
