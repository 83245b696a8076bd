"""Three processes deliver 5,000 outbox rows while one of them is killed mid-call every second.

Every message reaches the stand-in exactly once, and the messages of each ordering key in id order: the stand-in
counts them by the dedupe key each carries in its metadata. The stand-in answers after a short delay, having already
posted, so most kills land between Slack acting and the process recording it.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot import outbox
from bot.db import Database
from bot.local.standin import SlackStandIn
from models import OutboxMessage

ROOT = Path(__file__).resolve().parents[2]
CHANNELS = ["C0KILL0001", "C0KILL0002", "C0KILL0003", "C0KILL0004", "C0KILL0005"]
KEYS, PER_KEY = 50, 100


@pytest.fixture
def standin() -> Iterator[SlackStandIn]:
    slack = SlackStandIn()
    for n, channel in enumerate(CHANNELS):
        slack.add_channel(channel, f"kill-{n}", members=[slack.bot_user_id])
    slack.latency = 0.01
    slack.start()
    yield slack
    slack.stop()


def start_worker(database: Database, slack: SlackStandIn) -> subprocess.Popen:
    env = os.environ | {
        "DATABASE_URL": database.url,
        "SLACK_API_URL": slack.api_url,
        "SLACK_BOT_TOKEN": slack.bot_token,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "tests.e2e.outbox_worker"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL
    )


def queue_rows(database: Database) -> None:
    now = datetime.now(UTC)
    with database.session() as session:
        for n in range(PER_KEY):
            for key in range(KEYS):
                outbox.enqueue(
                    session,
                    now=now,
                    dedupe_key=f"kill:{key}:{n}",
                    method="chat.postMessage",
                    payload={"channel": CHANNELS[key % len(CHANNELS)], "text": f"{key}:{n}"},
                    ordering_key=f"ticket:{key}",
                )


def pending(database: Database) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).where(OutboxMessage.state != "delivered"))


def test_every_row_reaches_slack_once_in_order_though_a_process_is_killed_every_second(
    database: Database, standin: SlackStandIn
) -> None:
    queue_rows(database)
    workers = [start_worker(database, standin) for _ in range(3)]
    rng, kills = random.Random(7), 0
    killing_until = time.monotonic() + 180
    try:
        while pending(database) and time.monotonic() < killing_until:
            time.sleep(1)
            victim = rng.randrange(len(workers))
            workers[victim].send_signal(signal.SIGKILL)
            workers[victim].wait()
            workers[victim] = start_worker(database, standin)
            kills += 1
        # On a loaded machine the kills may outlast the work (a worker takes a second or more to start, and the
        # rows a killed one held wait for its lease to end); then the survivors finish what is left. Alone on 2
        # cores the kills end with about a fifth of the rows left, which take some 40 s.
        finishing_until = time.monotonic() + 300
        while pending(database) and time.monotonic() < finishing_until:
            time.sleep(0.5)
    finally:
        for worker in workers:
            worker.kill()
            worker.wait()

    assert pending(database) == 0, f"{pending(database)} rows still undelivered after {kills} kills"
    assert kills >= 20
    keys: list[str] = []
    for channel in CHANNELS:
        for message in standin.messages(channel):
            keys.append(message["metadata"]["event_payload"]["dedupe_key"])
    counts = Counter(keys)
    assert sorted(counts) == sorted(f"kill:{k}:{n}" for k in range(KEYS) for n in range(PER_KEY))
    assert [key for key, seen in counts.items() if seen > 1] == []
    for key in range(KEYS):
        channel = CHANNELS[key % len(CHANNELS)]
        order = [int(m["text"].split(":")[1]) for m in standin.messages(channel) if m["text"].startswith(f"{key}:")]
        assert order == list(range(PER_KEY)), f"ticket {key} out of order"
    # Some kills landed after Slack had posted and before the outcome was recorded; those rows were looked up.
    assert standin.calls("conversations.history")
