"""Three app processes race for the same digests (SQLite or PostgreSQL): five channels' subscriptions, each owed the
three daily periods missed while no process ran. Every period is queued by exactly one process, and every digest
and every chart reaches Slack exactly once."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select

from bot.db import Database
from bot.local.standin import SlackStandIn
from models import DigestRun, DigestSubscription

ROOT = Path(__file__).resolve().parents[2]
CHANNELS = [f"C0DIGEST{n}" for n in range(5)]
MISSED = 3
POLICY_FILE = """
[tickets]
queue_channel = "C0QUEUE01"
[digests]
timezone = "Europe/Paris"
"""


@pytest.fixture
def standin() -> Iterator[SlackStandIn]:
    slack = SlackStandIn()
    for n, channel in enumerate(CHANNELS):
        slack.add_channel(channel, f"digest-{n}", members=[slack.bot_user_id])
    slack.start()
    yield slack
    slack.stop()


def test_three_processes_send_each_missed_period_once(
    database: Database, standin: SlackStandIn, tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    # Subscribed from Slack three days ago, for a time of day an hour past: three sends were missed since.
    cadence = f"daily {(now - timedelta(hours=1)):%H:%M} UTC"
    with database.session() as session:
        session.execute(
            insert(DigestSubscription),
            [
                {
                    "channel_id": channel,
                    "cadence": cadence,
                    "filter": "",
                    "created_by": "U0DAVE001",
                    "created_at": now - timedelta(days=MISSED),
                    "starts_at": now - timedelta(days=MISSED),
                    "active": True,
                }
                for channel in CHANNELS
            ],
        )
    config = tmp_path / "liaison.toml"
    config.write_text(POLICY_FILE, encoding="utf-8")
    env = os.environ | {
        "DATABASE_URL": database.url,
        "SLACK_API_URL": standin.api_url,
        "SLACK_BOT_TOKEN": standin.bot_token,
        "LIAISON_CONFIG": str(config),
    }
    logs = [tmp_path / f"worker-{n}.log" for n in range(3)]
    workers = []
    for log in logs:
        with log.open("wb") as out:
            command = [sys.executable, "-m", "tests.e2e.digest_worker"]
            workers.append(subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT))
    codes = [worker.wait(timeout=180) for worker in workers]
    output = "\n".join(log.read_text(encoding="utf-8", errors="replace") for log in logs)
    assert codes == [0, 0, 0], output

    with database.session() as session:
        runs = session.execute(select(DigestRun.subscription_id, func.count()).group_by(DigestRun.subscription_id))
        assert sorted(count for _, count in runs) == [MISSED] * len(CHANNELS)
        assert session.scalar(select(func.count()).where(DigestRun.late.is_(False))) == 0
    for channel in CHANNELS:
        messages = standin.messages(channel)
        digests = Counter(m["metadata"]["event_payload"]["dedupe_key"] for m in messages if m.get("metadata"))
        charts = Counter(f["name"] for m in messages for f in m.get("files") or [])
        assert len(digests) == MISSED and set(digests.values()) == {1}, digests
        assert len(charts) == MISSED and set(charts.values()) == {1}, charts
        assert all("Sent late" in str(m.get("blocks")) for m in messages if m.get("metadata"))
