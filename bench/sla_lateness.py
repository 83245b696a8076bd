"""Reminder lateness under the real scheduler: timers fall due at a steady rate; how late do they fire and arrive?

One process, as Liaison runs on SQLite: the Slack stand-in, `Services.build(...)` on a fresh migrated SQLite file
with the real policy file and `SystemClock`, and `build_scheduler(services)` started (its sweep job, and the
1-second outbox drain that also sweeps when something fell due). Before it starts, `rate * seconds` WARNING timers
are inserted, due from `lead` seconds on at `rate` per second (one per open ticket). Lateness is `fired_at - due_at`
from the `timers` rows; arrival is when the stand-in received the reminder (the thread reply, and the assignee's DM)
minus `due_at`. Timers still pending, and messages not delivered, when the wait ends count as infinitely late
("never"). The goal: p99 of `fired_at - due_at` <= 2 s.

The stand-in enforces Slack's per-channel pace when it can (`standin.pace`: about one message a second per channel
and a small burst, then 429 with Retry-After). Owner DMs fold into one summary per person per sweep batch
(bot/sla/sweep.py), which names at most 45 tickets: a ticket counts as arrived when a message naming it arrived.
Thread replies are one per ticket, all in the queue channel, so at Slack's pace they drain at about one a second.
"""

from __future__ import annotations

import json
import logging
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED, JobEvent, JobExecutionEvent
from slack_sdk import WebClient
from sqlalchemy import func, select

from bench.http_latency import percentile
from bench.rig import BenchError
from bench.sla_data import DueTimer, load_open_tickets, sqlite_database
from bot.clock import SystemClock
from bot.config import LiaisonConfig
from bot.local.standin import SlackStandIn
from bot.local.workspace import QUEUE, seed
from bot.scheduler import build_scheduler
from bot.services import Services
from bot.sla.service import PENDING
from models import OutboxMessage, Timer

CONFIG_PATH = Path(__file__).resolve().parent.parent / "config" / "liaison.toml"
GOAL_P99 = 2.0  # seconds
DEFAULT_RATE, DEFAULT_SECONDS = 200.0, 20.0
LEAD = 2.0  # seconds between inserting the timers and the first falling due
FIRE_GRACE = 30.0  # how long after the last due time to wait for timers to fire
ARRIVAL_GRACE = 10.0  # and then for the outbox to deliver what they queued
TICKET_KEY = re.compile(r"\*T-(\d+)\*")


@dataclass
class LatenessResult:
    """Per-timer lateness in seconds (math.inf: never fired / never arrived within the wait)."""

    rate: float
    seconds: float
    timers: int
    fired: list[float] = field(default_factory=list)
    thread: list[float] = field(default_factory=list)  # the reminder in the ticket's thread
    owner: list[float] = field(default_factory=list)  # the assignee's DM
    fire_grace: float = FIRE_GRACE
    arrival_grace: float = ARRIVAL_GRACE
    job_errors: list[str] = field(default_factory=list)
    missed_runs: int = 0
    skipped_runs: int = 0  # a job's run skipped because its previous run was still going (max_instances=1)
    wall: float = 0.0

    @property
    def unfired(self) -> int:
        return sum(1 for s in self.fired if math.isinf(s))

    def fired_percentiles(self) -> dict[str, float]:
        return _percentiles(self.fired)

    def thread_percentiles(self) -> dict[str, float]:
        return _percentiles(self.thread)

    def owner_percentiles(self) -> dict[str, float]:
        return _percentiles(self.owner)

    @property
    def meets_goal(self) -> bool:
        return bool(self.fired) and self.fired_percentiles()["p99"] <= GOAL_P99


def _percentiles(samples: list[float]) -> dict[str, float]:
    if not samples:
        return {}
    return {"p50": percentile(samples, 50), "p99": percentile(samples, 99), "max": max(samples)}


def _wait(until: Callable[[], bool], deadline: float, poll: float = 0.2) -> None:
    while not until() and time.monotonic() < deadline:
        time.sleep(poll)


