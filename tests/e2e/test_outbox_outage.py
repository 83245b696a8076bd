"""A ten-minute Slack outage with 2,000 messages queued: after it, all arrive in order, the first within 3 s."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from app import Liaison
from bot import outbox
from bot.clock import MovableClock
from bot.db import Database
from bot.local.standin import SlackStandIn
from models import OutboxMessage
from tests.slack_fixtures import GENERAL, QUEUE

KEYS, PER_KEY = 20, 100
OUTAGE = timedelta(minutes=10)
STEP = timedelta(seconds=1)


def queue_backlog(database: Database, clock: MovableClock) -> None:
    with database.session() as session:
        for n in range(PER_KEY):
            for key in range(KEYS):
                outbox.enqueue(
                    session,
                    now=clock.now(),
                    dedupe_key=f"m:{key}:{n}",
                    method="chat.postMessage",
                    payload={"channel": (GENERAL, QUEUE)[key % 2], "text": f"{key}:{n}"},
                    ordering_key=f"ticket:{key}",
                )


def test_after_a_long_outage_the_backlog_drains_at_once_in_order(
    liaison: Liaison, database: Database, slack: SlackStandIn, clock: MovableClock
) -> None:
    dispatcher = liaison.services.dispatcher
    queue_backlog(database, clock)
    slack.outage(OUTAGE.total_seconds(), status=503)
    recovered_at = clock.now() + OUTAGE
    while clock.now() < recovered_at:
        assert dispatcher.drain().delivered == 0
        clock.advance(STEP)
    probes = len(slack.calls())
    # Probed every 1-2 s, the same for every message: no message sat out a long back-off of its own.
    assert OUTAGE.total_seconds() / 2 - 5 <= probes <= OUTAGE.total_seconds() + 5

    first_delivery = None
    while first_delivery is None and clock.now() < recovered_at + timedelta(seconds=10):
        if dispatcher.drain(max_rounds=1).delivered:
            first_delivery = clock.now()
        clock.advance(STEP)
    assert first_delivery is not None and first_delivery - recovered_at <= timedelta(seconds=3)
    for _ in range(PER_KEY + 5):
        dispatcher.drain()

    for key in range(KEYS):
        channel = (GENERAL, QUEUE)[key % 2]
        seen = [m["text"] for m in slack.messages(channel) if m["text"].startswith(f"{key}:")]
        assert seen == [f"{key}:{n}" for n in range(PER_KEY)], f"ticket {key} arrived out of order or incomplete"
    with database.session() as session:
        states = dict(session.execute(select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)).all())
    assert states == {"delivered": KEYS * PER_KEY}
