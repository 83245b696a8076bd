"""Slack's pace: the outbox keeps to about a message a second per channel and to each method's tier, by itself."""

from __future__ import annotations

from datetime import timedelta

from app import Liaison
from bot import outbox
from bot.clock import MovableClock
from bot.db import Database
from bot.dispatcher import OutboxDispatcher
from bot.local.standin import SlackStandIn
from bot.slack_gates import SlackGates
from bot.slack_limits import CHANNEL_BURST, METHOD_TIERS, PER_MINUTE
from bot.tickets.service import Actor, TicketDraft
from tests.slack_fixtures import ALICE, GENERAL, QUEUE

STEP = timedelta(milliseconds=250)


def test_a_channel_takes_a_short_burst_then_a_message_a_second(clock: MovableClock) -> None:
    gates = SlackGates(clock)
    assert [gates.spend("chat.postMessage", GENERAL) for _ in range(CHANNEL_BURST + 1)] == [True] * CHANNEL_BURST + [
        False
    ]
    assert gates.spend("chat.postMessage", QUEUE)  # another channel has its own allowance
    clock.advance(timedelta(seconds=1))
    assert gates.spend("chat.postMessage", GENERAL) and not gates.spend("chat.postMessage", GENERAL)


def test_a_tiered_method_keeps_to_its_tier(clock: MovableClock) -> None:
    gates = SlackGates(clock)
    allowed = sum(gates.spend("chat.update") for _ in range(100))
    assert allowed == PER_MINUTE[METHOD_TIERS["chat.update"]] // 6
    clock.advance(timedelta(minutes=1))
    assert sum(gates.spend("chat.update") for _ in range(100)) == PER_MINUTE[3] // 6  # refilled, never beyond burst


def test_a_429_on_one_channel_holds_only_that_channel(clock: MovableClock) -> None:
    gates = SlackGates(clock)
    gates.rate_limited("chat.postMessage", 5, GENERAL)
    assert not gates.open_for("chat.postMessage", GENERAL)
    assert gates.open_for("chat.postMessage", QUEUE) and gates.open_for("chat.update")
    clock.advance(timedelta(seconds=5))
    assert gates.open_for("chat.postMessage", GENERAL)


def queue(database: Database, clock: MovableClock, channel: str, count: int, key: str) -> None:
    with database.session() as session:
        for n in range(count):
            outbox.enqueue(
                session,
                now=clock.now(),
                dedupe_key=f"{key}:{n}",
                method="chat.postMessage",
                payload={"channel": channel, "text": f"{key}:{n}"},
                ordering_key=f"{key}:{n % 3}",
            )


def paced(liaison: Liaison, slack: SlackStandIn) -> OutboxDispatcher:
    """Liaison's dispatcher keeping Slack's pace, against a stand-in that enforces it."""
    slack.pace = True
    dispatcher = liaison.services.dispatcher
    dispatcher.gates.pace = True
    return dispatcher


def drain_for(dispatchers: list[OutboxDispatcher], clock: MovableClock, seconds: int) -> None:
    for _ in range(int(seconds / STEP.total_seconds())):
        clock.advance(STEP)
        for dispatcher in dispatchers:
            dispatcher.drain()


def test_a_busy_channel_is_delivered_at_slacks_pace_without_a_429(
    liaison: Liaison, database: Database, slack: SlackStandIn, clock: MovableClock
) -> None:
    dispatcher = paced(liaison, slack)
    queue(database, clock, GENERAL, 20, "busy")
    queue(database, clock, QUEUE, 3, "quiet")

    dispatcher.drain()
    assert len(slack.messages(QUEUE)) == 3  # the quiet channel does not wait behind the busy one
    assert len(slack.messages(GENERAL)) == CHANNEL_BURST
    drain_for([dispatcher], clock, 10)
    assert len(slack.messages(GENERAL)) == CHANNEL_BURST + 10
    drain_for([dispatcher], clock, 10)
    assert sorted(m["text"] for m in slack.messages(GENERAL)) == sorted(f"busy:{n}" for n in range(20))
    assert [c for c in slack.calls() if c.status == 429] == []


def test_two_processes_over_the_pace_are_slowed_by_429s_and_lose_nothing(
    liaison: Liaison, database: Database, slack: SlackStandIn, clock: MovableClock
) -> None:
    slack.pace = True
    gateway = liaison.services.gateway
    render = liaison.services.dispatcher.render_card
    dispatchers = [OutboxDispatcher(database, gateway, clock, render_card=render, batch_size=2) for _ in range(2)]
    queue(database, clock, GENERAL, 30, "busy")

    drain_for(dispatchers, clock, 40)
    texts = [m["text"] for m in slack.messages(GENERAL)]
    assert sorted(texts) == sorted(f"busy:{n}" for n in range(30))
    assert any(c.status == 429 for c in slack.calls("chat.postMessage"))  # together they went too fast
    for key in range(3):  # each ordering key in order
        mine = [int(t.split(":")[1]) for t in texts if int(t.split(":")[1]) % 3 == key]
        assert mine == sorted(mine)


def test_a_channel_waiting_for_its_pace_does_not_hold_up_the_others(
    liaison: Liaison, database: Database, slack: SlackStandIn, clock: MovableClock
) -> None:
    dispatcher = OutboxDispatcher(
        database, liaison.services.gateway, clock, render_card=liaison.services.dispatcher.render_card, batch_size=10
    )
    with database.session() as session:
        for n in range(50):  # fifty tickets' messages for one channel, queued first
            payload = {"channel": GENERAL, "text": f"busy:{n}"}
            outbox.enqueue(
                session,
                now=clock.now(),
                dedupe_key=f"busy:{n}",
                method="chat.postMessage",
                payload=payload,
                ordering_key=f"busy:{n}",
            )
    queue(database, clock, QUEUE, 3, "quiet")

    dispatcher.drain()
    assert len(slack.messages(GENERAL)) == CHANNEL_BURST
    assert len(slack.messages(QUEUE)) == 3


def test_cards_waiting_for_the_queue_channels_pace_are_rendered_only_when_they_go(
    liaison: Liaison, database: Database, slack: SlackStandIn, clock: MovableClock
) -> None:
    dispatcher = paced(liaison, slack)
    rendered: list[int] = []
    render = dispatcher.render_card
    dispatcher.render_card = lambda session, ticket, now: rendered.append(ticket.id) or render(session, ticket, now)
    for n in range(12):  # a burst of new tickets: twelve cards for one queue channel
        liaison.services.tickets.open(
            Actor(ALICE, is_agent=True), TicketDraft(subject=f"Burst {n}", new_customer="Acme")
        )

    dispatcher.drain()
    assert len(slack.messages(QUEUE)) == CHANNEL_BURST  # the cards (their threads are replies, not history)
    assert len(rendered) == CHANNEL_BURST  # the cards that must wait were not rendered only to be handed back
    drain_for([dispatcher], clock, 20)
    assert len(slack.messages(QUEUE)) == 12 and sorted(rendered) == sorted(set(rendered))  # each rendered once
