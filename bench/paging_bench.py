"""Paging many people at once with Slack's rate limits on: how long until every DM is delivered, and is any dropped?

One run per database (SQLite, and PostgreSQL when reachable) and per stand-in latency: a Slack stand-in enforcing
Slack's per-method limits (`pace`: about one chat.postMessage a second per channel after a burst of 4, tiered
methods at their tier, 429 with Retry-After beyond), with `targets` people in one user group; the real
`Services.build(...)` over a database built by the migrations, with `SystemClock` and the outbox's own pacing on.
The policy file's `[oncall]` has a policy whose first level is that user group. `PagingService.page(...)` pages the
policy from a channel, as `/page everyone ...` does (the agent check is made first, untimed: a running process has
it cached); then `dispatcher.drain()` runs in a loop in real time, as the scheduler's drain job would (without its
one-second tick), until no outbox row is pending.

The figure is the time from calling `page()` to the last DM's arrival at the stand-in (its own call log). Every
paged person must have exactly one DM of the page, the channel exactly one "Paging ..." line, and the outbox no row
pending or parked; anything else raises BenchError. The baseline, in a fresh stand-in with the same settings: a
plain `slack_sdk.WebClient` with its `RateLimitErrorRetryHandler` reads the group's members and posts the same DMs
(the texts and blocks Liaison sent) one after the other, the naive way. Each DM is its own channel, and
chat.postMessage is limited per channel, so neither should meet a 429 for the DMs themselves.
"""

from __future__ import annotations

import math
import re
import time
import tomllib
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from sqlalchemy import func, select

from bench.rig import BenchError
from bench.sla_data import DEFAULT_POSTGRES, postgres_database, postgres_reachable, sqlite_database
from bot import outbox
from bot.clock import SystemClock
from bot.config import LiaisonConfig
from bot.db import Database
from bot.local.standin import Call, SlackStandIn
from bot.local.workspace import AGENTS, GENERAL, QUEUE, seed
from bot.services import Services
from models import OutboxMessage

DEFAULT_TARGETS = 50
DEFAULT_LATENCIES = (0.0, 0.1)  # seconds the stand-in takes per call: none, and about what real Slack takes
DATABASES = ("sqlite", "postgresql")
GROUP, POLICY = "S0PAGEALL", "everyone"
ACTOR, MANAGER = "U0ALICE01", "U0DAVE001"  # an agent of the demo workspace pages; the manager is level 2
WAIT = 120.0  # seconds to wait for every DM before giving up
POLL = 0.05  # seconds between drains when nothing was due
POLICY_FILE = f"""
[tickets]
queue_channel = "{QUEUE}"
[agents]
usergroup = "{AGENTS}"
[oncall]
default_policy = "{POLICY}"
[oncall.policies.{POLICY}]
levels = [
  {{ targets = ["{GROUP}"], timeout = "15m" }},
  {{ targets = ["{MANAGER}"], timeout = "15m" }},
]
"""


@dataclass
class PagingResult:
    database: str
    latency: float
    targets: int
    page_seconds: float  # the page() call: resolving the group, writing the page and its outbox rows
    first: float  # seconds from page() to the first DM at Slack
    seconds: float  # and to the last
    settled: float  # and until the outbox had no row pending
    rate_limited: int  # 429s the stand-in answered Liaison
    dropped: int  # paged people without a DM of the page
    duplicates: int  # DMs beyond one per person
    baseline_seconds: float  # the naive client: from its first call to its last DM at Slack
    baseline_rate_limited: int

    @property
    def per_second(self) -> float:
        return self.targets / self.seconds if self.seconds > 0 else math.inf

    @property
    def ratio(self) -> float:
        return self.seconds / self.baseline_seconds if self.baseline_seconds > 0 else math.inf


def targets_of(count: int) -> list[str]:
    """The user ids of the people paged."""
    return [f"U0PG{n:05d}" for n in range(1, count + 1)]


def standin_for(count: int, latency: float) -> SlackStandIn:
    """A started stand-in enforcing Slack's pace: the demo workspace plus `count` people in the paged group."""
    standin = SlackStandIn()
    standin.pace = True
    standin.latency = latency
    seed(standin)
    people = targets_of(count)
    for n, user in enumerate(people, start=1):
        standin.add_user(user, f"paged{n}", real_name=f"Paged Person {n}")
    standin.add_usergroup(GROUP, "everyone-on-call", people)
    standin.start()
    return standin


def _ok_posts(standin: SlackStandIn) -> list[Call]:
    return [c for c in standin.calls("chat.postMessage") if c.status == 200 and (c.response or {}).get("ok")]


def _rate_limited(standin: SlackStandIn) -> int:
    return sum(1 for c in standin.calls() if c.status == 429)


