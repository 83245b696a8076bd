"""Digests end to end: a policy-file digest posted on time with its chart uploaded through Slack's upload flow, the
text standing alone when the upload fails, and `/ticket stats` / `/ticket digest …` over signed slash commands."""

from __future__ import annotations

import time
import tomllib
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from app import Liaison
from bot.clock import MovableClock
from bot.config import LiaisonConfig
from bot.local.driver import SlackDriver
from bot.local.standin import SlackStandIn
from bot.tickets.service import Actor, TicketDraft
from models import DigestSubscription, OutboxMessage
from tests.e2e.helpers import block_texts
from tests.slack_fixtures import AGENTS, ALICE, BOB, CAROL, QUEUE

LEADS = "C0LEADS01"
# Monday 30 Nov 2026, 06:30 UTC: 07:30 in Paris, an hour and a half before the leads' daily digest (08:00 UTC).
START = datetime(2026, 11, 30, 6, 30, tzinfo=UTC)
PNG = b"\x89PNG\r\n\x1a\n"


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
[[sla.policies]]
name = "premium"
match = {{ tiers = ["premium"] }}
[sla.policies.targets.P1]
first_response = {{ duration = "1h" }}
resolution = {{ duration = "8h" }}
[[sla.policies]]
name = "standard"
[sla.policies.targets.P3]
first_response = {{ duration = "8h" }}
[digests]
timezone = "Europe/Paris"
[[digests.subscriptions]]
name = "leads"
channel = "{LEADS}"
every = "daily 09:00"
""")
    )


@pytest.fixture
def leads(slack: SlackStandIn) -> str:
    slack.add_channel(LEADS, "support-leads", members=[ALICE, BOB, slack.bot_user_id])
    return LEADS


def open_ticket(liaison: Liaison, subject: str, tier: str, priority: str) -> str:
    draft = TicketDraft(subject, priority, new_customer=f"{subject.split()[0]}", new_customer_tier=tier)
    return liaison.services.tickets.open(Actor(ALICE, is_agent=True), draft).ticket.key


def digest_time(liaison: Liaison, tick: Any, **delta: float) -> int:
    """Move on, let the digest job look, and deliver what it queued."""
    tick(**delta)
    queued = liaison.services.digests.run()
    tick()
    return queued


def everything(message: dict[str, Any]) -> str:
    return message.get("text", "") + "\n" + block_texts(message.get("blocks") or [])


def test_the_leads_get_their_digest_on_time_with_its_chart(
    liaison: Liaison, slack: SlackStandIn, leads: str, tick: Any
) -> None:
    assert liaison.services.digests.run() == 0
    breached = open_ticket(liaison, "Acme checkout <fails> & @here", "premium", "P1")
    open_ticket(liaison, "Initech printer", "standard", "P3")
    tick(hours=1, minutes=1)  # Acme's first response breaches at 07:30 UTC
    assert digest_time(liaison, tick, minutes=30) == 1, "09:01 in Paris"
    digest, chart = slack.messages(leads)
    text = everything(digest)
    assert "Support digest · daily at 09:00 (Europe/Paris)" in text
    assert "*2* opened · *0* solved · *0* reopened · *1* SLA breach" in text
    assert "First response: *0%* (0 met, 1 breached)" in text
    # The ticket links to its card; the customer's text is shown, never parsed: no link, no @here.
    card_ts = liaison.services.tickets.show(Actor(ALICE, is_agent=True), breached).ticket.card_ts
    assert f"/archives/{QUEUE}/p{card_ts.replace('.', '')}|*{breached}*>" in text
    assert "Acme checkout &lt;fails&gt; &amp; @here" in text and "<!here>" not in text
    assert "first response breached 31m ago, open 1h 31m, unassigned" in text
    [image] = chart["files"]
    assert image["name"] == "sla-1.png" and image["title"].startswith("SLA breaches and achievement, 14 days")
    assert slack.file_content(image["id"]).startswith(PNG)
    assert digest_time(liaison, tick, hours=1) == 0 and len(slack.messages(leads)) == 2, "once per period"


def test_the_digest_stands_alone_when_the_chart_cannot_be_uploaded(
    liaison: Liaison, slack: SlackStandIn, leads: str, tick: Any
) -> None:
    liaison.services.digests.run()
    slack.fail("files.completeUploadExternal", error="channel_not_found")
    assert digest_time(liaison, tick, hours=2) == 1
    [digest] = slack.messages(leads)
    assert "All clear" in everything(digest)
    with liaison.services.database.session() as session:
        chart = session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == "digest:1:chart"))
        assert chart.state == "parked" and "channel_not_found" in (chart.last_error or "")


def test_a_slack_outage_delays_the_chart_and_loses_nothing(
    liaison: Liaison, slack: SlackStandIn, leads: str, tick: Any
) -> None:
    liaison.services.digests.run()
    slack.fail("files.getUploadURLExternal", status=503, times=2)
    assert digest_time(liaison, tick, hours=2) == 1
    assert len(slack.messages(leads)) == 1, "the text went out; the chart waits"
    for _ in range(3):
        tick(seconds=40)
    digest, chart = slack.messages(leads)
    assert chart["files"][0]["name"] == "sla-1.png"


def ephemeral(slack: SlackStandIn, user: str, count: int) -> dict[str, Any]:
    """The count-th answer a person got through a response_url (the figures come after the command's ack)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        posts = [p for p in slack.response_posts() if p["status"] == 200]
        if len(posts) >= count:
            return posts[count - 1]["body"]
        time.sleep(0.02)
    raise AssertionError(f"no answer #{count} for {user}")


def test_stats_and_digest_commands_answer_whoever_asks(
    driver: SlackDriver, liaison: Liaison, slack: SlackStandIn, leads: str, tick: Any
) -> None:
    open_ticket(liaison, "Acme checkout", "premium", "P1")
    tick(hours=2)
    assert driver.command(CAROL, "stats today tier:premium").status == 200
    stats = everything(ephemeral(slack, CAROL, 1))
    assert "SLA figures · today" in stats and "tier:premium" in stats and "*1* SLA breach" in stats
    assert driver.command(CAROL, "stats tomorrow").status == 200
    assert "today" in ephemeral(slack, CAROL, 2)["text"]  # the accepted forms
    driver.command(ALICE, "digest subscribe #support-leads weekly mon 08:30 priority:P1 agent:@bob")
    assert "gets the SLA digest weekly on Monday at 08:30 (Europe/Paris)" in ephemeral(slack, ALICE, 3)["text"]
    driver.command(CAROL, "digest subscribe #support-leads daily 09:00")
    assert "Only support agents" in ephemeral(slack, CAROL, 4)["text"]
    driver.command(ALICE, "digest list")
    listed = ephemeral(slack, ALICE, 5)["text"]
    assert f"<#{leads}> daily at 09:00 (Europe/Paris) · from the policy file" in listed
    assert "weekly on Monday at 08:30 (Europe/Paris) · `priority:P1 agent:U0BOB0001`" in listed
    driver.command(ALICE, "digest unsubscribe #support-leads")
    assert "no longer gets 1 digest" in ephemeral(slack, ALICE, 6)["text"]
    with liaison.services.database.session() as session:
        assert session.scalar(select(DigestSubscription.active).where(DigestSubscription.name.is_(None))) is False


def test_a_preview_shows_the_digest_so_far_and_sends_its_chart_by_dm(
    driver: SlackDriver, liaison: Liaison, slack: SlackStandIn, leads: str, tick: Any
) -> None:
    open_ticket(liaison, "Acme checkout", "premium", "P1")
    tick(hours=1, minutes=1)  # before the 08:00 UTC digest: the preview covers the day since yesterday's
    driver.command(ALICE, "digest preview", channel_id=leads)
    preview = everything(ephemeral(slack, ALICE, 1))
    assert "Digest preview · daily at 09:00 (Europe/Paris)" in preview and "*1* SLA breach" in preview
    tick()
    [chart] = [m for m in slack.messages(slack.dm_channel(ALICE)) if m.get("files")]
    assert slack.file_content(chart["files"][0]["id"]).startswith(PNG)
