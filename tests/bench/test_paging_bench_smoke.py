"""The paging suite runs tiny on SQLite, prints its figures and fails on a lost or doubled DM; speed is not asserted."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient

from bench import paging_bench
from bench.__main__ import main
from bench.cli import parse_args
from bench.rig import BenchError
from bot.local.standin import SlackStandIn

TARGETS = 5


def test_a_tiny_page_delivers_every_dm_once_and_reports_the_figures() -> None:
    lines: list[str] = []
    figures = paging_bench.run(lines.append, targets=TARGETS, latencies=(0.0,), databases=("sqlite",))
    prefix = "paging.sqlite.0ms"
    assert figures[f"{prefix}.dropped"] == 0 and figures[f"{prefix}.duplicates"] == 0
    for key in ("seconds", "first_s", "page_s", "settled_s", "per_second", "baseline_s", "ratio"):
        assert figures[f"{prefix}.{key}"] > 0
    assert figures[f"{prefix}.first_s"] <= figures[f"{prefix}.seconds"] <= figures[f"{prefix}.settled_s"]
    assert figures[f"{prefix}.rate_limited"] >= 0 and figures[f"{prefix}.baseline_rate_limited"] >= 0
    assert not any(key.startswith("paging.postgresql") for key in figures)
    printed = "\n".join(lines)
    assert f"Paging {TARGETS} people at once" in printed
    for column in ("targets", "all DMs s", "DMs/s", "429s", "dropped", "baseline s", "ratio"):
        assert column in printed
    (row,) = [line for line in lines if line.startswith("sqlite")]
    assert row.split()[2] == str(TARGETS) and row.split()[8] == "0"  # targets, dropped


def test_a_dm_slack_refuses_is_parked_and_fails_the_suite(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    made = paging_bench.standin_for

    def refusing(count: int, latency: float) -> SlackStandIn:
        standin = made(count, latency)
        standin.fail("chat.postMessage", error="channel_not_found")  # the first DM: parked, never delivered
        return standin

    monkeypatch.setattr(paging_bench, "standin_for", refusing)
    with pytest.raises(BenchError, match="1 outbox rows parked: channel_not_found"):
        paging_bench.run(lambda line: None, targets=3, latencies=(0.0,), databases=("sqlite",))
    assert main(["--paging-targets", "3", "--paging-latencies", "0", "--paging-databases", "sqlite"]) == 1
    assert "bench: paging: PG-1: 1 outbox rows parked" in capsys.readouterr().err


def test_a_duplicate_or_missing_dm_fails_the_check() -> None:
    people = paging_bench.targets_of(3)
    standin = paging_bench.standin_for(3, 0.0)  # started
    try:
        client = WebClient(token=standin.bot_token, base_url=standin.api_url)
        for user in [people[0], people[0], people[1]]:
            client.chat_postMessage(channel=user, text="Page PG-7: Checkout down")
        with pytest.raises(BenchError, match="1 got no DM and 1 DMs were duplicates"):
            paging_bench.check_delivery(standin, people, "PG-7", "liaison")
    finally:
        standin.stop()


def test_the_command_line_runs_the_suite_from_its_own_options(capsys: pytest.CaptureFixture[str]) -> None:
    assert parse_args(["--paging-targets", "4"]).suite == "paging"
    assert parse_args([]).paging_latencies == [0.0, 100.0]
    assert (
        main(["--suite", "paging", "--paging-targets", "2", "--paging-latencies", "0", "--paging-databases", "sqlite"])
        == 0
    )
    assert "Paging 2 people at once" in capsys.readouterr().out
    assert main(["--suite", "paging", "--paging-targets", "0"]) == 2
    with pytest.raises(SystemExit):
        parse_args(["--paging-latencies", "-5"])
