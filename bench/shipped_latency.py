"""Latency in the shipped configuration: the Procfile's `web:` process serving Liaison, and the same gunicorn
command line serving a bare Bolt app that only acks, each against the Slack stand-in, driven by `CLIENTS`
concurrent clients with signed requests; then the outbox backlog drain after an outage (bench/backlog.py).

Requests go in batches: the clients send `BATCH` requests each to one app, then to the other, the order swapping
every batch, so drift on the machine hits both apps alike. Every request is timed client-side from connect to the
last byte of the answer; bodies are built and signed before the clock starts.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bench import shipped
from bench.backlog import DEFAULT_CHANNELS, DEFAULT_MESSAGES, BacklogResult, format_backlog, measure_backlog
from bench.http_latency import GOAL, SIDES, WorkloadResult, _expect
from bench.rig import (
    AGENT,
    NEW_TICKET,
    BenchError,
    customer_values,
    form_body,
    form_headers,
    submission_payload,
    submitted_state,
)
from bench.sla_data import DEFAULT_POSTGRES, postgres_database, postgres_reachable
from bot.db import Database
from bot.local.driver import DriverResponse, SlackDriver
from bot.local.standin import SlackStandIn
from bot.local.workspace import seed
from bot.migrate import upgrade
from bot.outbox import PENDING
from models import OutboxMessage, Ticket
from tests.shipped.helpers import command_body, worker_count

CLIENTS, BATCH = 8, 5  # concurrent clients, and requests each sends per batch
DEFAULT_REQUESTS, DEFAULT_WARMUP = 400, 40  # per app and workload: p99 is the 4th-slowest of 400
DATABASES = ("sqlite", "postgresql")
SEED_TICKETS = 12
SEED_DELIVERY = 120.0  # seconds the seed's messages may take to reach the stand-in at Slack's pace


@dataclass
class DatabaseReport:
    """One database's figures, or why it was skipped."""

    database: str
    results: list[WorkloadResult] = field(default_factory=list)
    backlog: BacklogResult | None = None
    skipped: str | None = None

    @property
    def meets_goal(self) -> bool:
        return all(r.meets_goal for r in self.results)


@dataclass
class ShippedReport:
    requests: int
    warmup: int
    workers: int
    argv: str
    databases: list[DatabaseReport]
    seconds: float


Send = tuple[bytes, Callable[[DriverResponse], None]]  # a prepared body, and its (untimed) check


@dataclass
class Apps:
    """Both web processes of one database, their drivers, and what the workloads need."""

    standin: SlackStandIn
    drivers: dict[str, SlackDriver]
    database: Database
    tag: str

    def tickets(self) -> int:
        with self.database.session() as session:
            return int(session.scalar(select(func.count(Ticket.id))) or 0)

    def delivered(self, timeout: float = SEED_DELIVERY) -> None:
        """Wait until the outbox has nothing pending (the seed's cards and threads went out at Slack's pace), so
        the workloads are timed against their own work, not the seed's."""
        deadline = time.monotonic() + timeout
        while True:
            with self.database.session() as session:
                pending = session.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.state == PENDING))
            if not pending:
                return
            if time.monotonic() > deadline:
                raise BenchError(f"the seed's {pending} outbox messages were not delivered within {timeout:.0f} s")
            time.sleep(0.2)

    def modal(self, subject: str) -> dict[str, Any]:
        """Run `/ticket new subject` against Liaison (untimed) and return the modal it opened in the stand-in."""
        response = self.drivers["liaison"].command(AGENT, f"new {subject}")
        stack = self.standin.view_stack(AGENT)
        if response.status != 200 or not stack or stack[-1].get("callback_id") != NEW_TICKET:
            raise BenchError(f"/ticket new did not open the modal: {response.status} {response.text[:200]}")
        return stack[-1]


def command(apps: Apps, text: str, expect: str) -> tuple[str, Callable[[str, int], Send]]:
    """`/ticket text`: one body for both apps; Liaison's ack must carry expect."""
    body = command_body(apps.drivers["liaison"], AGENT, text)
    name = f"/ticket {text}"

    def prepare(side: str, index: int) -> Send:
        if side == "bare":
            return body, lambda response: _expect(f"bare {name}", response)
        return body, lambda response: _expect(f"Liaison {name}", response, contains=expect)

    return name, prepare


