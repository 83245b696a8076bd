"""What a delivery attempt leaves in the outbox: delivered, tried again later, or parked; each outcome is one short
transaction, applied only while the attempting process still holds the row's lease (bot/dispatcher.py attempts).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.db import Database
from bot.gateway import SlackError
from bot.outbox import CARD_POST, CARD_UPDATE, DELIVERED, PARKED, PENDING, POST, Claimed
from bot.slack_gates import SlackGates
from models import OutboxMessage, Ticket

log = logging.getLogger(__name__)

# Unknown Slack errors and unexpected exceptions: tries before the row is parked, and the back-off between them.
MAX_FAILURES = 6
MAX_BACKOFF = timedelta(minutes=5)


class Outcomes:
    """Records how each attempt ended, for the dispatcher that made it."""

    def __init__(self, database: Database, clock: Clock, gates: SlackGates) -> None:
        self.database = database
        self.clock = clock
        self.gates = gates

    def delivered(self, claimed: Claimed, owner: str, response: dict[str, Any]) -> str:
        now = self.clock.now()
        channel, ts = response.get("channel"), response.get("ts")
        with self.database.session() as session:
            kept = settle(
                session,
                claimed.id,
                owner,
                state=DELIVERED,
                delivered_at=now,
                last_error=None,
                attempts=OutboxMessage.attempts + 1,
                posted_channel=channel if claimed.method == POST else None,
                posted_ts=ts if claimed.method == POST else None,
            )
            if not kept:
                log.warning("outbox %s: delivered after its lease ran out", claimed.dedupe_key)
            if claimed.role == CARD_POST and ts:
                card = update(Ticket).where(Ticket.id == claimed.ticket_id).values(card_ts=ts, queue_channel=channel)
                session.execute(card)
            if claimed.folds_upto is not None:
                self._fold(session, claimed, now)
        return DELIVERED

    def _fold(self, session: Session, claimed: Claimed, now: datetime) -> None:
        """Settle the pending updates of this card that the delivered rendering already shows."""
        session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.ticket_id == claimed.ticket_id,
                OutboxMessage.role == CARD_UPDATE,
                OutboxMessage.state == PENDING,
                OutboxMessage.id <= claimed.folds_upto,
                OutboxMessage.id != claimed.id,
                OutboxMessage.lease_owner.is_(None),
            )
            .values(state=DELIVERED, delivered_at=now, last_error=f"shown by {claimed.dedupe_key}")
            .execution_options(synchronize_session=False)
        )

    def failed(self, claimed: Claimed, owner: str, error: SlackError) -> str:
        if error.permanent:
            with self.database.session() as session:
                settle(session, claimed.id, owner, state=PARKED, last_error=error.error)
            log.warning("outbox %s parked: %s", claimed.dedupe_key, error.error)
            return PARKED
        if not error.transient:
            return self.count_failure(claimed, owner, error.error)
        if error.error == "ratelimited":
            channel = claimed.channel if error.method == claimed.method else None
            until = self.gates.rate_limited(error.method, error.retry_after, channel)
        else:
            until = self.gates.unavailable()
        with self.database.session() as session:
            # Slack's trouble, not the message's: the try does not count. A connection that failed after sending
            # may still have posted, so the next try looks first.
            settle(
                session,
                claimed.id,
                owner,
                last_error=error.error,
                in_doubt=claimed.in_doubt or error.error.startswith("connection"),
            )
        log.info("outbox %s: %s; %s waits until %s", claimed.dedupe_key, error.error, error.method, until.isoformat())
        return PENDING

    def count_failure(self, claimed: Claimed, owner: str, reason: str) -> str:
        now = self.clock.now()
        attempts = claimed.attempts + 1
        with self.database.session() as session:
            if attempts >= MAX_FAILURES:
                settle(session, claimed.id, owner, state=PARKED, attempts=attempts, last_error=reason)
                log.warning("outbox %s parked after %s tries: %s", claimed.dedupe_key, attempts, reason)
                return PARKED
            delay = min(timedelta(seconds=2 ** (attempts - 1)), MAX_BACKOFF)
            settle(session, claimed.id, owner, attempts=attempts, last_error=reason, next_attempt_at=now + delay)
        log.info("outbox %s: %s; try %s again in %ss", claimed.dedupe_key, reason, attempts + 1, delay.seconds)
        return PENDING


def settle(session: Session, row_id: int, owner: str, **values: Any) -> bool:
    """Write an outcome and let go of the lease; False when the lease had already passed to someone else."""
    values.setdefault("in_doubt", False)
    return (
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row_id, OutboxMessage.lease_owner == owner)
            .values(lease_owner=None, lease_until=None, **values)
            .execution_options(synchronize_session=False)
        ).rowcount
        == 1
    )
