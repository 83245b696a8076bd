"""The benchmark runs end to end with tiny counts and reports every workload; speed is never asserted here."""

from __future__ import annotations

import pytest

from bench import shipped_latency
from bench.__main__ import main
from bench.http_latency import Report, format_report, percentile, run

WORKLOADS = ["/ticket show T-1", "/ticket list", "view_submission ticket_new"]


@pytest.fixture(scope="module")
def report() -> Report:
    # Always a private SQLite file: the benchmark must not touch the tests' PostgreSQL database.
    return run(requests=5, warmup=1)


def test_every_workload_has_positive_percentiles_and_a_ratio(report: Report) -> None:
    assert [result.name for result in report.results] == WORKLOADS
    for result in report.results:
        assert len(result.bare) == len(result.liaison) == 5
        for side in ("bare", "liaison"):
            assert 0 < result.p50(side) <= result.p99(side)
        assert result.ratio > 0


def test_the_outbox_drain_delivered_what_the_modals_queued(report: Report) -> None:
    assert report.drain is not None and report.drain.delivered > 0


def test_the_table_names_every_workload_and_the_goal(report: Report) -> None:
    table = format_report(report)
    assert all(name in table for name in WORKLOADS)
    assert "p99 ratio" in table and "goal: Liaison p99 <= 1.5x" in table


def test_percentile_is_nearest_rank() -> None:
    samples = [float(n) for n in range(1, 101)]
    assert (percentile(samples, 50), percentile(samples, 99), percentile([3.0], 99)) == (50.0, 99.0, 3.0)


def test_the_command_line_exits_zero_whatever_the_ratio(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--requests", "2", "--warmup", "0", "--no-drain"]) == 0
    out = capsys.readouterr().out
    assert "p99 ratio" in out and "outbox drain" not in out


def test_bad_counts_are_refused() -> None:
    assert main(["--requests", "0"]) == 2
    assert main(["--suite", "shipped", "--backlog", "-1"]) == 2


# ----- the shipped suite: the Procfile's web process and a bare app under the same command line


@pytest.fixture(scope="module")
def shipped_report() -> shipped_latency.ShippedReport:
    # SQLite only, in a private temp file; a tiny backlog so the drain after an outage is measured too.
    return shipped_latency.run(requests=4, warmup=1, databases=["sqlite"], backlog=20)


def test_the_shipped_suite_reports_every_workload_with_a_ratio(shipped_report: shipped_latency.ShippedReport) -> None:
    [database] = shipped_report.databases
    assert database.database == "sqlite" and database.skipped is None
    assert [r.name.split(" T-")[0] for r in database.results] == ["/ticket show", "/ticket list", WORKLOADS[2]]
    for result in database.results:
        assert len(result.bare) == len(result.liaison) == 4
        assert result.ratio > 0
    assert shipped_report.workers >= 1 and "gunicorn" in shipped_report.argv


def test_the_shipped_suite_measures_the_backlog_after_an_outage(shipped_report: shipped_latency.ShippedReport) -> None:
    backlog = shipped_report.databases[0].backlog
    assert backlog is not None and backlog.messages == 20 and backlog.in_order and backlog.per_second > 0
    table = shipped_latency.format_report(shipped_report)
    assert "p99 ratio" in table and "goal (sqlite)" in table and "messages/s" in table
