"""The digest suite runs tiny on SQLite, reports every workload and fails when SQL and the naive way disagree.

SQLite only: the benchmark must not touch the tests' PostgreSQL database. Speed is never asserted here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text

from bench import digest_bench, digest_data
from bench.__main__ import main
from bench.cli import parse_args
from bench.digest_bench import WORKLOADS, run
from bench.digest_data import NOW, WEEK, generate
from bench.rig import BenchError
from bench.sla_data import sqlite_database
from bot.digests.figures import compute

TICKETS, PERIOD = 2_000, 200


@dataclass
class DigestRun:
    figures: dict[str, float]
    printed: str


@pytest.fixture(scope="module")
def digest() -> DigestRun:
    lines: list[str] = []
    figures = run(lines.append, tickets=TICKETS, period=PERIOD, rounds=2, databases=("sqlite",))
    return DigestRun(figures, "\n".join(lines))


def test_the_table_names_every_workload_and_the_agreement(digest: DigestRun) -> None:
    table = [line for line in digest.printed.splitlines() if line.startswith("sqlite ")]
    assert [w for w in WORKLOADS if any(w in line for line in table)] == list(WORKLOADS)
    assert "median ms" in digest.printed and "max ms" in digest.printed
    assert "naive and SQL agree (all tickets and tier:premium)" in digest.printed
    assert f"sqlite: generated {TICKETS:,} tickets, {2 * TICKETS:,} clocks" in digest.printed
    assert "goal: postgresql" not in digest.printed  # the goal is PostgreSQL's; no PostgreSQL here


def test_the_figures_are_reported_per_workload(digest: DigestRun) -> None:
    for key in ("compute", "compute_premium", "daily", "naive"):
        assert digest.figures[f"digest.sqlite.{key}_ms"] > 0
    assert digest.figures["digest.sqlite.ratio"] > 0 and digest.figures["digest.sqlite.generate_s"] > 0
    assert not any(key.startswith("digest.postgresql") for key in digest.figures)


def test_generated_tickets_and_clocks_agree_with_each_other() -> None:
    with sqlite_database() as database:
        generate(database, 1_000, 100, say=lambda _line: None)
        checks = {
            # The breached flag: a breached clock not yet stopped.
            "flag": "SELECT count(*) FROM tickets t WHERE t.sla_breached <> EXISTS (SELECT 1 FROM sla_clocks k "
            "WHERE k.ticket_id = t.id AND k.state = 'breached' AND k.stopped_at IS NULL)",
            # The next deadline: the nearest deadline of a running clock.
            "deadline": "SELECT count(*) FROM tickets t WHERE t.next_deadline_at IS NOT (SELECT min(k.deadline_at) "
            "FROM sla_clocks k WHERE k.ticket_id = t.id AND k.state = 'running')",
            "elapsed": "SELECT count(*) FROM sla_clocks WHERE (stopped_at IS NULL) <> (elapsed_seconds IS NULL)",
            "order": "SELECT count(*) FROM sla_clocks WHERE stopped_at < started_at OR breached_at < started_at "
            "OR breached_at > stopped_at OR (state = 'breached') <> (breached_at IS NOT NULL)",
            "paused": "SELECT count(*) FROM sla_clocks WHERE (state = 'paused') AND paused_since IS NULL",
            "future": "SELECT count(*) FROM sla_clocks WHERE "
            "max(coalesce(stopped_at, ''), coalesce(breached_at, ''), coalesce(paused_since, '')) >= :now",
        }
        with database.engine.connect() as connection:
            now = NOW.strftime("%Y-%m-%d %H:%M:%S.000000")
            wrong = {name: connection.scalar(text(sql), {"now": now}) for name, sql in checks.items()}
            states = dict(connection.execute(text("SELECT state, count(*) FROM sla_clocks GROUP BY state")).all())
            active = connection.scalar(text("SELECT count(*) FROM tickets WHERE status IN ('new', 'open', 'pending')"))
        with database.session() as session:
            figures = compute(session, digest_data.policy_book(), NOW - timedelta(seconds=WEEK), NOW, NOW)
    assert wrong == dict.fromkeys(checks, 0)
    assert set(states) == {"met", "breached", "running", "paused"}
    assert 20 <= active <= 120  # about 5% of the tickets are still being worked on
    assert figures.created == 100 and figures.breaches > 0 and figures.reopened > 0 and figures.incidents


def test_a_disagreement_fails_the_suite(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    real = digest_bench.naive_headline

    def off_by_one(*args: Any, **kwargs: Any) -> dict[str, Any]:
        figures = real(*args, **kwargs)
        return figures | {"breaches": figures["breaches"] + 1}

    monkeypatch.setattr(digest_bench, "naive_headline", off_by_one)
    with pytest.raises(BenchError, match="SQL and naive figures disagree"):
        run(lambda _line: None, tickets=300, period=30, rounds=1, databases=("sqlite",))
    argv = ["--digest-tickets", "300", "--digest-period", "30", "--digest-rounds", "1", "--digest-databases", "sqlite"]
    assert main(argv) == 1
    assert "bench: digest: sqlite: SQL and naive figures disagree" in capsys.readouterr().err


def test_the_command_line_picks_the_suite_and_refuses_bad_sizes() -> None:
    assert parse_args(["--digest-tickets", "5000"]).suite == "digest"
    assert parse_args(["--digest-databases", "sqlite", "postgresql"]).digest_databases == ["sqlite", "postgresql"]
    assert parse_args(["--digest-databases", "sqlite,postgresql"]).digest_databases == ["sqlite", "postgresql"]
    assert parse_args([]).digest_tickets == 1_000_000 and parse_args([]).digest_period == 100_000
    assert main(["--suite", "digest", "--digest-tickets", "10", "--digest-period", "20"]) == 2
    assert main(["--suite", "digest", "--digest-rounds", "0"]) == 2
    with pytest.raises(SystemExit):
        parse_args(["--digest-databases", "oracle"])