def run_lateness(
    rate: float = DEFAULT_RATE,
    seconds: float = DEFAULT_SECONDS,
    *,
    lead: float = LEAD,
    fire_grace: float = FIRE_GRACE,
    arrival_grace: float = ARRIVAL_GRACE,
    progress: Callable[[str], Any] | None = None,
) -> LatenessResult:
    """Start Liaison's scheduler on a fresh SQLite file, let `rate * seconds` timers fall due, measure lateness."""
    say = progress or (lambda _message: None)
    count = max(1, round(rate * seconds))
    result = LatenessResult(rate, seconds, count, fire_grace=fire_grace, arrival_grace=arrival_grace)
    began = time.monotonic()
    standin = SlackStandIn()
    if hasattr(standin, "pace"):
        standin.pace = True  # Slack's per-channel pace: about one message a second, with a small burst, then 429
    seed(standin)
    standin.start()
    try:
        parent = standin.post_user_message(QUEUE, "U0ALICE01", "cards live here")
        with sqlite_database() as database:
            clock = SystemClock()
            client = WebClient(token=standin.bot_token, base_url=standin.api_url, timeout=10)
            services = Services.build(
                config=LiaisonConfig.load(CONFIG_PATH), clock=clock, database=database, client=client
            )
            now = clock.now()
            start = now + timedelta(seconds=lead)
            due = [DueTimer(n + 1, start + timedelta(seconds=n / rate)) for n in range(count)]
            load_open_tickets(database, count, now=now, card_ts=parent, future_breach=False, due=due)
            if clock.now() >= start:
                raise BenchError(f"loading {count} timers took longer than the {lead} s lead")
            scheduler = build_scheduler(services)

            def listen(event: JobEvent) -> None:
                if event.code == EVENT_JOB_MISSED:
                    result.missed_runs += 1
                elif event.code == EVENT_JOB_MAX_INSTANCES:
                    result.skipped_runs += 1
                elif isinstance(event, JobExecutionEvent):
                    result.job_errors.append(f"{event.job_id}: {event.exception!r}")

            scheduler.add_listener(listen, EVENT_JOB_ERROR | EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES)
            # Counted above instead of a warning line per skipped run.
            quiet = logging.getLogger("apscheduler.scheduler")
            level = quiet.level
            quiet.setLevel(logging.ERROR)
            say(f"sla lateness: {count:,} timers due at {rate:g}/s over {seconds:g} s, real scheduler on SQLite")
            scheduler.start()
            try:
                last_due = time.monotonic() + (due[-1].due_at - clock.now()).total_seconds()

                def remaining(model: Any, state: Any) -> int:
                    with database.session() as session:
                        return int(session.scalar(select(func.count()).select_from(model).where(state)) or 0)

                _wait(lambda: remaining(Timer, Timer.state == PENDING) == 0, last_due + fire_grace)
                say(f"  fired {count - remaining(Timer, Timer.state == PENDING):,} of {count:,}; waiting for Slack")
                mark = time.monotonic()
                _wait(lambda: remaining(OutboxMessage, OutboxMessage.state == PENDING) == 0, mark + arrival_grace)
            finally:
                standin.outage(600)  # a drain still in flight then ends at once (503: retried later)
                scheduler.shutdown(wait=True)
                quiet.setLevel(level)
            with database.session() as session:
                rows = session.execute(select(Timer.ticket_id, Timer.due_at, Timer.fired_at)).all()
        due_at = {ticket: at.timestamp() for ticket, at, _ in rows}
        result.fired = [(fired - at).total_seconds() if fired else math.inf for _, at, fired in rows]
        arrived: dict[str, dict[int, float]] = {"thread": {}, "owner": {}}
        for call in standin.calls("chat.postMessage"):
            if call.status != 200 or not (call.response or {}).get("ok"):
                continue
            if call.args.get("thread_ts"):
                match = TICKET_KEY.search(str(call.args.get("text", "")))
                if match:
                    arrived["thread"].setdefault(int(match.group(1)), call.at)
                continue
            # An owner's DM names one ticket, or a storm summary names many (its text and its blocks).
            for key in TICKET_KEY.findall(json.dumps([call.args.get("text"), call.args.get("blocks")])):
                arrived["owner"].setdefault(int(key), call.at)
        for kind, seen in arrived.items():
            setattr(result, kind, [seen[t] - due_at[t] if t in seen else math.inf for t in due_at])
    finally:
        standin.stop()
    result.wall = time.monotonic() - began
    return result


def _seconds(value: float) -> str:
    return "never" if math.isinf(value) else f"{value:.3f}"


def format_lateness(result: LatenessResult) -> str:
    """The lateness table (fired, and arrived at Slack) and the verdict against the goal."""
    header = ("measure", "p50 s", "p99 s", "max s", "late > 2 s", "not within wait")
    rows = []
    for name, samples in (
        ("fired_at - due_at", result.fired),
        ("thread reply at Slack - due_at", result.thread),
        ("owner DM at Slack - due_at", result.owner),
    ):
        if not samples:
            continue
        p = _percentiles(samples)
        late = sum(1 for s in samples if s > GOAL_P99)
        missing = sum(1 for s in samples if math.isinf(s))
        rows.append((name, _seconds(p["p50"]), _seconds(p["p99"]), _seconds(p["max"]), f"{late:,}", f"{missing:,}"))
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    out = [
        f"Reminder lateness: {result.timers:,} WARNING timers due at {result.rate:g}/s over {result.seconds:g} s, "
        f"build_scheduler() on SQLite, SystemClock ({result.wall:.1f} s in all)",
        "",
        line(header),
        line(tuple("-" * w for w in widths)),
        *(line(row) for row in rows),
        "",
    ]
    p99 = result.fired_percentiles().get("p99", math.inf)
    verdict = "met" if result.meets_goal else "NOT MET"
    out.append(f"goal: p99 of fired_at - due_at <= {GOAL_P99:g} s: {_seconds(p99)} s, {verdict}")
    out.append(
        f"waited up to {result.fire_grace:g} s after the last due time for timers to fire, then up to "
        f"{result.arrival_grace:g} s "
        f"for the outbox; scheduler: {len(result.job_errors)} job errors, {result.missed_runs} missed runs, "
        f"{result.skipped_runs} runs skipped as the previous one was still going"
    )
    out += [f"  job error: {error}" for error in result.job_errors[:5]]
    return "\n".join(out)
