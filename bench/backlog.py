"""The outbox backlog after a Slack outage: how fast the shipped web process delivers it once Slack is back.

With the Procfile's web process running (every worker runs the outbox drain), the stand-in answers 503 to every
call; `messages` rows are queued in one transaction (plain `chat.postMessage`, spread round-robin over `channels`
channels, one ordering key per channel, so each channel's messages must arrive in order); the outage lasts
`outage` seconds more, so the workers meet it and back off; then the stand-in recovers. The figure is messages
delivered per second from recovery to the last of them reaching the stand-in, read from the stand-in's own log.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from sqlalchemy import func, select

from bench.rig import BenchError
from bot import outbox
from bot.clock import SystemClock
from bot.db import Database
from bot.local.standin import SlackStandIn
from models import OutboxMessage

DEFAULT_MESSAGES, DEFAULT_CHANNELS, DEFAULT_OUTAGE = 2000, 500, 3.0
WAIT = 180.0  # seconds after recovery before giving up on the backlog


@dataclass
class BacklogResult:
    messages: int
    channels: int
    outage: float
    workers: int
    others_pending: int  # rows of earlier work still pending at recovery, delivered alongside
    first: float  # seconds from recovery to the first message at Slack
    seconds: float  # seconds from recovery to the last one
    in_order: bool

    @property
    def per_second(self) -> float:
        return self.messages / self.seconds if self.seconds > 0 else 0.0


def measure_backlog(
    standin: SlackStandIn,
    database_url: str,
    workers: int,
    *,
    messages: int = DEFAULT_MESSAGES,
    channels: int = DEFAULT_CHANNELS,
    outage: float = DEFAULT_OUTAGE,
) -> BacklogResult:
    """Queue a backlog during an outage, recover, and time its delivery; raises BenchError if it does not arrive."""
    tag = f"backlog-{os.getpid()}-{time.time_ns()}"
    names = [f"C0BL{tag[-8:]}{n:04d}".upper() for n in range(channels)]
    for name in names:
        standin.add_channel(name, name.lower(), members=[standin.bot_user_id])
    database = Database(database_url)
    try:
        standin.outage(3600)
        now = SystemClock().now()
        with database.session() as session:
            for index in range(messages):
                channel = names[index % channels]
                outbox.enqueue(
                    session,
                    now=now,
                    dedupe_key=f"{tag}:{index}",
                    method="chat.postMessage",
                    payload={"channel": channel, "text": f"{tag} {index}"},
                    ordering_key=f"{tag}:{channel}",
                )
        time.sleep(outage)
        others = _pending(database) - _pending(database, tag)
        recovered = time.time()
        standin.clear_failures()
        deadline = time.monotonic() + WAIT
        while _delivered(database, tag) < messages:
            if time.monotonic() > deadline:
                raise BenchError(
                    f"backlog: {_delivered(database, tag)} of {messages} delivered {WAIT:.0f} s after recovery"
                )
            time.sleep(0.05)
    finally:
        standin.clear_failures()
        database.dispose()
    arrivals = [c for c in standin.calls("chat.postMessage") if c.status == 200 and (c.response or {}).get("ok")]
    mine = [c for c in arrivals if str(c.args.get("text", "")).startswith(f"{tag} ")]
    if len(mine) != messages:
        raise BenchError(f"backlog: the stand-in received {len(mine)} of {messages} messages (duplicates or losses)")
    in_order = all(
        [int(c.args["text"].split()[1]) for c in mine if c.args["channel"] == name]
        == sorted(int(c.args["text"].split()[1]) for c in mine if c.args["channel"] == name)
        for name in names
    )
    times = sorted(c.at - recovered for c in mine)
    return BacklogResult(messages, channels, outage, workers, others, times[0], times[-1], in_order)


def _pending(database: Database, tag: str | None = None) -> int:
    query = select(func.count(OutboxMessage.id)).where(OutboxMessage.state == outbox.PENDING)
    if tag is not None:
        query = query.where(OutboxMessage.dedupe_key.startswith(f"{tag}:"))
    with database.session() as session:
        return int(session.scalar(query) or 0)


def _delivered(database: Database, tag: str) -> int:
    query = select(func.count(OutboxMessage.id)).where(
        OutboxMessage.state == outbox.DELIVERED, OutboxMessage.dedupe_key.startswith(f"{tag}:")
    )
    with database.session() as session:
        return int(session.scalar(query) or 0)


def format_backlog(database: str, result: BacklogResult) -> str:
    r = result
    order = "in order per channel" if r.in_order else "NOT in order per channel"
    return (
        f"outbox backlog after an outage ({database}): {r.messages:,} chat.postMessage rows over {r.channels} channels "
        f"queued during a 503 outage, {r.outage:g} s more of it, then recovery; {r.workers} workers draining "
        f"({r.others_pending} other rows pending): first at Slack after {r.first:.2f} s, all after {r.seconds:.2f} s, "
        f"{r.per_second:.0f} messages/s, {order}"
    )
