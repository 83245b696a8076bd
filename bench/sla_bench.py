"""The SLA sweep at scale, and the sla suite's entry point (`run`): sweep cost per timer, reminder lateness.

Sweep at scale: for each database (SQLite, and PostgreSQL when reachable) and each size (default 10,000 and
1,000,000 open tickets, each with a running clock and a pending BREACH timer in the future, so the tables are big),
a fresh database is loaded and the same number of WARNING timers (default 2,000, spread over the tickets) is made
due. Only `TimerSweep.run()` is timed (it claims, re-checks and fires them in batches of 500 and queues two outbox
rows each; the outbox drain is not run). One warm-up round, then `rounds` timed rounds, each after putting the
timers back to pending and emptying the outbox. The goal: the per-timer cost at the largest size is at most 1.5x
that at the smallest, per database. Then, for information, a few BREACH timers (default 20) on other tickets made
10 min overdue are swept once: a breach re-derives the ticket's clocks and replaces their timers.

Lateness (`bench.sla_lateness`): the real scheduler fires timers falling due at 200/s for 20 s.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select, update

from bench.rig import BenchError
from bench.sla_data import (
    DEFAULT_POSTGRES,
    RESOLUTION,
    RESOLUTION_SECONDS,
    DueTimer,
    load_open_tickets,
    postgres_database,
    postgres_reachable,
    spread,
    sqlite_database,
)
from bench.sla_lateness import DEFAULT_RATE, DEFAULT_SECONDS, LatenessResult, format_lateness, run_lateness
from bench.sla_plans import StatementLog, explain
from bot.clock import SystemClock
from bot.config import LiaisonConfig
from bot.db import Database
from bot.outbox import CARD_THREAD, PLAIN
from bot.sla.service import FIRED, PENDING
from bot.sla.sweep import SlaTimers
from bot.tickets.service import TicketService
from bot.timers import TimerRegistry, TimerSweep
from models import OutboxMessage, SlaClock, Ticket, Timer

ROOT = Path(__file__).resolve().parent.parent
CONFIG_PATH = ROOT / "config" / "liaison.toml"
GOAL_RATIO = 1.5  # per-timer sweep cost at the largest size / at the smallest
DEFAULT_SIZES = (10_000, 1_000_000)
DEFAULT_DUE, DEFAULT_ROUNDS = 2_000, 3
# BREACH timers swept once per size after the WARNING rounds: a breach re-derives the ticket's clocks, replaces
# their timers and updates the card, and cannot be reset for another round. Few, as each costs far more.
DEFAULT_BREACH = 20
DATABASES = ("sqlite", "postgresql")
Say = Callable[[str], Any]


@dataclass
class SweepResult:
    """One database at one size: the load time and each timed round's `TimerSweep.run()` wall time."""

    database: str
    size: int
    due: int
    load_seconds: float
    rounds: list[float] = field(default_factory=list)
    plans: list[tuple[str, str]] = field(default_factory=list)
    breach: int = 0
    breach_seconds: float = 0.0

    @property
    def seconds(self) -> float:
        """Median round."""
        return statistics.median(self.rounds)

    @property
    def per_timer_ms(self) -> float:
        return self.seconds / self.due * 1000

    @property
    def best_per_timer_ms(self) -> float:
        return min(self.rounds) / self.due * 1000

    @property
    def breach_ms(self) -> float | None:
        return self.breach_seconds / self.breach * 1000 if self.breach else None


@dataclass
class SweepReport:
    """Every (database, size) measured, and the databases skipped with why."""

    due: int
    rounds: int
    results: list[SweepResult]
    skipped: dict[str, str]
    seconds: float

    def ratio(self, database: str, *, breach: bool = False) -> float | None:
        """Per-timer cost (WARNING, or BREACH) at the largest size over that at the smallest (None: no ratio)."""
        mine = sorted((r for r in self.results if r.database == database), key=lambda r: r.size)
        if len(mine) < 2:
            return None
        if not breach:
            return mine[-1].per_timer_ms / mine[0].per_timer_ms
        small, large = mine[0].breach_ms, mine[-1].breach_ms
        return large / small if small and large else None


