"""The events suite: message events, Liaison against a bare Bolt app whose message listener does nothing.

Set up like the http suite (bench/http_latency.py): one process starts the Slack stand-in with the demo workspace
(`bot/local/workspace.py`: #acme-shared is Acme's shared channel, wile is Acme's, alice, bob and dave are agents),
Liaison's real `create_app(...)` with the shipped policy file `config/liaison.toml` (Acme, premium, in #acme-shared,
`open_on = "message"`, its SLA policies) on a freshly migrated SQLite file, and the bare app: `bench.rig.bare_bolt`
(Liaison's App options) plus an `app.event("message")` listener that does nothing. Both sit behind the same WSGI
adapter and threaded server on loopback.

Each request is an `event_callback` as Slack sends it: a person's message posted in the stand-in first (encoded as
Slack's client sends it), then wrapped in `SlackDriver`'s envelope as `SlackDriver.user_message` does, signed. Bodies
are built before the clock starts; rounds alternate the apps and which of them goes first. Workloads:

1. carol writes in #general, a channel that is no customer's: Liaison looks the channel up and ignores it;
2. wile writes a top-level message in #acme-shared: Liaison opens a ticket (its clocks, card and status line queued);
3. wile replies in the thread of one of those tickets: Liaison records a customer message (the clocks move).

Every answer must be HTTP 200, Liaison must have opened one ticket per message of (2) and recorded one customer
message per reply of (3), and (1) must have changed nothing, or the suite fails (BenchError: exit 1).
"""

from __future__ import annotations

import gc
import json
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from sqlalchemy import func, select

from app import Liaison, create_app, settle
from bench.http_latency import GOAL, SIDES, Request, Workload, WorkloadResult
from bench.rig import EVENTS_PATH, ROOT, SIGNING_SECRET, BenchError, bare_bolt, bare_wsgi, migrate
from bot.config import LiaisonConfig
from bot.local.driver import DriverResponse, SlackDriver
from bot.local.serve import BackgroundServer
from bot.local.standin import SlackStandIn
from bot.local.workspace import CUSTOMER, GENERAL, seed
from bot.settings import Settings
from bot.tickets.rules import CUSTOMER_MESSAGE
from handlers.http import WSGIApp
from models import Ticket, TicketEvent

CONFIG_PATH = ROOT / "config" / "liaison.toml"
CAROL, WILE = "U0CAROL01", "U0WILE001"  # a colleague who is no agent, and a person of the customer Acme
DEFAULT_REQUESTS, DEFAULT_WARMUP = 500, 50  # as the http suite: p99 is the 5th slowest of 500
UNRELATED, OPENS, REPLY = (
    "message in an unrelated channel",
    "customer message opens a ticket",
    "customer reply in a ticket thread",
)
WORKLOADS = (UNRELATED, OPENS, REPLY)


@dataclass
class EventsRig:
    standin: SlackStandIn
    liaison: Liaison
    drivers: dict[str, SlackDriver]
    roots: list[str] = field(default_factory=list)  # ts of the customer messages Liaison opened tickets from

    def counts(self) -> tuple[int, int]:
        """Liaison's tickets, and the customer messages recorded on them."""
        with self.liaison.services.database.session() as session:
            tickets = session.scalar(select(func.count()).select_from(Ticket))
            said = select(func.count()).select_from(TicketEvent).where(TicketEvent.kind == CUSTOMER_MESSAGE)
            return int(tickets or 0), int(session.scalar(said) or 0)

    def event_body(self, side: str, user: str, channel: str, text: str, thread_ts: str | None = None) -> bytes:
        """The person posts text in the stand-in; the body Slack sends `side` for it (as SlackDriver.user_message)."""
        ts = self.standin.post_user_message(channel, user, text, thread_ts=thread_ts)
        info = self.standin.channel(channel) or {}
        kind = "im" if info.get("is_im") else "group" if info.get("is_private") else "channel"
        event = {**self.standin.slack_message(channel, ts), "channel": channel, "event_ts": ts, "channel_type": kind}
        envelope = self.drivers[side]._envelope(event, f"Ev{uuid.uuid4().hex[:10].upper()}")
        if side == "liaison" and channel == CUSTOMER and thread_ts is None:
            self.roots.append(ts)
        return json.dumps(envelope).encode()


def bare_events_app(standin: SlackStandIn) -> WSGIApp:
    """The http suite's bare app (Liaison's App options) with a message listener that does nothing."""
    bolt: App = bare_bolt(WebClient(token=standin.bot_token, base_url=standin.api_url, timeout=10), SIGNING_SECRET)

    @bolt.event("message")
    def _message() -> None:  # Bolt acknowledges events itself, before or after the listener as Liaison's
        return None

    return bare_wsgi(bolt)


@contextmanager
def build_rig(database_url: str | None = None) -> Iterator[EventsRig]:
    """The stand-in, Liaison on the shipped policy file and the bare app; database_url None: a temp SQLite file."""
    with ExitStack() as stack:
        if database_url is None:
            folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="liaison-events-bench-"))
            database_url = f"sqlite:///{Path(folder) / 'bench.db'}"
        migrate(database_url)
        standin = SlackStandIn()
        seed(standin)
        standin.start()
        stack.callback(standin.stop)
        config = LiaisonConfig.load(CONFIG_PATH)
        if not any(account.channel == CUSTOMER for account in config.customers.accounts):
            raise BenchError(f"{CONFIG_PATH.name} names no customer in the shared channel {CUSTOMER}")
        settings = Settings(
            bot_token=standin.bot_token,
            signing_secret=SIGNING_SECRET,
            app_token=None,
            api_url=standin.api_url,
            database_url=database_url,
            port=0,
            config_path=CONFIG_PATH,
        )
        liaison = create_app(settings, config=config)
        stack.callback(liaison.services.database.dispose)
        servers = {"bare": BackgroundServer(bare_events_app(standin)), "liaison": BackgroundServer(liaison.wsgi)}
        drivers = {}
        for side, server in servers.items():
            server.start()
            stack.callback(server.stop)
            url = f"{server.url}{EVENTS_PATH.lstrip('/')}"
            drivers[side] = SlackDriver(events_url=url, signing_secret=SIGNING_SECRET, standin=standin)
        settle()  # as a Liaison process does once started (app.py); it serves both apps here
        stack.callback(gc.unfreeze)
        yield EventsRig(standin, liaison, drivers)


