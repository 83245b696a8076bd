"""A paging app process for the multi-process paging test: sweep the levels' timeouts and deliver the DMs and thread
lines, until no page is left running and nothing is left to send."""

from __future__ import annotations

import logging
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

# The app's leases are 30 s (timers) and 60 s (messages); a killed sibling's work is taken over after this instead,
# so the test takes seconds, not minutes. Nothing else about claiming changes.
LEASE = timedelta(seconds=4)
# Small batches spread each level's messages over the three processes, so the one killed holds some of them.
BATCH = 20
GIVE_UP = 120


def unfinished(database: Database) -> bool:
    """A timeout still to come (a running page) or a message that some process, perhaps a killed one, still owes."""
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
    # Parked messages and failed timers are logged as warnings: the test prints a failing worker's output.
    logging.basicConfig(level=logging.WARNING, stream=sys.stdout, format="%(levelname)s %(name)s: %(message)s")
    config = LiaisonConfig.load(Path(os.environ["LIAISON_CONFIG"]))
    database = Database(os.environ["DATABASE_URL"])
    # The header names this worker to the stand-in, which kills the one called "victim" at a moment of its choosing.
    client = WebClient(
        token=os.environ["SLACK_BOT_TOKEN"],
        base_url=os.environ["SLACK_API_URL"],
        timeout=30,
        headers={"X-Paging-Worker": os.environ.get("PAGING_WORKER", "")},
    )
    services = Services.build(config=config, clock=SystemClock(), database=database, client=client)
    services.sweep.lease = services.dispatcher.lease = LEASE
    services.dispatcher.batch_size = BATCH
    services.dispatcher.gates.pace = False  # a DM a second per person would stretch the test to minutes
    fired = delivered = idle = 0
    give_up = time.monotonic() + GIVE_UP
    # About three quiet seconds in a row, and no page running nor anything left that a killed process held.
    while idle < 15 or (unfinished(database) and time.monotonic() < give_up):
        swept = services.sweep.run()
        sent = services.dispatcher.drain().handled
        fired, delivered = fired + swept, delivered + sent
        idle = 0 if swept or sent else idle + 1
        if not (swept or sent):
            time.sleep(0.2)
    database.dispose()
    print(f"idle after {fired} timers and {delivered} messages", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
