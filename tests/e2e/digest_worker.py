"""A digest app process for the multi-process digest test: run the digest job and deliver the outbox at once, in a
tight loop, until nothing is left to queue or send (or GIVE_UP seconds pass)."""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path

from slack_sdk import WebClient
from sqlalchemy import exists, select

from bot.clock import SystemClock
from bot.config import LiaisonConfig
from bot.db import Database
from bot.services import Services
from models import OutboxMessage

GIVE_UP = 120


def main() -> int:
    logging.basicConfig(level=logging.WARNING, stream=sys.stdout, format="%(levelname)s %(name)s: %(message)s")
    config = LiaisonConfig.load(Path(os.environ["LIAISON_CONFIG"]))
    database = Database(os.environ["DATABASE_URL"])
    client = WebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"], timeout=30)
    services = Services.build(config=config, clock=SystemClock(), database=database, client=client)
    services.dispatcher.gates.pace = False  # a digest per channel per second would only stretch the test
    deadline = time.monotonic() + GIVE_UP
    while time.monotonic() < deadline:
        services.digests.run()
        services.dispatcher.drain()
        with database.session() as session:
            if not session.scalar(select(exists().where(OutboxMessage.state == "pending"))):
                return 0
        time.sleep(0.05)
    return 1


if __name__ == "__main__":
    sys.exit(main())
