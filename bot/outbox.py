"""The outbox: Slack messages owed because state changed, queued in the same transaction as the change.

bot/dispatcher.py delivers them. Delivery of a row is three short steps, none holding a transaction while Slack
is called:
1. claim: a conditional UPDATE leases the row to this process (bot/leases.py) and commits; the row must be the
   oldest pending row of its ordering key, so rows of one key go strictly in id order, one at a time;
2. call Slack through the gateway, with nothing open on the database;
3. record the outcome, if this process still holds the lease.

A process that dies between 1 and 3 leaves a lease that expires. The next claimer sees that the last attempt has no
outcome ("in doubt") and, for a posted message, first looks in the channel or thread for a message carrying the
row's dedupe key in its metadata; only if none is there does it post. Card posts and updates are rendered from the
ticket at delivery, and a card update folds every pending update of the same card queued before it, so a card
never shows an older state than one already delivered. Slack being down or rate limited closes a gate
(bot/slack_gates.py) instead of pushing each row back; unknown errors and unexpected exceptions count against the
row and park it after a few tries; permanent errors park it at once. A parked row never blocks its key.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.db import insert_many_new, insert_new
from models import OutboxMessage

PENDING, DELIVERED, PARKED = "pending", "delivered", "parked"
# Roles: how a row relates to its ticket's card (the card's ts is known only once the card post was delivered).
PLAIN, CARD_POST, CARD_UPDATE, CARD_THREAD = "plain", "card_post", "card_update", "card_thread"
# A row that edits or answers an earlier row's message (a page's DM once acknowledged): the earlier row's dedupe key
# is in the payload under AFTER, and AS says whether its ts is the message to edit ("ts") or the thread ("thread_ts").
FOLLOW = "follow"
AFTER, AS = "_after", "_as"
# A message rendered when it is delivered, not when queued (an incident's pinned summary, kept current): the
# payload names a renderer under RENDER and its subject's id under SUBJECT, and the dispatcher fills text and blocks.
RENDER, SUBJECT = "_render", "_subject"
# Handed to an adapter (a row for something other than Slack's Web API) when its last attempt left no outcome, so it
# can look before acting again.
IN_DOUBT = "_in_doubt"
POST = "chat.postMessage"


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
    channel: str | None = None,
) -> bool:
    """Add a message to the outbox in the caller's transaction; False when its dedupe key was already there.

    `channel` is where it goes when the payload does not say (a card's rows go to the ticket's queue channel).
    """
    row = {
        "dedupe_key": dedupe_key,
        "ordering_key": ordering_key,
        "method": method,
        "channel": _destination(payload, channel),
        "payload": payload,
        "ticket_id": ticket_id,
        "role": role,
        "state": PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
        "in_doubt": False,
    }
    return insert_new(session, OutboxMessage, row, unique="dedupe_key")


def follow(
    session: Session,
    *,
    now: datetime,
    after: str,
    dedupe_key: str,
    method: str,
    payload: dict[str, Any],
    ordering_key: str,
    as_: str = "ts",
) -> bool:
    """Queue a message that edits (`as_="ts"`, with chat.update) or replies in the thread of (`as_="thread_ts"`) the
    message the row `after` posted. Give it that row's ordering key so it is delivered after it."""
    payload = payload | {AFTER: after, AS: as_}
    return enqueue(
        session, now=now, dedupe_key=dedupe_key, method=method, payload=payload, ordering_key=ordering_key, role=FOLLOW
    )


def enqueue_many(session: Session, *, now: datetime, messages: Sequence[dict[str, Any]]) -> None:
    """`enqueue` for many messages in one statement (a sweep's batch); a dedupe key already there is skipped.

    Each message has `enqueue`'s keyword arguments: dedupe_key, method, payload, ordering_key, and optionally
    ticket_id and role.
    """
    fixed = {"state": PENDING, "attempts": 0, "next_attempt_at": now, "created_at": now, "in_doubt": False}
    rows = [
        {"ticket_id": None, "role": PLAIN}
        | message
        | fixed
        | {"channel": _destination(message["payload"], message.get("channel"))}
        for message in messages
    ]
    insert_many_new(session, OutboxMessage, rows, unique="dedupe_key")


def _destination(payload: dict[str, Any], channel: str | None) -> str | None:
    given = payload.get("channel", channel)
    return given if isinstance(given, str) else None


class RetryLater(Exception):
    """Raised by a non-Slack adapter (bot/pagerduty.py): the far end is busy or unreachable; the row waits."""


class Rejected(Exception):
    """Raised by a non-Slack adapter: the far end refused the message; sending it again cannot help."""


@dataclass
class DrainResult:
    delivered: int = 0
    retried: int = 0
    parked: int = 0

    @property
    def handled(self) -> int:
        return self.delivered + self.retried + self.parked


@dataclass
class Claimed:
    """What a claim took out of the database: everything the Slack call needs, with no session attached."""

    id: int
    dedupe_key: str
    method: str
    args: dict[str, Any]
    role: str
    ticket_id: int | None
    created_at: datetime
    in_doubt: bool
    attempts: int
    lease_until: datetime
    # Where the row says it goes (its `channel` column), known before its arguments are filled in.
    destination: str | None = None
    # The newest pending update of the same card that this delivery shows too (card rows only).
    folds_upto: int | None = None

    @property
    def channel(self) -> str | None:
        channel = self.args.get("channel")
        return channel if isinstance(channel, str) else None

    @classmethod
    def of(cls, row: OutboxMessage, lease_until: datetime) -> Claimed:
        return cls(
            id=row.id,
            dedupe_key=row.dedupe_key,
            method=row.method,
            args=dict(row.payload),
            role=row.role,
            ticket_id=row.ticket_id,
            created_at=row.created_at,
            in_doubt=row.in_doubt,
            attempts=row.attempts,
            lease_until=lease_until,
            destination=row.channel,
        )