def _outbox_count(database: Database, state: str) -> int:
    query = select(func.count(OutboxMessage.id)).where(OutboxMessage.state == state)
    with database.session() as session:
        return int(session.scalar(query) or 0)


def _dms(standin: SlackStandIn, people: Sequence[str], key: str) -> dict[str, list[Call]]:
    """Each paged person's DMs of the page, as the stand-in received them."""
    found: dict[str, list[Call]] = {user: [] for user in people}
    for call in _ok_posts(standin):
        channel = str(call.args.get("channel", ""))
        if channel in found and str(call.args.get("text", "")).startswith(f"Page {key}:"):
            found[channel].append(call)
    return found


def check_delivery(standin: SlackStandIn, people: Sequence[str], key: str, who: str) -> tuple[int, int]:
    """(dropped, duplicates) of the DMs, read from the stand-in's log and cross-checked in each DM's history."""
    dms = _dms(standin, people, key)
    dropped = sum(1 for calls in dms.values() if not calls)
    duplicates = sum(len(calls) - 1 for calls in dms.values() if calls)
    in_history = sum(
        1
        for user in people
        if [m for m in standin.messages(standin.dm_channel(user)) if m.get("text", "").startswith(f"Page {key}:")]
    )
    if dropped or duplicates or in_history != len(people):
        raise BenchError(
            f"{who}: of {len(people)} people paged by {key}, {dropped} got no DM and {duplicates} DMs were duplicates "
            f"({in_history} DM histories show it)"
        )
    return dropped, duplicates


def measure_liaison(database: Database, name: str, count: int, latency: float) -> tuple[PagingResult, list[dict]]:
    """Page `count` people through Liaison and drain until all is delivered; the result and the DMs' payloads."""
    standin = standin_for(count, latency)
    try:
        config = LiaisonConfig.from_dict(tomllib.loads(POLICY_FILE), source="paging bench policy")
        client = WebClient(token=standin.bot_token, base_url=standin.api_url, timeout=10)  # as app.py builds it
        services = Services.build(config=config, clock=SystemClock(), database=database, client=client)
        if not services.dispatcher.gates.pace:
            raise BenchError("the outbox's pacing is off; the suite measures it on")
        actor = services.actor(ACTOR)  # untimed: a running process has the agents' list cached
        began = time.time()
        started = services.paging.page(actor, POLICY, "Checkout is down for everyone", channel=GENERAL)
        page_seconds = time.time() - began
        key, people = started.page.key, targets_of(count)
        if sorted(started.people) != people:
            raise BenchError(f"{key} reached {len(started.people)} people, not the {count} in the user group")
        deadline = time.monotonic() + WAIT
        while _outbox_count(database, outbox.PENDING):
            if time.monotonic() > deadline:
                pending = _outbox_count(database, outbox.PENDING)
                raise BenchError(f"{key}: {pending} outbox rows still pending {WAIT:.0f} s after the page")
            if not services.dispatcher.drain(budget_seconds=0.8).handled:
                time.sleep(POLL)
        settled = time.time() - began
        parked = _outbox_count(database, outbox.PARKED)
        if parked:
            raise BenchError(f"{key}: {parked} outbox rows parked: {services.dispatcher.parked()[0].last_error}")
        dropped, duplicates = check_delivery(standin, people, key, "liaison")
        mentions = re.compile(rf"Paging .*\b{key}\b")
        lines = [m for m in standin.messages(GENERAL) if mentions.search(m.get("text", ""))]
        if len(lines) != 1:
            raise BenchError(f"{key}: the channel got {len(lines)} 'Paging' lines, not one")
        delivered = [c for calls in _dms(standin, people, key).values() for c in calls]
        arrivals = sorted(c.at for c in delivered)
        dm_payloads = [{k: c.args[k] for k in ("channel", "text", "blocks")} for c in delivered]
        result = PagingResult(
            database=name,
            latency=latency,
            targets=count,
            page_seconds=page_seconds,
            first=arrivals[0] - began,
            seconds=arrivals[-1] - began,
            settled=settled,
            rate_limited=_rate_limited(standin),
            dropped=dropped,
            duplicates=duplicates,
            baseline_seconds=0.0,
            baseline_rate_limited=0,
        )
        return result, dm_payloads
    finally:
        standin.stop()