def _reset(database: Database, timer_ids: range) -> None:
    """Put the due timers back to pending and empty the outbox, for the next round."""
    with database.session() as session:
        session.execute(
            update(Timer)
            .where(Timer.id.between(timer_ids.start, timer_ids.stop - 1))
            .values(state=PENDING, fired_at=None, lease_owner=None, lease_until=None)
        )
        session.execute(delete(OutboxMessage))


def _check(database: Database, timer_ids: range, handled: int) -> None:
    """Every due timer fired (none found stale) and queued its thread reply; the owners were told.

    Owner messages fold: a person with several warnings in one batch gets one summary (bot/sla/sweep.py).
    """
    due = len(timer_ids)
    with database.session() as session:
        fired = session.scalar(
            select(func.count())
            .select_from(Timer)
            .where(Timer.id.between(timer_ids.start, timer_ids.stop - 1), Timer.state == FIRED)
        )
        threads = session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.role == CARD_THREAD)
        )
        told = session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.role == PLAIN))
    if handled != due or fired != due or threads != due or not 1 <= (told or 0) <= due:
        raise BenchError(
            f"the sweep handled {handled}, fired {fired} of {due} due timers, queued {threads} thread replies "
            f"and {told} messages to the owners"
        )


def sla_sweep(database: Database, clock: SystemClock, config: LiaisonConfig) -> TimerSweep:
    """The sweep as the app builds it: a registry with the SLA kinds."""
    registry = TimerRegistry()
    SlaTimers(TicketService(database, clock, config)).register(registry)
    return TimerSweep(database, clock, registry)


def _breach_once(database: Database, sweep: TimerSweep, tickets: list[int]) -> float:
    """Make the tickets' first response 10 min overdue and their BREACH timers due; time sweeping them once."""
    now = sweep.clock.now()
    opened = now - timedelta(minutes=40)
    with database.session() as session:
        session.execute(update(Ticket).where(Ticket.id.in_(tickets)).values(created_at=opened))
        # Their resolution clocks as opened then: only first response breaches, as it would on a real ticket.
        session.execute(
            update(SlaClock)
            .where(SlaClock.ticket_id.in_(tickets), SlaClock.metric == RESOLUTION)
            .values(started_at=opened, deadline_at=opened + timedelta(seconds=RESOLUTION_SECONDS))
        )
        # The loader gives ticket n's BREACH timer the id n.
        session.execute(update(Timer).where(Timer.id.in_(tickets)).values(due_at=now - timedelta(minutes=10)))
    started = time.perf_counter()
    handled = sweep.run()
    elapsed = time.perf_counter() - started
    with database.session() as session:
        fired = session.scalar(
            select(func.count()).select_from(Timer).where(Timer.id.in_(tickets), Timer.state == FIRED)
        )
    if handled != len(tickets) or fired != len(tickets):
        raise BenchError(f"the sweep handled {handled} and fired {fired} of {len(tickets)} due BREACH timers")
    return elapsed


