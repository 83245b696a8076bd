"""An app process's outbox drain, alone, for the kill test: drain until told to stop (or killed)."""

from __future__ import annotations

import os
import sys
import time
from datetime import timedelta

from slack_sdk import WebClient

from bot.clock import SystemClock
from bot.db import Database
from bot.dispatcher import OutboxDispatcher
from bot.gateway import SlackGateway
from bot.slack_gates import SlackGates


def main() -> int:
    database = Database(os.environ["DATABASE_URL"])
    clock = SystemClock()
    client = WebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"], timeout=2)
    dispatcher = OutboxDispatcher(
        database,
        SlackGateway(client),
        clock,
        render_card=lambda *_: ("", []),  # the test queues plain messages only
        batch_size=int(os.environ.get("BATCH", "10")),
        lease=timedelta(seconds=4),
        call_time=timedelta(seconds=2),
        # 5,000 messages in five channels would take 1,000 s at Slack's pace; this test is about exactly once.
        gates=SlackGates(clock, pace=False),
    )
    while True:
        if not dispatcher.drain(budget_seconds=1).handled:
            time.sleep(0.05)


if __name__ == "__main__":
    sys.exit(main())
