"""A sweeping app process for the multi-process test: sweep due timers and drain the outbox until all is done."""

from __future__ import annotations

import os
import sys
import time
from datetime import timedelta
from pathlib import Path

from slack_sdk import WebClient
from sqlalchemy import exists, or_, select

from bot.clock import SystemClock
from bot.config import LiaisonConfig
from bot.db import Database
from bot.services import Services
from models import OutboxMessage, Timer

# The app's leases are 30 s; a killed sibling's timers and messages are taken over after this instead, so the test
# takes seconds, not minutes. Nothing else about claiming changes.
LEASE = timedelta(seconds=4)


def unfinished(database: Database) -> bool:
    """A timer or a message that some process (perhaps a killed one) still has to finish."""
    with database.session() as session:
        return bool(
            session.scalar(
                select(
                    or_(
                        exists().where(Timer.state == "pending"),
                        exists().where(OutboxMessage.state == "pending"),
                    )
                )
            )
        )


def main() -> int:
    config = LiaisonConfig.load(Path(os.environ["LIAISON_CONFIG"]))
    database = Database(os.environ["DATABASE_URL"])
    client = WebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"], timeout=30)
    services = Services.build(config=config, clock=SystemClock(), database=database, client=client)
    services.sweep.lease = services.dispatcher.lease = LEASE
    services.dispatcher.gates.pace = False  # 10,000 messages at a message a second per channel would take hours
    idle, give_up = 0, time.monotonic() + 180
    # About three quiet seconds in a row, and nothing left that a killed process held: all this process could do.
    while idle < 15 or (unfinished(database) and time.monotonic() < give_up):
        fired = services.sweep.run()
        delivered = 0 if fired else services.dispatcher.drain().handled
        idle = 0 if fired or delivered else idle + 1
        if not (fired or delivered):
            time.sleep(0.2)
    database.dispose()
    print("idle", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