def measure_baseline(payloads: Sequence[dict[str, Any]], count: int, latency: float) -> tuple[float, int]:
    """The naive way, in a fresh stand-in: read the group, post each DM with a retrying WebClient; (seconds, 429s)."""
    standin = standin_for(count, latency)
    try:
        client = WebClient(token=standin.bot_token, base_url=standin.api_url, timeout=10)
        client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=10))
        by_user = {p["channel"]: p for p in payloads}
        began = time.time()
        for user in client.usergroups_users_list(usergroup=GROUP)["users"]:
            client.chat_postMessage(**by_user[user])
        key = str(payloads[0]["text"]).split(":")[0].removeprefix("Page ")
        check_delivery(standin, targets_of(count), key, "baseline")
        last = max(c.at for c in _ok_posts(standin))
        return last - began, _rate_limited(standin)
    finally:
        standin.stop()


def _databases(names: Sequence[str], postgres_url: str) -> Iterator[tuple[str, Callable[[], Any] | None, str]]:
    for name in names:
        if name == "sqlite":
            yield name, sqlite_database, ""
        elif name == "postgresql":
            why = postgres_reachable(postgres_url)
            yield name, (None if why else (lambda: postgres_database(postgres_url))), why or ""
        else:
            raise ValueError(f"unknown database {name!r} (sqlite or postgresql)")


def run(
    report: Callable[[str], None] = print,
    *,
    targets: int = DEFAULT_TARGETS,
    latencies: Sequence[float] = DEFAULT_LATENCIES,
    databases: Sequence[str] = DATABASES,
    postgres_url: str = DEFAULT_POSTGRES,
    progress: Callable[[str], Any] | None = None,
) -> dict[str, float]:
    """Page `targets` people on each database at each stand-in latency, print the table, return the figures."""
    say = progress or (lambda _message: None)
    results: list[PagingResult] = []
    skipped: list[str] = []
    for name, factory, why in _databases(databases, postgres_url):
        if factory is None:
            skipped.append(f"{name} skipped: {why}")
            continue
        opened: AbstractContextManager[Database] = factory()
        with opened as database:
            for latency in latencies:
                say(f"paging: {targets} targets on {name}, stand-in latency {latency * 1000:g} ms")
                result, payloads = measure_liaison(database, name, targets, latency)
                result.baseline_seconds, result.baseline_rate_limited = measure_baseline(payloads, targets, latency)
                results.append(result)
    for line in format_paging(results, skipped):
        report(line)
    return paging_figures(results)


def format_paging(results: Sequence[PagingResult], skipped: Sequence[str] = ()) -> list[str]:
    """The table: per database and latency, the time until every DM is at Slack, 429s, drops, and the baseline."""
    header = (
        "database",
        "latency ms",
        "targets",
        "page() s",
        "first DM s",
        "all DMs s",
        "DMs/s",
        "429s",
        "dropped",
        "baseline s",
        "baseline 429s",
        "ratio",
    )
    rows = [
        (
            r.database,
            f"{r.latency * 1000:g}",
            f"{r.targets}",
            f"{r.page_seconds:.3f}",
            f"{r.first:.3f}",
            f"{r.seconds:.3f}",
            f"{r.per_second:,.0f}",
            f"{r.rate_limited}",
            f"{r.dropped}",
            f"{r.baseline_seconds:.3f}",
            f"{r.baseline_rate_limited}",
            f"{r.ratio:.2f}x",
        )
        for r in results
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    targets = results[0].targets if results else DEFAULT_TARGETS
    return [
        f"Paging {targets} people at once (one user group, level 1 of a policy) with Slack's per-method rate limits "
        "on in the stand-in and in the outbox; time from page() to the last DM at Slack, real clock",
        "",
        line(header),
        line(["-" * w for w in widths]),
        *(line(row) for row in rows),
        "",
        "ratio: Liaison's time to all DMs / the baseline's (a plain WebClient with RateLimitErrorRetryHandler posting "
        "the same DMs one by one); dropped and duplicated DMs fail the suite",
        *skipped,
    ]


def paging_figures(results: Sequence[PagingResult]) -> dict[str, float]:
    figures: dict[str, float] = {}
    for r in results:
        prefix = f"paging.{r.database}.{r.latency * 1000:g}ms"
        figures[f"{prefix}.seconds"] = r.seconds
        figures[f"{prefix}.first_s"] = r.first
        figures[f"{prefix}.page_s"] = r.page_seconds
        figures[f"{prefix}.settled_s"] = r.settled
        figures[f"{prefix}.per_second"] = r.per_second
        figures[f"{prefix}.rate_limited"] = float(r.rate_limited)
        figures[f"{prefix}.dropped"] = float(r.dropped)
        figures[f"{prefix}.duplicates"] = float(r.duplicates)
        figures[f"{prefix}.baseline_s"] = r.baseline_seconds
        figures[f"{prefix}.baseline_rate_limited"] = float(r.baseline_rate_limited)
        figures[f"{prefix}.ratio"] = r.ratio
    return figures
