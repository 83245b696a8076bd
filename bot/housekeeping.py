"""Housekeeping: forget what no longer needs remembering."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete

from bot.clock import Clock
from bot.db import Database
from models import AppliedRequest

# Slack retries a request within minutes and a double submission comes within seconds; a day is ample.
KEEP_REQUESTS = timedelta(days=1)


def forget_old_requests(database: Database, clock: Clock, keep: timedelta = KEEP_REQUESTS) -> int:
    """Delete the keys of requests applied longer ago than `keep`; returns how many went."""
    with database.session() as session:
        return session.execute(delete(AppliedRequest).where(AppliedRequest.created_at < clock.now() - keep)).rowcount