def modal(apps: Apps) -> tuple[str, Callable[[str, int], Send]]:
    """Submitting the new-ticket modal: one modal opened by Liaison, submitted under a fresh view id each time
    (the view id is what makes a submission a new ticket rather than a retry)."""
    view = apps.modal("Shipped benchmark ticket")
    state = submitted_state(view, customer_values(view))
    apps.standin.close_view(AGENT, clear=True)

    def prepare(side: str, index: int) -> Send:
        fresh = view | {"id": f"{view['id']}-{apps.tag}-{side}-{index}"}
        body = form_body(submission_payload(apps.standin, apps.drivers[side], fresh, state))
        return body, lambda response: _expect(f"{side} view_submission", response, empty=True)

    return f"view_submission {NEW_TICKET}", prepare


def measure(
    apps: Apps, pool: ThreadPoolExecutor, name: str, prepare: Callable[[str, int], Send], requests: int, warmup: int
) -> WorkloadResult:
    """Warmup, then timed batches alternating the apps; CLIENTS clients send BATCH requests each per batch."""
    result = WorkloadResult(name)
    counter = 0
    for phase, total in (("warmup", warmup), ("timed", requests)):
        done, round_ = 0, 0
        while done < total:
            size = min(CLIENTS * BATCH, total - done)
            for side in SIDES if round_ % 2 == 0 else SIDES[::-1]:
                sends = [prepare(side, counter + i) for i in range(size)]
                times = _batch(pool, apps.drivers[side], sends)
                if phase == "timed":
                    getattr(result, side).extend(times)
            counter, done, round_ = counter + size, done + size, round_ + 1
    return result


def _batch(pool: ThreadPoolExecutor, driver: SlackDriver, sends: list[Send]) -> list[float]:
    def client(mine: list[Send]) -> list[float]:
        elapsed = []
        for body, check in mine:
            response = driver.post_raw(body, form_headers(driver, body))
            check(response)
            elapsed.append(response.elapsed)
        return elapsed

    futures = [pool.submit(client, sends[n::CLIENTS]) for n in range(CLIENTS)]
    return [t for future in futures for t in future.result()]


def _seed(apps: Apps) -> str:
    """Open SEED_TICKETS tickets through the modal and add two notes to the first; return its key."""
    liaison = apps.drivers["liaison"]
    first = None
    for number in range(SEED_TICKETS):
        view = apps.modal(f"Seeded ticket {number + 1}")
        body = form_body(submission_payload(apps.standin, liaison, view, submitted_state(view, customer_values(view))))
        _expect("seeding view_submission", liaison.post_raw(body, form_headers(liaison, body)), empty=True)
        apps.standin.close_view(AGENT, clear=True)
        with apps.database.session() as session:
            first = first or f"T-{session.scalar(select(func.max(Ticket.id)))}"
    assert first is not None
    for note in ("Customer on the legacy plan.", "Escalated to payments."):
        _expect("seeding /ticket note", liaison.command(AGENT, f"note {first} {note}"))
    return first


@contextmanager
def _database(name: str, database_url: str | None) -> Iterator[str | None]:
    """A migrated database URL for name (None: skipped); database_url is used when it is of that kind."""
    if database_url is not None and database_url.startswith(name):
        upgrade(database_url)
        yield database_url
    elif name == "sqlite":
        with tempfile.TemporaryDirectory(prefix="liaison-shipped-") as folder:
            url = f"sqlite:///{Path(folder) / 'shipped.db'}"
            upgrade(url)
            yield url
    elif postgres_reachable(DEFAULT_POSTGRES) is not None:
        yield None
    else:
        with postgres_database(DEFAULT_POSTGRES) as database:
            yield database.url


