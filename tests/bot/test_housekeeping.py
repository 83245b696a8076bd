"""Housekeeping forgets applied request keys after a day, and only those."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.clock import MovableClock
from bot.db import Database
from bot.housekeeping import forget_old_requests
from models import AppliedRequest


def test_request_keys_older_than_a_day_are_forgotten(database: Database, clock: MovableClock) -> None:
    with database.session() as session:
        session.add(AppliedRequest(key="command:old", created_at=clock.now() - timedelta(days=1, seconds=1)))
        session.add(AppliedRequest(key="command:recent", created_at=clock.now() - timedelta(hours=23)))
    assert forget_old_requests(database, clock) == 1
    with database.session() as session:
        assert list(session.scalars(select(AppliedRequest.key))) == ["command:recent"]
