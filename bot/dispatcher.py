"""Delivering the outbox: claim, call Slack, record; exactly once, in order per key, at Slack's pace.

See bot/outbox.py for the rules. Any number of processes may drain one database.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, select, true, update
from sqlalchemy.orm import Session, aliased

from bot import leases
from bot.clock import Clock
from bot.db import Database, among
from bot.gateway import SlackError, SlackGateway, keyed_metadata
from bot.outbox import (
    AFTER,
    AS,
    CARD_POST,
    CARD_THREAD,
    CARD_UPDATE,
    DELIVERED,
    FOLLOW,
    IN_DOUBT,
    PARKED,
    PENDING,
    PLAIN,
    POST,
    RENDER,
    SUBJECT,
    Claimed,
    DrainResult,
    Rejected,
    RetryLater,
)
from bot.outbox_outcomes import MAX_BACKOFF, MAX_FAILURES, Outcomes, settle
from bot.slack_gates import SlackGates
from models import OutboxMessage, Ticket

log = logging.getLogger(__name__)

# A batch of rows is claimed at once; a row is sent only while CALL_TIME of its lease is left, so a live
# delivery never outlives its lease. A dead process's rows wait out the lease, then are checked and sent.
LEASE = timedelta(seconds=60)
# The longest one delivery may take (a join and a retry, each within the client's timeout): a claimed row is
# only sent while at least this much of its lease is left.
CALL_TIME = timedelta(seconds=25)
# A message cannot have been posted before its row existed; the margin covers clocks that disagree a little.
SEARCH_MARGIN = timedelta(seconds=60)
# `_deliver`'s answer for a row that Slack's pace holds back: handed back untried, with the round's others.
WAITING = "waiting"

CardRenderer = Callable[[Session, Ticket, datetime], tuple[str, list[dict[str, Any]]]]
# Renders a message from its subject (by id) as it is at delivery: the call's arguments (text and blocks, a topic).
Renderer = Callable[[Session, int, datetime], dict[str, Any]]
# A follow-up whose earlier row does not exist yet (an incident channel still being created) waits this long between
# looks, and is parked if it is still waiting after ANCHOR_WAIT.
ANCHOR_RETRY, ANCHOR_WAIT = timedelta(seconds=2), timedelta(hours=1)
# Rows whose method is not Slack's go to an adapter: args in, the answer out; it raises RetryLater or Rejected.
Adapter = Callable[[dict[str, Any]], dict[str, Any]]


class OutboxDispatcher:
    """Delivers due outbox rows through the gateway; any number of processes may drain one database."""

    def __init__(
        self,
        database: Database,
        gateway: SlackGateway,
        clock: Clock,
        *,
        render_card: CardRenderer,
        batch_size: int = 100,
        lease: timedelta = LEASE,
        call_time: timedelta = CALL_TIME,
        gates: SlackGates | None = None,
        adapters: dict[str, Adapter] | None = None,
        renderers: dict[str, Renderer] | None = None,
    ) -> None:
        self.database = database
        self.gateway = gateway
        self.clock = clock
        self.render_card = render_card
        self.batch_size = batch_size
        self.lease = lease
        self.call_time = call_time
        self.gates = gates or SlackGates(clock)
        self.outcomes = Outcomes(database, clock, self.gates)
        self.adapters = adapters or {}
        self.renderers = renderers or {}
        # One drain at a time per process (the scheduler and the local console may both ask); across processes the
        # leases keep drains apart.
        self._lock = threading.Lock()

    def drain(self, max_rounds: int = 50, *, budget_seconds: float | None = None) -> DrainResult:
        """Deliver everything due now, round after round, until nothing is left that can go (or the budget ends)."""
        with self._lock:
            started = time.monotonic()
            total = DrainResult()
            for _ in range(max_rounds):
                result = self._round()
                total.delivered += result.delivered
                total.retried += result.retried
                total.parked += result.parked
                if result.handled == 0:
                    break
                if budget_seconds is not None and time.monotonic() - started >= budget_seconds:
                    break
            return total

    def next_due(self) -> datetime | None:
        with self.database.session() as session:
            due = session.scalar(select(func.min(OutboxMessage.next_attempt_at)).where(OutboxMessage.state == PENDING))
        reopens = self.gates.reopens_at()
        return max(due, reopens) if due is not None and reopens is not None else due

    def parked(self, limit: int = 20) -> list[OutboxMessage]:
        """The most recently parked messages, for the admin view."""
        with self.database.session() as session:
            query = select(OutboxMessage).where(OutboxMessage.state == PARKED)
            return list(session.scalars(query.order_by(OutboxMessage.id.desc()).limit(limit)))

    def _round(self) -> DrainResult:
        result = DrainResult()
        if self.gates.reopens_at() is not None:
            return result  # Slack is down: the next probe is due later
        owner = leases.new_owner()
        claimed = self._claim(owner)
        waiting: list[int] = []  # rows that must wait for Slack's pace: handed back untried, together
        for index, row in enumerate(claimed):
            if self.gates.reopens_at() is not None or not self._lease_lasts(row):
                # Slack went down meanwhile, or this batch ran long: hand the rest back untried rather than risk a
                # send after another process has taken the row over.
                waiting += [r.id for r in claimed[index:]]
                break
            outcome = self._deliver(row, owner)
            if outcome == WAITING:
                waiting.append(row.id)
            elif outcome == DELIVERED:
                result.delivered += 1
            elif outcome == PARKED:
                result.parked += 1
            elif outcome == PENDING:
                result.retried += 1
        if waiting:
            self._release(waiting, owner)
        return result

    def _claim(self, owner: str) -> list[Claimed]:
        """Lease the oldest pending row of each ordering key that is due and free: what may go now, in one commit."""
        now = self.clock.now()
        earlier = aliased(OutboxMessage)
        # A head has no pending row before it in its key. Asked row by row through the (ordering_key, state, id)
        # index, in id order with a limit, so the cost follows the batch, not the backlog (a grouped minimum over
        # every pending row can also be planned badly on fresh, unanalysed tables).
        is_head = ~(
            select(earlier.id)
            .where(
                earlier.ordering_key == OutboxMessage.ordering_key,
                earlier.state == PENDING,
                earlier.id < OutboxMessage.id,
            )
            .exists()
        )
        died = OutboxMessage.lease_owner.is_not(None)  # a lease still set is an attempt with no recorded outcome
        with self.database.session() as session:
            ids = session.scalars(
                select(OutboxMessage.id)
                .where(
                    is_head,
                    OutboxMessage.next_attempt_at <= now,
                    OutboxMessage.method.not_in(self.gates.closed_methods()),
                    # Rows for a channel that must wait are passed over, not claimed and handed back, so a busy
                    # channel never holds up the others.
                    ~((OutboxMessage.method == POST) & OutboxMessage.channel.in_(self.gates.held_channels())),
                    leases.claimable(OutboxMessage, now),
                )
                .order_by(OutboxMessage.id)
                .limit(self.batch_size)
            ).all()
            won = leases.claim(
                session,
                OutboxMessage,
                ids,
                owner=owner,
                now=now,
                lease=self.lease,
                # The last attempt died with its process (or its connection failed after sending): look first.
                in_doubt=case((died, true()), else_=OutboxMessage.in_doubt),
                # A try that died with its process counts, so a row that kills every process is parked in time.
                attempts=OutboxMessage.attempts + case((died, 1), else_=0),
            )
            rows = session.scalars(
                select(OutboxMessage).where(among(session, OutboxMessage.id, won)).order_by(OutboxMessage.id)
            )
            claimed = [Claimed.of(row, now + self.lease) for row in rows]
            doomed = [c.id for c in claimed if c.in_doubt and c.attempts >= MAX_FAILURES]
            for row_id in doomed:
                settle(session, row_id, owner, state=PARKED, last_error="its delivery died too often")
                log.warning("outbox row %s parked: its delivery died too often", row_id)
        return [c for c in claimed if c.id not in doomed]

    def _lease_lasts(self, row: Claimed) -> bool:
        return self.clock.now() + min(self.call_time, self.lease / 2) < row.lease_until

    def _release(self, ids: list[int], owner: str) -> None:
        with self.database.session() as session:
            session.execute(
                update(OutboxMessage)
                .where(among(session, OutboxMessage.id, ids), OutboxMessage.lease_owner == owner)
                .values(lease_owner=None, lease_until=None)
                .execution_options(synchronize_session=False)
            )

    def _deliver(self, claimed: Claimed, owner: str) -> str | None:
        """Send one claimed row; its outcome, WAITING when Slack's pace says not yet (for the caller to hand back
        untried), or None when it was looked at and handed back already (a follow-up whose anchor is not there yet).
        """
        if claimed.method in self.adapters:
            return self._deliver_elsewhere(claimed, owner)
        try:
            # Pace first, where the row says where it goes: a row that must wait costs no reading and no rendering
            # (a burst of cards for one queue channel goes out one a second; each is rendered once, when it goes).
            paced = claimed.destination is not None
            if paced and not self._may_call(claimed.method, claimed.destination):
                return WAITING
            if claimed.role == FOLLOW:
                if (waiting := self._follow_args(claimed, owner)) is not None:
                    return None if waiting == PENDING else waiting
            elif claimed.role != PLAIN and (parked := self._card_args(claimed, owner)) is not None:
                return parked
            if RENDER in claimed.args:
                self._render_args(claimed)
            if not paced and not self._may_call(claimed.method, claimed.channel):
                return WAITING
            if claimed.method == POST:
                claimed.args["metadata"] = keyed_metadata(claimed.dedupe_key)
            response = self._send(claimed)
        except SlackError as error:
            return self.outcomes.failed(claimed, owner, error)
        except Rejected as error:  # its renderer says it can never be sent (what it shows is gone)
            with self.database.session() as session:
                settle(session, claimed.id, owner, state=PARKED, last_error=str(error)[:2000])
            log.warning("outbox %s parked: %s", claimed.dedupe_key, error)
            return PARKED
        except Exception as error:  # a fault in one row (a bad payload, a rendering bug) must not stop the others
            log.exception("outbox %s: unexpected error", claimed.dedupe_key)
            return self.outcomes.count_failure(claimed, owner, f"{type(error).__name__}: {error}")
        return self.outcomes.delivered(claimed, owner, response)

    def _may_call(self, method: str, channel: str | None) -> bool:
        """Is Slack open for this call, and does its pace allow one more now? (Takes the call from the pace.)"""
        return self.gates.open_for(method, channel) and self.gates.spend(method, channel)

    def _render_args(self, claimed: Claimed) -> None:
        """Fill in a rendered-at-delivery message's arguments from its subject as it is now."""
        kind, subject = claimed.args.pop(RENDER), claimed.args.pop(SUBJECT)
        with self.database.session() as session:
            claimed.args.update(self.renderers[kind](session, int(subject), self.clock.now()))

    def _deliver_elsewhere(self, claimed: Claimed, owner: str) -> str:
        """A row for another service (PagerDuty): its own retries, never Slack's gates or pace."""
        try:
            args = claimed.args | ({IN_DOUBT: True} if claimed.in_doubt else {})
            response = self.adapters[claimed.method](args)
        except RetryLater as error:
            attempts = claimed.attempts + 1
            delay = min(timedelta(seconds=2 ** min(attempts - 1, 9)), MAX_BACKOFF)
            with self.database.session() as session:
                settle(
                    session,
                    claimed.id,
                    owner,
                    attempts=attempts,
                    last_error=str(error)[:2000],
                    next_attempt_at=self.clock.now() + delay,
                )
            log.info("outbox %s: %s; trying again in %ss", claimed.dedupe_key, error, delay.seconds)
            return PENDING
        except Rejected as error:
            with self.database.session() as session:
                settle(session, claimed.id, owner, state=PARKED, last_error=str(error)[:2000])
            log.warning("outbox %s parked: %s", claimed.dedupe_key, error)
            return PARKED
        except Exception as error:  # a fault of ours in the adapter: counted, then parked like any other row
            log.exception("outbox %s: unexpected error", claimed.dedupe_key)
            return self.outcomes.count_failure(claimed, owner, f"{type(error).__name__}: {error}")
        return self.outcomes.delivered(claimed, owner, response)

    def _follow_args(self, claimed: Claimed, owner: str) -> str | None:
        """Point a follow-up at the message its earlier row posted; None when ready, PENDING when the earlier row is
        not there yet (handed back to look again shortly), PARKED if it never went out.

        An earlier row sharing the follow-up's ordering key has been settled by now, one way or the other; one that is
        written later (an incident channel's anchor, written once the channel exists) is waited for, up to ANCHOR_WAIT.
        """
        after, as_ = claimed.args.pop(AFTER, None), claimed.args.pop(AS, "ts")
        now = self.clock.now()
        with self.database.session() as session:
            earlier = session.execute(
                select(OutboxMessage.state, OutboxMessage.posted_channel, OutboxMessage.posted_ts).where(
                    OutboxMessage.dedupe_key == after
                )
            ).first()
            if (earlier is None or earlier.state == PENDING) and now - claimed.created_at < ANCHOR_WAIT:
                # Not there yet (an incident's channel is still being created): look again shortly, untried.
                settle(session, claimed.id, owner, next_attempt_at=now + ANCHOR_RETRY)
                return PENDING
            if earlier is None or earlier.state != DELIVERED or not earlier.posted_ts:
                reason = f"the message it follows ({after}) was not posted"
                settle(session, claimed.id, owner, state=PARKED, last_error=reason)
                log.warning("outbox %s parked: %s", claimed.dedupe_key, reason)
                return PARKED
        claimed.args["channel"], claimed.args[as_] = earlier.posted_channel, earlier.posted_ts
        return None

    def _card_args(self, claimed: Claimed, owner: str) -> str | None:
        """Fill in where a card row goes, and render the card as the ticket is now; PARKED if it cannot go."""
        now = self.clock.now()
        with self.database.session() as session:
            # Read which updates are pending before reading the ticket: each was committed with its change, so the
            # rendering below shows at least every change those updates were queued for.
            claimed.folds_upto = session.scalar(
                select(func.max(OutboxMessage.id)).where(
                    OutboxMessage.ticket_id == claimed.ticket_id,
                    OutboxMessage.role == CARD_UPDATE,
                    OutboxMessage.state == PENDING,
                )
            )
            ticket = session.get(Ticket, claimed.ticket_id) if claimed.ticket_id is not None else None
            if ticket is None or (claimed.role != CARD_POST and ticket.card_ts is None):
                reason = "the ticket's card was never posted"
                settle(session, claimed.id, owner, state=PARKED, last_error=reason)
                log.warning("outbox %s parked: %s", claimed.dedupe_key, reason)
                return PARKED
            claimed.args["channel"] = ticket.queue_channel
            if claimed.role == CARD_THREAD:
                claimed.args["thread_ts"] = ticket.card_ts
                claimed.folds_upto = None
                return None
            if claimed.role == CARD_UPDATE:
                claimed.args["ts"] = ticket.card_ts
            claimed.args["text"], claimed.args["blocks"] = self.render_card(session, ticket, now)
            claimed.args.setdefault("unfurl_links", False)
            return None

    def _send(self, claimed: Claimed) -> dict[str, Any]:
        if claimed.in_doubt and claimed.method == POST:
            found = self._already_posted(claimed)
            if found is not None:
                log.info("outbox %s: found in Slack from an earlier attempt; not posting again", claimed.dedupe_key)
                return found
        return self._call(claimed.method, claimed.args)

    def _already_posted(self, claimed: Claimed) -> dict[str, Any] | None:
        """The message an earlier, unfinished attempt may have posted, looked up by its metadata key."""
        channel = str(claimed.args.get("channel", ""))
        try:
            conversation = self.gateway.open_dm(channel) if channel[:1] in ("U", "W") else channel
            oldest = (claimed.created_at - SEARCH_MARGIN).timestamp()
            thread_ts = claimed.args.get("thread_ts")
            message = self.gateway.find_keyed(conversation, claimed.dedupe_key, thread_ts=thread_ts, oldest=oldest)
        except SlackError as error:
            if error.transient:
                raise
            # The history cannot be read here (scope, membership): posting again is the lesser evil than never.
            log.warning("outbox %s: cannot check for an earlier post (%s); posting", claimed.dedupe_key, error.error)
            return None
        return None if message is None else {"channel": conversation, "ts": message.get("ts")}

    def _call(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        try:
            return self.gateway.call(method, **args)
        except SlackError as error:
            # A bot that is not in a public channel can join it; try once before giving up on the message.
            if error.error != "not_in_channel" or "channel" not in args:
                raise
            self.gateway.join(args["channel"])
            return self.gateway.call(method, **args)
