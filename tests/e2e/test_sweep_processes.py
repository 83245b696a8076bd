"""Several app processes sweep one database (SQLite or PostgreSQL): 5,000 due reminders, one process killed
mid-run, every reminder delivered exactly once. Timers are claimed by lease, so this holds on SQLite too."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select

from bot.db import Database
from bot.local.standin import SlackStandIn
from bot.local.workspace import QUEUE, seed
from models import Customer, OutboxMessage, SlaClock, Ticket, Timer

ROOT = Path(__file__).resolve().parents[2]
TIMERS = 5000
AGENTS = ["U0ALICE01", "U0BOB0001", "U0DAVE001"]


def seed_due_warnings(database: Database, card_ts: str) -> None:
    now = datetime.now(UTC)
    past = now - timedelta(minutes=1)
    with database.session() as session:
        session.add(Customer(id=1, name="Acme", tier="premium", created_at=now))
        session.flush()
        session.execute(
            insert(Ticket),
            [
                {
                    "id": n,
                    "subject": f"Ticket {n}",
                    "description": "",
                    "customer_id": 1,
                    "priority": "P1",
                    "status": "open",
                    "assignee_id": AGENTS[n % 3],
                    "requester_id": "U0CAROL01",
                    "source": "command",
                    "queue_channel": QUEUE,
                    "card_ts": card_ts,
                    "card_version": 0,
                    "created_at": now,
                    "updated_at": now,
                }
                for n in range(1, TIMERS + 1)
            ],
        )
        session.execute(
            insert(SlaClock),
            [
                {
                    "id": n,
                    "ticket_id": n,
                    "metric": "first_response",
                    "cycle": 0,
                    "policy": "premium",
                    "state": "running",
                    "target_seconds": 1800,
                    "business_hours": False,
                    "started_at": past,
                    "deadline_at": now + timedelta(minutes=15),
                    "version": 1,
                    "updated_at": now,
                }
                for n in range(1, TIMERS + 1)
            ],
        )
        session.execute(
            insert(Timer),
            [
                {
                    "kind": "sla_warning",
                    "ticket_id": n,
                    "clock_id": n,
                    "version": 1,
                    "due_at": past,
                    "dedupe_key": f"sla:T-{n}:first_response#0:v1:warn:50pct",
                    "state": "pending",
                    "data": {},
                    "created_at": now,
                }
                for n in range(1, TIMERS + 1)
            ],
        )


def count(database: Database, query) -> int:  # noqa: ANN001
    with database.session() as session:
        return session.scalar(query)


def test_three_processes_fire_every_timer_once_though_one_is_killed(database: Database) -> None:
    slack = SlackStandIn()
    seed(slack)
    slack.start()
    workers: list[subprocess.Popen] = []
    try:
        parent = slack.post_user_message(QUEUE, "U0ALICE01", "cards live here")
        seed_due_warnings(database, parent)
        env = os.environ | {
            "DATABASE_URL": database.url,
            "SLACK_API_URL": slack.api_url,
            "SLACK_BOT_TOKEN": slack.bot_token,
            "LIAISON_CONFIG": str(ROOT / "config" / "liaison.toml"),
        }
        workers += [
            subprocess.Popen(
                [sys.executable, "-m", "tests.e2e.sweep_worker"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
            for _ in range(3)
        ]
        fired = select(func.count()).select_from(Timer).where(Timer.state == "fired")
        deadline = time.monotonic() + 60
        while count(database, fired) < TIMERS // 5 and time.monotonic() < deadline:
            time.sleep(0.05)
        workers[0].send_signal(signal.SIGKILL)
        outputs = [w.communicate(timeout=420)[0].decode() for w in workers]
        assert workers[0].returncode == -signal.SIGKILL
        assert [w.returncode for w in workers[1:]] == [0, 0], [o[-1500:] for o in outputs]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()  # a worker left running would sweep the next tests' timers
                worker.wait()
        slack.stop()

    assert count(database, fired) == TIMERS
    undelivered = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.state != "delivered")
    assert count(database, undelivered) == 0
    thread = Counter(reply["text"].split("*T-")[1].split("*")[0] for reply in slack.replies(QUEUE, parent))
    assert len(thread) == TIMERS and set(thread.values()) == {1}
    # Each owner is told once per ticket: alone, or folded into a summary that counts (and lists) its tickets.
    told, listed = 0, Counter()
    for agent in AGENTS:
        for message in slack.messages(slack.dm_channel(agent)):
            folded = re.match(r"\S+ \*(\d+) SLA deadlines coming up\*", message["text"])
            told += int(folded.group(1)) if folded else 1
            listed.update(re.findall(r"\*T-(\d+)\*", message["text"]))
    assert told == TIMERS and set(listed.values()) == {1}
