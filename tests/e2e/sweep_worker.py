"""A sweeping app process for the multi-process test: sweep due timers and drain the outbox until idle."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from slack_sdk import WebClient

from bot.clock import SystemClock
from bot.config import LiaisonConfig
from bot.db import Database
from bot.services import Services


def main() -> int:
    config = LiaisonConfig.load(Path(os.environ["LIAISON_CONFIG"]))
    database = Database(os.environ["DATABASE_URL"])
    client = WebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"], timeout=30)
    services = Services.build(config=config, clock=SystemClock(), database=database, client=client)
    idle = 0
    while idle < 15:  # about three quiet seconds in a row: everything this process could do is done
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
