"""Storms of SLA alerts: many for one channel or person in one sweep batch fold into one summary."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime, timedelta

import pytest
from slack_sdk.models.blocks import Block
from sqlalchemy import select, update

from bot.clock import MovableClock
from bot.config import LiaisonConfig
from bot.db import Database
from bot.messages.sla import (
    STORM_BREACH,
    STORM_LISTED,
    STORM_TEXT,
    STORM_WARNING,
    StormItem,
    breach_blocks,
    storm_message,
)
from bot.sla.sweep import FOLD_AT, SlaTimers
from bot.tickets.service import Actor, TicketDraft, TicketService
from bot.timers import TimerRegistry, TimerSweep
from models import Customer, OutboxMessage, SlaClock, Ticket, Timer

AGENT = Actor("U0AGENT01", is_agent=True)
ALERTS = "C0ALERTS1"
POLICIES = f"""
[tickets]
queue_channel = "C0QUEUE01"
[[sla.policies]]
name = "premium"
match = {{ tiers = ["premium"] }}
[sla.policies.targets.P1]
first_response = {{ duration = "30m", alert_channel = "{ALERTS}", repeat_every = "15m" }}
[sla.policies.targets.P2]
first_response = {{ duration = "30m", alert_channel = "{ALERTS}", repeat_every = "15m" }}
"""
START = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(START)


@pytest.fixture
def tickets(database: Database, clock: MovableClock) -> TicketService:
    return TicketService(database, clock, LiaisonConfig.from_dict(tomllib.loads(POLICIES)))


def sweep(database: Database, clock: MovableClock, tickets: TicketService) -> TimerSweep:
    registry = TimerRegistry()
    SlaTimers(tickets).register(registry)
    return TimerSweep(database, clock, registry)


def open_tickets(tickets: TicketService, count: int, clock: MovableClock) -> None:
    for n in range(count):
        subject = f"Checkout <down> & out {n}"
        priority = "P1" if n % 2 else "P2"
        draft = TicketDraft(subject=subject, priority=priority, new_customer="Acme", new_customer_tier="premium")
        tickets.open(AGENT, draft)
        clock.advance(timedelta(seconds=1))


def sent_to(database: Database, channel: str) -> list[dict]:
    with database.session() as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        return [r.payload for r in rows if r.payload.get("channel") == channel]


def thread_lines(database: Database, word: str) -> list[dict]:
    with database.session() as session:
        rows = session.scalars(select(OutboxMessage).where(OutboxMessage.role == "card_thread"))
        return [r.payload for r in rows if word in r.payload.get("text", "")]


def test_many_breaches_for_one_channel_post_one_summary_and_a_thread_line_each(
    database: Database, clock: MovableClock, tickets: TicketService
) -> None:
    open_tickets(tickets, 5, clock)
    clock.advance(timedelta(minutes=31))
    sweep(database, clock, tickets).run()
    (summary,) = sent_to(database, ALERTS)
    assert "*5 SLA breaches*" in summary["text"]
    # Most urgent first: the P1 tickets (T-2, T-4) before the P2 ones, each group oldest breach first.
    keys = [block["block_id"] for block in summary["blocks"] if block.get("block_id", "").startswith("storm:")]
    assert len(keys) == 5
    order = [summary["text"].index(f"*T-{n}*") for n in (2, 4, 1, 3, 5)]
    assert order == sorted(order)
    assert "&lt;down&gt; &amp; out" in summary["text"] and "<down>" not in summary["text"]
    assert all(b["accessory"]["action_id"] == "sla_snooze_2h" for b in summary["blocks"] if "accessory" in b)
    lines = thread_lines(database, "* breached")
    assert len(lines) == 5
    # Folded: each ticket's own line carries every Snooze choice the single alert would have had.
    assert all(len(line["blocks"][-1]["elements"]) == 3 for line in lines)


def test_fewer_breaches_than_the_threshold_post_one_alert_each(
    database: Database, clock: MovableClock, tickets: TicketService
) -> None:
    open_tickets(tickets, FOLD_AT - 1, clock)
    clock.advance(timedelta(minutes=31))
    sweep(database, clock, tickets).run()
    alerts = sent_to(database, ALERTS)
    assert len(alerts) == FOLD_AT - 1
    assert all("SLA breaches" not in a["text"] and a["blocks"][-1]["type"] == "actions" for a in alerts)
    assert all("blocks" not in line for line in thread_lines(database, "* breached"))


def test_a_batch_fired_again_queues_its_summary_once(
    database: Database, clock: MovableClock, tickets: TicketService
) -> None:
    open_tickets(tickets, 4, clock)
    clock.advance(timedelta(minutes=31))
    timers = sweep(database, clock, tickets)
    timers.run()
    with database.session() as session:
        fired = list(session.scalars(select(Timer.id).where(Timer.kind == "sla_breach", Timer.state == "fired")))
        # As if the batch's commit were lost after its messages were queued: the same timers fire again.
        session.execute(update(Timer).where(Timer.id.in_(fired)).values(state="pending", fired_at=None))
        clocks = session.scalars(select(SlaClock)).all()
        for row in clocks:  # and their clocks as they were, so the breach is announced again
            row.state, row.version = "running", row.version - 1
    timers.run()
    assert len(sent_to(database, ALERTS)) == 1
    assert len(thread_lines(database, "* breached")) == 4


def items(count: int) -> list[StormItem]:
    customer = Customer(id=1, name="Acme <corp>", tier="premium", created_at=START)
    out = []
    for n in range(1, count + 1):
        ticket = Ticket(id=n, subject="x" * 400, priority=f"P{1 + n % 3}", customer=customer)
        row = SlaClock(
            id=n,
            metric="first_response",
            policy="premium",
            state="breached",
            breached_at=START - timedelta(minutes=n),
            deadline_at=START - timedelta(minutes=n),
        )
        out.append(StormItem(ticket, row, None))
    return out


@pytest.mark.parametrize("kind", [STORM_BREACH, STORM_WARNING])
def test_a_huge_storm_is_cut_to_slacks_limits_and_says_how_many_more(kind: str) -> None:
    text, blocks = storm_message(items(300), kind, START, direct=False)
    assert len(blocks) <= 50 and len(text) <= STORM_TEXT
    assert text.rstrip().split("\n")[-1].startswith("… and ")
    assert f"… and {300 - STORM_LISTED} more" in blocks[-1]["elements"][0]["text"]
    for block in blocks:
        Block.parse(block).validate_json()  # raises on anything over Slack's limits


def test_the_summary_ranks_by_priority_then_the_oldest_breach() -> None:
    _, blocks = storm_message(items(6), STORM_BREACH, START, direct=True)
    ranked = [int(b["block_id"].split(":")[1]) for b in blocks if b.get("block_id", "").startswith("storm:")]
    assert ranked == [6, 3, 4, 1, 5, 2]  # P1: 6 then 3 (older breach first); P2: 4, 1; P3: 5, 2


def test_the_plain_breach_blocks_are_within_slacks_limits() -> None:
    blocks = breach_blocks("y" * 5000, "z" * 5000, 123456789012)
    for block in blocks:
        Block.parse(block).validate_json()
    assert blocks[-1]["elements"][1]["value"] == "123456789012:2h"
