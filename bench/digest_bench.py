"""The digest suite: the manager digest's figures over 1,000,000 tickets, SQL aggregates against the naive way.

Per database (a fresh SQLite file; on PostgreSQL a private database, or the one `--digest-postgres-url` names, as in
the sla suite), a migrated schema gets `tickets` tickets created over the year before NOW, `period` of them in the
7 days before it, each with its first-response and resolution clocks, the status changes the reopen count reads
and a few incidents; then ANALYZE. After one warm-up, each workload runs `rounds` times in a fresh session:
`compute(...)` for the 7 days (all tickets, and `tier:premium`), `daily(...)` for the chart's 14 days, and the
baseline the issue rules out: the period's clocks loaded through the ORM with their tickets and customers, and the
headline figures (breaches by policy, priority, tier and agent; achievement; median and p90 times; solved) computed
in Python loops. Both ways must agree on those figures, for both filters, or the suite fails (BenchError).
Goal: `compute(...)` under 1 s on PostgreSQL. The data and its generator are in bench/digest_data.py.
"""

from __future__ import annotations

import statistics
import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from bench.digest_data import NOW, WEEK, Say, generate, policy_book
from bench.rig import BenchError
from bench.sla_bench import _databases, _table
from bench.sla_data import DEFAULT_POSTGRES
from bot.db import Database
from bot.digests.figures import Figures, compute, daily
from bot.digests.filters import Filter
from bot.digests.service import CHART_DAYS, day_bounds
from bot.sla.policy import FIRST_RESPONSE, METRICS, RESOLUTION
from models import SlaClock, Ticket

DEFAULT_TICKETS, DEFAULT_PERIOD, DEFAULT_ROUNDS = 1_000_000, 100_000, 5
DATABASES = ("sqlite", "postgresql")
GOAL_MS = 1000.0  # compute(...) on PostgreSQL
EVERYTHING, PREMIUM = Filter(), Filter(tiers=frozenset({"premium"}))
WORKLOADS = ("compute 7 days", "compute 7 days, tier:premium", "daily 14 days", "naive ORM + Python 7 days")


def headline(figures: Figures) -> dict[str, Any]:
    """The figures both ways compute, in one comparable shape."""
    return {
        "breaches": figures.breaches,
        "solved": figures.solved,
        "by": {name: sorted((c.label, c.count) for c in counts) for name, counts in figures.breaches_by.items()},
        "achievement": [(a.metric, a.met, a.breached) for a in figures.achievement],
        "timings": [(t.metric, t.count, t.median, t.p90) for t in figures.timings],
    }


def naive_rows(session: Session, start: datetime, end: datetime) -> list[Any]:
    """The naive way: every clock that breached or stopped in the period, with its ticket and customer, as objects."""
    in_period = [and_(column >= start, column < end) for column in (SlaClock.breached_at, SlaClock.stopped_at)]
    query = select(SlaClock, Ticket).join(Ticket, Ticket.id == SlaClock.ticket_id).where(or_(*in_period))
    return list(session.execute(query).tuples())