def measure_sweep(
    database: Database,
    size: int,
    due: int,
    rounds: int,
    config: LiaisonConfig,
    *,
    plans: bool,
    say: Say,
    breach: int = 0,
) -> SweepResult:
    """Load size tickets plus due WARNING timers, then time TimerSweep.run() once untimed and `rounds` times."""
    clock = SystemClock()
    now = clock.now()
    past = now - timedelta(minutes=1)
    wanted = [DueTimer(t, past + timedelta(microseconds=k)) for k, t in enumerate(spread(due, size))]
    began = time.perf_counter()
    ids = load_open_tickets(database, size, now=now, due=wanted, progress=say)
    result = SweepResult(database.engine.dialect.name, size, due, time.perf_counter() - began)
    timer_ids = range(ids[0], ids[-1] + 1)
    sweep = sla_sweep(database, clock, config)
    statements = StatementLog(database.engine)
    for index in range(rounds + 1):  # round 0 warms up (statement caches, page cache) and records the SQL
        if index:
            _reset(database, timer_ids)
        if index == 1 and plans:
            result.plans = explain(database.engine, statements.statements)
        with statements if index == 0 else nullcontext():
            started = time.perf_counter()
            handled = sweep.run()
            elapsed = time.perf_counter() - started
        _check(database, timer_ids, handled)
        if index:
            result.rounds.append(elapsed)
    if breach:
        warned = {d.ticket_id for d in wanted}
        others = [n for n in range(1, size + 1) if n not in warned]
        chosen = [others[i - 1] for i in spread(min(breach, len(others)), len(others))] if others else []
        result.breach = len(chosen)
        result.breach_seconds = _breach_once(database, sweep, chosen) if chosen else 0.0
    breaches = f", {result.breach_ms:.1f} ms per BREACH timer" if result.breach_ms is not None else ""
    say(
        f"  {result.database} {size:,} tickets: {result.per_timer_ms:.3f} ms per WARNING timer{breaches} "
        f"(load {result.load_seconds:.1f} s)"
    )
    return result


def _databases(names: Sequence[str], postgres_url: str) -> Iterator[tuple[str, Callable[[], Any] | None, str]]:
    for name in names:
        if name == "sqlite":
            yield name, sqlite_database, ""
        elif name == "postgresql":
            why = postgres_reachable(postgres_url)
            yield name, (None if why else (lambda: postgres_database(postgres_url))), why or ""
        else:
            raise ValueError(f"unknown database {name!r} (sqlite or postgresql)")


def run_sweep(
    sizes: Sequence[int] = DEFAULT_SIZES,
    due: int = DEFAULT_DUE,
    rounds: int = DEFAULT_ROUNDS,
    *,
    databases: Sequence[str] = DATABASES,
    postgres_url: str = DEFAULT_POSTGRES,
    plans: bool = False,
    breach: int = DEFAULT_BREACH,
    progress: Say | None = None,
) -> SweepReport:
    """Measure the sweep on every database and size; PostgreSQL is skipped (and said so) when not reachable."""
    if not sizes or min(sizes) < due or due < 1 or rounds < 1:
        raise ValueError("need sizes of at least `due` tickets, due >= 1 and rounds >= 1")
    say = progress or (lambda _message: None)
    config = LiaisonConfig.load(CONFIG_PATH)
    started = time.perf_counter()
    report = SweepReport(due, rounds, [], {}, 0.0)
    for name, factory, why in _databases(databases, postgres_url):
        if factory is None:
            report.skipped[name] = why
            say(f"sla sweep: {name} skipped: {why}")
            continue
        for size in sorted(sizes):
            say(f"sla sweep: {name}, {size:,} open tickets, {due:,} due timers")
            with factory() as database:
                result = measure_sweep(database, size, due, rounds, config, plans=plans, say=say, breach=breach)
                report.results.append(result)
    report.seconds = time.perf_counter() - started
    return report


