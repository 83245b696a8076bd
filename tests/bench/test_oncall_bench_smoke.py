"""The oncall suite runs tiny, prints its figures and checks its answers against the baseline; speed is not asserted."""

from __future__ import annotations

import pytest

from bench import oncall_bench
from bench.__main__ import main
from bench.cli import parse_args
from bench.rig import BenchError
from bot.oncall.feed import FeedLayer


def test_the_suite_reports_both_costs_and_agrees_with_the_baseline() -> None:
    lines: list[str] = []
    figures = oncall_bench.run(lines.append, instants=200, baseline=20)
    for key in ("parse_ms", "baseline_parse_ms", "liaison_mean_us", "liaison_p50_us", "baseline_mean_us", "ratio"):
        assert figures[f"oncall.{key}"] > 0
    assert figures["oncall.agreed"] == 20 and figures["oncall.events"] > 700
    printed = "\n".join(lines)
    assert "ms" in printed and "per call µs" in printed and "(n=200)" in printed and "(n=20)" in printed
    assert "answers agreed at all 20 baseline instants" in printed


def test_the_generated_feed_puts_people_on_call_and_imports_without_unmapped_people() -> None:
    text, window = oncall_bench.pagerduty_feed(), oncall_bench.WINDOW
    layer = FeedLayer.parse("support", text, people=oncall_bench.PEOPLE, window=window, timezone=oncall_bench.ZONE)
    assert layer.unmapped == frozenset()
    assert len(layer.shifts(*window)) > 700


def test_a_disagreement_with_the_baseline_fails_the_suite(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(oncall_bench, "baseline_on_call", lambda query, instant: ("U0NOBODY1",))
    with pytest.raises(BenchError, match="Liaison says .* recurring-ical-events \\('U0NOBODY1',\\)"):
        oncall_bench.run(lambda line: None, instants=5, baseline=5)
    assert main(["--suite", "oncall", "--oncall-instants", "5", "--oncall-baseline", "5"]) == 1
    assert "bench: oncall: who is on call at" in capsys.readouterr().err


def test_the_command_line_runs_the_suite_from_its_own_options(capsys: pytest.CaptureFixture[str]) -> None:
    assert parse_args(["--oncall-instants", "50"]).suite == "oncall"
    assert parse_args([]).oncall_baseline == oncall_bench.DEFAULT_BASELINE
    assert main(["--oncall-instants", "50", "--oncall-baseline", "5"]) == 0
    assert "answers agreed at all 5 baseline instants" in capsys.readouterr().out
    assert main(["--oncall-instants", "5", "--oncall-baseline", "6"]) == 2
    assert main(["--suite", "oncall", "--oncall-baseline", "0"]) == 2