def naive_headline(rows: Sequence[Any], start: datetime, end: datetime, wanted: Filter = EVERYTHING) -> dict[str, Any]:
    """The headline figures from loaded objects, in Python loops (only the tier filter, which the bench uses)."""
    breaches, met, breached, times = Counter(), Counter(), Counter(), {FIRST_RESPONSE: [], RESOLUTION: []}
    by: dict[str, Counter[str]] = {name: Counter() for name in ("policy", "priority", "tier", "agent")}
    solved = 0
    for clock, ticket in rows:
        if wanted.tiers and ticket.customer.tier not in wanted.tiers:
            continue
        if clock.breached_at is not None and start <= clock.breached_at < end:
            breaches["all"] += 1
            breached[clock.metric] += 1
            for name, label in zip(
                by, (clock.policy, ticket.priority, ticket.customer.tier, ticket.assignee_id), strict=True
            ):
                by[name][label or ""] += 1
        if clock.stopped_at is not None and start <= clock.stopped_at < end:
            solved += clock.metric == RESOLUTION
            met[clock.metric] += clock.state == "met"
            if clock.metric in times and clock.elapsed_seconds is not None:
                times[clock.metric].append(clock.elapsed_seconds)
    timings = []
    for metric, values in times.items():
        if values:
            values.sort()
            n = len(values)
            median, p90 = values[(n + 1) // 2 - 1], values[(n * 9 + 9) // 10 - 1]
            timings.append((metric, n, timedelta(seconds=median), timedelta(seconds=p90)))
    return {
        "breaches": breaches["all"],
        "solved": solved,
        "by": {name: sorted(counts.items()) for name, counts in by.items()},
        "achievement": [(m, met[m], breached[m]) for m in METRICS if met[m] or breached[m]],
        "timings": timings,
    }


def _naive(session: Session, start: datetime) -> tuple[list[Any], dict[str, Any]]:
    rows = naive_rows(session, start, NOW)
    return rows, naive_headline(rows, start, NOW)


def _rounds(database: Database, work: Callable[[Session], Any], rounds: int) -> tuple[list[float], Any]:
    """One untimed warm-up, then `rounds` timed calls, each in a fresh session (no identity map carried over)."""
    times, result = [], None
    for index in range(rounds + 1):
        with database.session() as session:
            began = time.perf_counter()
            result = work(session)
            elapsed = time.perf_counter() - began
        if index:
            times.append(elapsed * 1000)
    return times, result


def measure(database: Database, tickets: int, period: int, rounds: int, *, say: Say) -> dict[str, Any]:
    """Generate the data, then time each workload and check that both ways agree."""
    name = database.engine.dialect.name
    result: dict[str, Any] = {"database": name, **generate(database, tickets, period, say=say)}
    book, start, bounds = policy_book(), NOW - timedelta(seconds=WEEK), day_bounds(NOW, "UTC", CHART_DAYS)
    say(f"  {name}: timing {', '.join(WORKLOADS)}")
    work = [
        lambda s: compute(s, book, start, NOW, NOW),
        lambda s: compute(s, book, start, NOW, NOW, PREMIUM),
        lambda s: daily(s, bounds),
        lambda s: _naive(s, start),
    ]
    outcomes = []
    for workload, job in zip(WORKLOADS, work, strict=True):
        times, outcome = _rounds(database, job, rounds)
        result[workload] = times
        outcomes.append(outcome)
    everything, premium, _series, (rows, naive) = outcomes
    if everything.created != period:
        raise BenchError(
            f"{name}: compute counted {everything.created:,} tickets created in the period, not {period:,}"
        )
    for wanted, figures, theirs in (
        (EVERYTHING, everything, naive),
        (PREMIUM, premium, naive_headline(rows, start, NOW, PREMIUM)),
    ):
        if headline(figures) != theirs:
            diff = {k: (v, theirs[k]) for k, v in headline(figures).items() if v != theirs[k]}
            raise BenchError(f"{name}: SQL and naive figures disagree ({wanted.describe()}): {diff}")
    result["agreed"] = headline(everything)
    return result


def format_report(results: Sequence[dict[str, Any]], skipped: dict[str, str], tickets: int, period: int) -> str:
    """The table (median and max ms per database and workload), then per database the data and the agreement."""
    rows = [(f"{r['database']:<10}  {w}", f"{statistics.median(r[w]):,.1f}", f"{max(r[w]):,.1f}")
            for r in results for w in WORKLOADS]  # fmt: skip
    lines = _table(("database    workload", "median ms", "max ms"), rows)
    rounds = len(results[0][WORKLOADS[0]]) if results else 0
    out = [f"Digest figures over {tickets:,} tickets ({period:,} created in the 7 days measured), median and max of "
           f"{rounds} rounds after 1 warm-up", "", *lines, ""]  # fmt: skip
    for r in results:
        sql, naive = (statistics.median(r[w]) for w in (WORKLOADS[0], WORKLOADS[3]))
        agreed = r["agreed"]
        achievement = ", ".join(f"{m} {met:,} met/{b:,} breached" for m, met, b in agreed["achievement"])
        out.append(
            f"{r['database']}: generated {tickets:,} tickets, {r['clocks']:,} clocks, {r['events']:,} events in "
            f"{r['generate_s']:.1f} s (+ ANALYZE {r['analyze_s']:.1f} s)"
        )
        out.append(
            f"{r['database']}: baseline/SQL {naive / sql:.1f}x; naive and SQL agree (all tickets and tier:premium): "
            f"{agreed['breaches']:,} breaches, {agreed['solved']:,} solved, {achievement}"
        )
    for r in results:
        if r["database"] == "postgresql":
            medians = [statistics.median(r[w]) for w in WORKLOADS[:2]]
            verdict = "met" if max(medians) < GOAL_MS else "NOT MET"
            out.append(
                f"goal: postgresql compute() under {GOAL_MS / 1000:g} s: {medians[0]:,.0f} ms (all tickets), "
                f"{medians[1]:,.0f} ms (tier:premium), {verdict}"
            )
    out += [f"{name}: skipped ({why})" for name, why in skipped.items()]
    return "\n".join(out)


def run(
    report: Say = print,
    *,
    tickets: int = DEFAULT_TICKETS,
    period: int = DEFAULT_PERIOD,
    rounds: int = DEFAULT_ROUNDS,
    databases: Sequence[str] = DATABASES,
    postgres_url: str = DEFAULT_POSTGRES,
    progress: Say | None = None,
) -> dict[str, float]:
    """The digest suite: reports the table, returns the figures."""
    if not 1 <= period <= tickets or rounds < 1:
        raise ValueError("need 1 <= period <= tickets and rounds >= 1")
    say = progress or (lambda _message: None)
    results, skipped = [], {}
    for name, factory, why in _databases(databases, postgres_url):
        if factory is None:
            skipped[name] = why
            say(f"digest: {name} skipped: {why}")
            continue
        say(f"digest: {name}, {tickets:,} tickets, {period:,} in the period")
        with factory() as database:
            results.append(measure(database, tickets, period, rounds, say=say))
    report(format_report(results, skipped, tickets, period))
    figures: dict[str, float] = {}
    for r in results:
        prefix = f"digest.{r['database']}"
        for key, workload in zip(("compute", "compute_premium", "daily", "naive"), WORKLOADS, strict=True):
            figures[f"{prefix}.{key}_ms"] = statistics.median(r[workload])
        figures[f"{prefix}.ratio"] = figures[f"{prefix}.naive_ms"] / figures[f"{prefix}.compute_ms"]
        figures[f"{prefix}.generate_s"] = r["generate_s"]
    return figures