def run_database(
    name: str, url: str, requests: int, warmup: int, backlog: int, say: Callable[[str], Any]
) -> tuple[DatabaseReport, list[str]]:
    """Both apps on one database: the three workloads, then the backlog; returns the report and the command line."""
    report = DatabaseReport(name)
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="liaison-shipped-")))
        standin = SlackStandIn()
        seed(standin)
        standin.start()
        stack.callback(standin.stop)
        say(f"{name}: starting the Procfile's web process for Liaison and for the bare app")
        processes = {
            "liaison": shipped.start("liaison", standin, url, folder),
            "bare": shipped.start("bare", standin, url, folder, app=shipped.BARE_APP),
        }
        for process in processes.values():
            stack.callback(process.stop)
        database = Database(url)
        stack.callback(database.dispose)
        drivers = {side: shipped.driver(process, standin) for side, process in processes.items()}
        apps = Apps(standin, drivers, database, tag=f"{os.getpid()}x{time.time_ns()}")
        if backlog:
            say(f"{name}: outbox backlog of {backlog} messages after an outage")
            workers = processes["liaison"].workers
            report.backlog = measure_backlog(standin, url, workers, messages=backlog, channels=DEFAULT_CHANNELS)
        first = _seed(apps)
        say(f"{name}: waiting for the seed's messages to reach the stand-in")
        apps.delivered()
        workloads = [command(apps, f"show {first}", first), command(apps, "list", "Open tickets"), modal(apps)]
        with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
            for workload_name, prepare in workloads:
                say(f"{name}: {workload_name} ({warmup} warmup + {requests} requests per app, {CLIENTS} clients)")
                before = apps.tickets()
                report.results.append(measure(apps, pool, workload_name, prepare, requests, warmup))
                if workload_name.startswith("view_submission") and apps.tickets() - before != requests + warmup:
                    raise BenchError(f"{requests + warmup} modal submissions opened {apps.tickets() - before} tickets")
        return report, processes["liaison"].argv


def run(
    requests: int = DEFAULT_REQUESTS,
    warmup: int = DEFAULT_WARMUP,
    databases: Sequence[str] = DATABASES,
    database_url: str | None = None,
    *,
    backlog: int = DEFAULT_MESSAGES,
    progress: Callable[[str], Any] | None = None,
) -> ShippedReport:
    """Measure every database asked for; PostgreSQL is skipped (and says why) when its server does not answer."""
    if requests < 1 or warmup < 0 or backlog < 0:
        raise ValueError("requests must be at least 1, warmup and backlog at least 0")
    say = progress or (lambda _message: None)
    started, reports, argv = time.perf_counter(), [], []
    for name in databases:
        with _database(name, database_url) as url:
            if url is None:
                reports.append(DatabaseReport(name, skipped=f"no server at {DEFAULT_POSTGRES}"))
                continue
            report, argv = run_database(name, url, requests, warmup, backlog, say)
            reports.append(report)
    workers = worker_count(argv) if argv else 0
    return ShippedReport(requests, warmup, workers, " ".join(argv), reports, time.perf_counter() - started)


def format_report(report: ShippedReport) -> str:
    """One table for every database, the verdict per database, and the backlog lines."""
    header = ("database", "workload", "bare p50", "bare p99", "Liaison p50", "Liaison p99", "p50 ratio", "p99 ratio")
    rows = [
        (
            d.database,
            r.name,
            *(f"{v * 1000:.2f}" for v in (r.p50("bare"), r.p99("bare"), r.p50("liaison"), r.p99("liaison"))),
            f"{r.p50_ratio:.2f}x",
            f"{r.ratio:.2f}x",
        )
        for d in report.databases
        for r in d.results
    ]
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    out = [
        f"Shipped configuration, ms per request: `{report.argv}` ({report.workers} workers) for Liaison and for a "
        f"bare Bolt app, {CLIENTS} concurrent clients, {report.requests} timed + {report.warmup} warmup requests "
        f"per app and workload ({report.seconds:.1f} s in all)",
        "",
        line(header),
        line(["-" * w for w in widths]),
        *(line(row) for row in rows),
        "",
    ]
    for d in report.databases:
        if d.skipped:
            out.append(f"{d.database}: skipped ({d.skipped})")
            continue
        missed = [f"{r.name} {r.ratio:.2f}x" for r in d.results if not r.meets_goal]
        verdict = f"NOT MET ({'; '.join(missed)})" if missed else "met for every workload"
        out.append(f"goal ({d.database}): Liaison p99 <= {GOAL}x the bare app's: {verdict}")
    out += [format_backlog(d.database, d.backlog) for d in report.databases if d.backlog is not None]
    return "\n".join(out)
