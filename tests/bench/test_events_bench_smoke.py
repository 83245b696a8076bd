"""The events suite runs tiny against the bare app, reports every workload, and fails on an answer other than 200.

Always a private SQLite file: the benchmark must not touch the tests' PostgreSQL database. Speed is never asserted.
"""

from __future__ import annotations

import pytest

from bench import events_bench
from bench.__main__ import main
from bench.cli import parse_args
from bench.events_bench import WORKLOADS, EventsReport, format_report, run
from bench.rig import BenchError
from bot.local.driver import DriverResponse

REQUESTS, WARMUP = 5, 1


@pytest.fixture(scope="module")
def report() -> EventsReport:
    return run(requests=REQUESTS, warmup=WARMUP)


def test_every_workload_has_percentiles_for_both_apps(report: EventsReport) -> None:
    assert [result.name for result in report.results] == list(WORKLOADS)
    for result in report.results:
        assert len(result.bare) == len(result.liaison) == REQUESTS
        for side in ("bare", "liaison"):
            assert 0 < result.p50(side) <= result.p99(side)
        assert result.ratio > 0


def test_liaison_opened_a_ticket_per_message_and_recorded_every_reply(report: EventsReport) -> None:
    assert report.opened == report.said == REQUESTS + WARMUP


def test_the_table_names_every_workload_and_the_goal(report: EventsReport) -> None:
    table = format_report(report)
    rows = table.splitlines()[4:7]  # title, blank line, header, rule, then the rows
    assert [name for name in WORKLOADS if any(row.startswith(name) for row in rows)] == list(WORKLOADS)
    assert "p99 ratio" in table and "goal: Liaison p99 <= 1.5x the bare app's" in table
    assert f"Liaison opened {REQUESTS + WARMUP} tickets" in table


def test_an_answer_other_than_200_fails_the_suite(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def refused(self: object, body: bytes, headers: dict[str, str]) -> DriverResponse:
        return DriverResponse(500, {}, b"boom")

    monkeypatch.setattr(events_bench.SlackDriver, "post_raw", refused)
    with pytest.raises(BenchError, match="answered HTTP 500"):
        run(requests=1, warmup=0)
    assert main(["--events-requests", "1", "--events-warmup", "0"]) == 1
    assert "bench: events: bare message in an unrelated channel: answered HTTP 500" in capsys.readouterr().err


def test_the_command_line_picks_the_suite_and_refuses_bad_counts() -> None:
    assert parse_args(["--events-requests", "20"]).suite == "events"
    assert (parse_args([]).events_requests, parse_args([]).events_warmup) == (500, 50)
    assert main(["--suite", "events", "--events-requests", "0"]) == 2
    assert main(["--suite", "events", "--events-warmup", "-1"]) == 2
