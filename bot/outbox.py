"""The outbox: enqueue Slack messages inside a state change's transaction; deliver them later, in order, once.

Rows with the same ordering key are delivered strictly in id order: a row waits while an earlier row of its key is
still pending. Transient failures (429, 5xx, connection) are retried with back-off honouring Retry-After; permanent
ones park the row with its reason, and later rows of the key go on.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.db import Database, insert_new
from bot.gateway import SlackError, SlackGateway
from models import OutboxMessage, Ticket

log = logging.getLogger(__name__)

PENDING, DELIVERED, PARKED = "pending", "delivered", "parked"
# Roles: how a row relates to its ticket's card (the card's ts is known only once the card post was delivered).
PLAIN, CARD_POST, CARD_UPDATE, CARD_THREAD = "plain", "card_post", "card_update", "card_thread"
MAX_BACKOFF = timedelta(minutes=5)


def enqueue(
    session: Session,
    *,
    now: datetime,
    dedupe_key: str,
    method: str,
    payload: dict[str, Any],
    ordering_key: str,
    ticket_id: int | None = None,
    role: str = PLAIN,
) -> bool:
    """Add a message to the outbox in the caller's transaction; False when its dedupe key was already there."""
    row = {
        "dedupe_key": dedupe_key,
        "ordering_key": ordering_key,
        "method": method,
        "payload": payload,
        "ticket_id": ticket_id,
        "role": role,
        "state": PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }
    return insert_new(session, OutboxMessage, row, unique="dedupe_key")


@dataclass
class DrainResult:
    delivered: int = 0
    retried: int = 0
    parked: int = 0

    @property
    def handled(self) -> int:
        return self.delivered + self.retried + self.parked


class OutboxDispatcher:
    """Delivers due outbox rows through the gateway; safe to run in several processes against PostgreSQL."""

    def __init__(self, database: Database, gateway: SlackGateway, clock: Clock, *, batch_size: int = 100) -> None:
        self.database = database
        self.gateway = gateway
        self.clock = clock
        self.batch_size = batch_size
        # One drain at a time per process: the scheduler and the local console may both ask. Across processes
        # (PostgreSQL) the row locks keep drains apart.
        self._lock = threading.Lock()

    def drain(self, max_rounds: int = 50) -> DrainResult:
        """Deliver everything due now, round after round, until nothing is left that can go."""
        with self._lock:
            return self._drain(max_rounds)

    def _drain(self, max_rounds: int) -> DrainResult:
        total = DrainResult()
        for _ in range(max_rounds):
            result = self._round()
            total.delivered += result.delivered
            total.retried += result.retried
            total.parked += result.parked
            if result.handled == 0:
                break
        return total

    def next_due(self) -> datetime | None:
        with self.database.session() as session:
            return session.scalar(
                select(OutboxMessage.next_attempt_at)
                .where(OutboxMessage.state == PENDING)
                .order_by(OutboxMessage.next_attempt_at)
                .limit(1)
            )

    def parked(self, limit: int = 20) -> list[OutboxMessage]:
        """The most recently parked messages, for the admin view."""
        with self.database.session() as session:
            query = select(OutboxMessage).where(OutboxMessage.state == PARKED)
            return list(session.scalars(query.order_by(OutboxMessage.id.desc()).limit(limit)))

    def _round(self) -> DrainResult:
        result = DrainResult()
        blocked_keys: set[str] = set()
        for row_id in self._due_ids():
            with self.database.session() as session:
                row = session.scalar(
                    select(OutboxMessage)
                    .where(OutboxMessage.id == row_id, OutboxMessage.state == PENDING)
                    .with_for_update(skip_locked=True)
                )
                if row is None or row.ordering_key in blocked_keys:
                    continue
                outcome = self._deliver(session, row)
                if outcome == PENDING:
                    blocked_keys.add(row.ordering_key)
                    result.retried += 1
                elif outcome == DELIVERED:
                    result.delivered += 1
                else:
                    result.parked += 1
        return result

    def _due_ids(self) -> list[int]:
        """The oldest pending row of each ordering key, where that row is due: what may be delivered now."""
        heads = (
            select(func.min(OutboxMessage.id))
            .where(OutboxMessage.state == PENDING)
            .group_by(OutboxMessage.ordering_key)
            .scalar_subquery()
        )
        with self.database.session() as session:
            return list(
                session.scalars(
                    select(OutboxMessage.id)
                    .where(OutboxMessage.id.in_(heads), OutboxMessage.next_attempt_at <= self.clock.now())
                    .order_by(OutboxMessage.id)
                    .limit(self.batch_size)
                )
            )

    def _deliver(self, session: Session, row: OutboxMessage) -> str:
        now = self.clock.now()
        row.attempts += 1
        ticket = session.get(Ticket, row.ticket_id) if row.ticket_id is not None else None
        args = dict(row.payload)
        if row.role in (CARD_UPDATE, CARD_THREAD):
            if ticket is None or ticket.card_ts is None:
                return self._park(row, "the ticket's card was never posted", now)
            args["channel"] = ticket.queue_channel
            args["ts" if row.role == CARD_UPDATE else "thread_ts"] = ticket.card_ts
        try:
            response = self._call(row.method, args)
        except SlackError as error:
            if error.permanent:
                return self._park(row, error.error, now)
            delay = max(
                timedelta(seconds=error.retry_after or 0), min(timedelta(seconds=2 ** (row.attempts - 1)), MAX_BACKOFF)
            )
            row.next_attempt_at = now + delay
            row.last_error = error.error
            log.info("outbox %s: %s; retry in %ss", row.dedupe_key, error.error, delay.total_seconds())
            return PENDING
        if row.role == CARD_POST and ticket is not None:
            ticket.card_ts = response.get("ts")
            ticket.queue_channel = response.get("channel", ticket.queue_channel)
        row.state = DELIVERED
        row.delivered_at = now
        row.last_error = None
        return DELIVERED

    def _call(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        try:
            return self.gateway.call(method, **args)
        except SlackError as error:
            # A bot that is not in a public channel can join it; try once before giving up on the message.
            if error.error != "not_in_channel" or "channel" not in args:
                raise
            self.gateway.join(args["channel"])
            return self.gateway.call(method, **args)

    def _park(self, row: OutboxMessage, reason: str, now: datetime) -> str:
        row.state = PARKED
        row.last_error = reason
        row.next_attempt_at = now
        log.warning("outbox %s parked: %s", row.dedupe_key, reason)
        return PARKED
