"""The sla suite runs end to end with tiny sizes on SQLite and reports its figures; speed is never asserted here."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bench.__main__ import main
from bench.cli import parse_args
from bench.sla_bench import format_sweep, run, run_sweep
from bench.sla_data import DueTimer, load_open_tickets, spread, sqlite_database
from bench.sla_lateness import format_lateness, run_lateness
from models import SlaClock, Ticket, Timer

SIZES = (200, 1000)


@dataclass
class SlaRun:
    figures: dict[str, float]
    printed: str


@pytest.fixture(scope="module")
def sla() -> SlaRun:
    # SQLite only: the benchmark must not touch the tests' PostgreSQL database (it would make its own anyway).
    lines: list[str] = []
    figures = run(lines.append, sizes=SIZES, due=50, rounds=1, databases=("sqlite",), rate=20, seconds=2)
    return SlaRun(figures, "\n".join(lines))


def test_the_sweep_reports_a_positive_cost_per_timer_at_both_sizes_and_their_ratio(sla: SlaRun) -> None:
    figures = sla.figures
    for size in SIZES:
        assert figures[f"sla.sweep.sqlite.{size}.per_timer_ms"] > 0
        assert figures[f"sla.sweep.sqlite.{size}.load_s"] > 0
        assert figures[f"sla.sweep.sqlite.{size}.warnings_per_s"] > 0
        assert figures[f"sla.sweep.sqlite.{size}.breaches_per_s"] > 0
    assert figures["sla.sweep.sqlite.ratio"] > 0
    assert figures["sla.sweep.sqlite.1000.breach_ms"] > 0 and figures["sla.sweep.sqlite.breach_ratio"] > 0
    assert not any(key.startswith("sla.sweep.postgresql") for key in figures)


def test_lateness_has_percentiles_for_firing_and_for_arrival_at_slack(sla: SlaRun) -> None:
    figures = sla.figures
    for measure in ("lateness", "thread_arrival", "owner_arrival"):
        p50, p99, worst = (figures[f"sla.{measure}.{k}_s"] for k in ("p50", "p99", "max"))
        assert p50 <= p99 <= worst
    assert figures["sla.lateness.unfired"] == 0
    assert math.isfinite(figures["sla.lateness.max_s"])


def test_the_tables_name_both_goals(sla: SlaRun) -> None:
    printed = sla.printed
    assert "WARNING/s" in printed and "BREACH/s" in printed
    assert "per timer ms" in printed and "goal: sqlite per-timer cost at 1,000 tickets <= 1.5x" in printed
    assert "fired_at - due_at" in printed and "goal: p99 of fired_at - due_at <= 2 s" in printed


def test_the_bulk_load_reads_back_through_the_orm_and_due_timers_are_the_only_ones_due() -> None:
    now = datetime.now(UTC)
    with sqlite_database() as database:
        due = [DueTimer(t, now - timedelta(seconds=1)) for t in spread(5, 120)]
        ids = load_open_tickets(database, 120, now=now, due=due, chunk=50)
        with database.session() as session:
            assert session.scalar(select(func.count()).select_from(Ticket)) == 120
            running = select(SlaClock.metric, func.count()).where(SlaClock.state == "running").group_by(SlaClock.metric)
            # Each ticket has its first response and its resolution running, as a real open ticket has.
            assert dict(session.execute(running).tuples().all()) == {"first_response": 120, "resolution": 120}
            ready = session.scalars(select(Timer.id).where(Timer.state == "pending", Timer.due_at <= now)).all()
            assert sorted(ready) == ids and len(ids) == 5
            assert session.scalar(select(func.count()).select_from(Timer)) == 125


def test_plans_are_collected_for_the_statements_the_sweep_ran() -> None:
    report = run_sweep((60,), due=10, rounds=1, databases=("sqlite",), plans=True)
    (result,) = report.results
    assert any("FROM timers" in sql and "ix_timers_state_due_at" in plan for sql, plan in result.plans)
    assert "goal: sqlite: one size only" in format_sweep(report, plans=True)


def test_lateness_alone_formats_its_table() -> None:
    result = run_lateness(rate=10, seconds=1)
    assert len(result.fired) == 10 and result.unfired == 0
    assert "thread reply at Slack - due_at" in format_lateness(result)


def test_suite_options_pick_their_suite_unless_one_is_named() -> None:
    assert parse_args([]).suite == "all"
    assert parse_args(["--requests", "3"]).suite == "http"
    assert parse_args(["--sla-sizes", "200,1000"]).suite == "sla"
    assert parse_args(["--suite", "calendar", "--sla-due", "5"]).suite == "calendar"
    assert parse_args([]).sla_sizes == [10_000, 1_000_000]


def test_bad_sla_arguments_are_refused() -> None:
    assert main(["--suite", "sla", "--sla-sizes", "100", "--sla-due", "500"]) == 2
    with pytest.raises(SystemExit):
        parse_args(["--sla-databases", "oracle"])