def _check(what: str) -> Callable[[DriverResponse], None]:
    def check(response: DriverResponse) -> None:
        if response.status != 200:
            raise BenchError(f"{what}: answered HTTP {response.status}: {response.text[:300]}")

    return check


def workloads(rig: EventsRig) -> list[Workload]:
    """The three workloads; each request is a fresh message, for either app."""

    def unrelated(side: str, index: int) -> Request:
        body = rig.event_body(side, CAROL, GENERAL, f"Lunch at noon today? ({index})")
        return Request(body, _check(f"{side} {UNRELATED}"))

    def opens(side: str, index: int) -> Request:
        text = f"Checkout fails with error 502 since 9:00 ({side} {index})\nOrder ACME-{index:05d} cannot be paid."
        return Request(rig.event_body(side, WILE, CUSTOMER, text), _check(f"{side} {OPENS}"))

    def reply(side: str, index: int) -> Request:
        if not rig.roots:
            raise BenchError(f"{REPLY}: no ticket thread to reply in (run {OPENS} first)")
        root = rig.roots[index % len(rig.roots)]
        body = rig.event_body(side, WILE, CUSTOMER, f"Still failing for order ACME-{index:05d}.", thread_ts=root)
        return Request(body, _check(f"{side} {REPLY}"))

    return [Workload(UNRELATED, unrelated), Workload(OPENS, opens), Workload(REPLY, reply)]


def measure(rig: EventsRig, workload: Workload, requests: int, warmup: int) -> WorkloadResult:
    """warmup + requests interleaved rounds of workload on both apps; the timed ones kept (as the http suite)."""
    result = WorkloadResult(workload.name)
    for index in range(warmup + requests):
        for side in SIDES if index % 2 == 0 else SIDES[::-1]:
            request = workload.prepare(side, index)
            driver = rig.drivers[side]
            response = driver.post_raw(request.body, {"Content-Type": "application/json", **driver.sign(request.body)})
            request.check(response)
            if index >= warmup:
                getattr(result, side).append(response.elapsed)
    return result


@dataclass
class EventsReport:
    requests: int
    warmup: int
    database: str
    results: list[WorkloadResult]
    opened: int
    said: int
    seconds: float


def run(
    requests: int = DEFAULT_REQUESTS,
    warmup: int = DEFAULT_WARMUP,
    database_url: str | None = None,
    *,
    progress: Callable[[str], Any] | None = None,
) -> EventsReport:
    """Measure every workload on both apps; raises BenchError when an event is not handled as it should be."""
    if requests < 1 or warmup < 0:
        raise ValueError("requests must be at least 1 and warmup at least 0")
    say = progress or (lambda _message: None)
    started, rounds = time.perf_counter(), requests + warmup
    with build_rig(database_url) as rig:
        results = []
        # Each workload must do what it says to Liaison's database: (tickets, customer messages) it adds.
        expected = {UNRELATED: (0, 0), OPENS: (rounds, 0), REPLY: (0, rounds)}
        for workload in workloads(rig):
            say(f"measuring {workload.name} ({warmup} warmup + {requests} rounds)")
            before = rig.counts()
            results.append(measure(rig, workload, requests, warmup))
            added = tuple(after - prior for after, prior in zip(rig.counts(), before, strict=True))
            if added != expected[workload.name]:
                raise BenchError(
                    f"{workload.name}: Liaison added {added[0]} tickets and {added[1]} customer messages, "
                    f"not {expected[workload.name][0]} and {expected[workload.name][1]}"
                )
        opened, said = rig.counts()
        database = rig.liaison.services.database.engine.dialect.name
    return EventsReport(requests, warmup, database, results, opened, said, time.perf_counter() - started)


def format_report(report: EventsReport) -> str:
    """The http suite's table for the message events, then the verdict against its goal."""
    header = ("workload", "bare p50", "bare p99", "Liaison p50", "Liaison p99", "p50 ratio", "p99 ratio")
    rows = [
        (r.name, *(f"{getattr(r, p)(side) * 1000:.2f}" for side in SIDES for p in ("p50", "p99")),
         f"{r.p50_ratio:.2f}x", f"{r.ratio:.2f}x")
        for r in report.results
    ]  # fmt: skip
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    missed = [f"{r.name} {r.ratio:.2f}x" for r in report.results if not r.meets_goal]
    verdict = f"NOT MET ({'; '.join(missed)})" if missed else "met for every workload"
    return "\n".join([
        f"Message events, ms per request ({report.requests} timed + {report.warmup} warmup rounds per workload, "
        f"database {report.database}, {report.seconds:.1f} s in all)",
        "",
        line(header),
        line(["-" * w for w in widths]),
        *(line(row) for row in rows),
        "",
        f"Liaison opened {report.opened} tickets and recorded {report.said} customer messages; every event got 200",
        f"goal: Liaison p99 <= {GOAL}x the bare app's: {verdict}",
    ])  # fmt: skip