def format_sweep(report: SweepReport, *, plans: bool = False) -> str:
    """The sweep table, the goal per database, and (plans) the query plans."""
    header = (
        "database",
        "open tickets",
        "load s",
        "sweep s",
        "per timer ms",
        "best ms",
        "WARNING/s",
        "BREACH ms",
        "BREACH/s",
    )
    rows = [
        (
            r.database,
            f"{r.size:,}",
            f"{r.load_seconds:.1f}",
            f"{r.seconds:.2f}",
            f"{r.per_timer_ms:.3f}",
            f"{r.best_per_timer_ms:.3f}",
            f"{1000 / r.per_timer_ms:,.0f}",
            "-" if r.breach_ms is None else f"{r.breach_ms:.1f} (n={r.breach})",
            "-" if r.breach_ms is None else f"{1000 / r.breach_ms:,.0f}",
        )
        for r in report.results
    ]
    out = [
        f"SLA sweep at scale: {report.due:,} due WARNING timers per round, TimerSweep.run() only (no outbox drain), "
        f"median of {report.rounds} rounds after 1 warm-up ({report.seconds:.1f} s in all)",
        "",
        *_table(header, rows),
        "",
    ]
    for name in dict.fromkeys(r.database for r in report.results):
        ratio = report.ratio(name)
        sizes = sorted(r.size for r in report.results if r.database == name)
        if ratio is None:
            out.append(f"goal: {name}: one size only, no ratio")
            continue
        verdict = "met" if ratio <= GOAL_RATIO else "NOT MET"
        out.append(
            f"goal: {name} per-timer cost at {sizes[-1]:,} tickets <= {GOAL_RATIO}x that at {sizes[0]:,}: "
            f"{ratio:.2f}x, {verdict}"
        )
        breach_ratio = report.ratio(name, breach=True)
        if breach_ratio is not None:
            verdict = "met" if breach_ratio <= GOAL_RATIO else "NOT MET"
            out.append(
                f"      {name} BREACH timers (swept once per size, for information): {breach_ratio:.2f}x, {verdict}"
            )
    for name, why in report.skipped.items():
        out.append(f"{name}: skipped ({why})")
    if plans:
        for r in report.results:
            for sql, plan in r.plans:
                out += ["", f"-- {r.database}, {r.size:,} tickets: {sql[:300]}", plan]
    return "\n".join(out)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    return [line(header), line(["-" * w for w in widths]), *(line(row) for row in rows)]


def sweep_figures(report: SweepReport) -> dict[str, float]:
    figures: dict[str, float] = {}
    for r in report.results:
        figures[f"sla.sweep.{r.database}.{r.size}.per_timer_ms"] = r.per_timer_ms
        figures[f"sla.sweep.{r.database}.{r.size}.warnings_per_s"] = 1000 / r.per_timer_ms
        figures[f"sla.sweep.{r.database}.{r.size}.load_s"] = r.load_seconds
        if r.breach_ms is not None:
            figures[f"sla.sweep.{r.database}.{r.size}.breach_ms"] = r.breach_ms
            figures[f"sla.sweep.{r.database}.{r.size}.breaches_per_s"] = 1000 / r.breach_ms
    for name in dict.fromkeys(r.database for r in report.results):
        ratio = report.ratio(name)
        if ratio is not None:
            figures[f"sla.sweep.{name}.ratio"] = ratio
        breach_ratio = report.ratio(name, breach=True)
        if breach_ratio is not None:
            figures[f"sla.sweep.{name}.breach_ratio"] = breach_ratio
    return figures


def lateness_figures(result: LatenessResult) -> dict[str, float]:
    figures = {f"sla.lateness.{k}_s": v for k, v in result.fired_percentiles().items()}
    figures |= {f"sla.thread_arrival.{k}_s": v for k, v in result.thread_percentiles().items()}
    figures |= {f"sla.owner_arrival.{k}_s": v for k, v in result.owner_percentiles().items()}
    figures["sla.lateness.unfired"] = float(result.unfired)
    return figures


def run(
    report: Say = print,
    *,
    sizes: Sequence[int] = DEFAULT_SIZES,
    due: int = DEFAULT_DUE,
    rounds: int = DEFAULT_ROUNDS,
    databases: Sequence[str] = DATABASES,
    postgres_url: str = DEFAULT_POSTGRES,
    rate: float = DEFAULT_RATE,
    seconds: float = DEFAULT_SECONDS,
    plans: bool = False,
    breach: int = DEFAULT_BREACH,
    progress: Say | None = None,
) -> dict[str, float]:
    """The sla suite: the sweep at scale, then reminder lateness; reports both tables, returns the figures."""
    sweep = run_sweep(
        sizes,
        due,
        rounds,
        databases=databases,
        postgres_url=postgres_url,
        plans=plans,
        breach=breach,
        progress=progress,
    )
    report(format_sweep(sweep, plans=plans))
    lateness = run_lateness(rate, seconds, progress=progress)
    report("")
    report(format_lateness(lateness))
    return sweep_figures(sweep) | lateness_figures(lateness)
