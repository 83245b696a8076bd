"""The routing suite runs tiny on SQLite, reports every step and fails when the baseline chooses differently.

SQLite only: the benchmark must not touch the tests' PostgreSQL database. Speed is never asserted here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest

from bench import routing_bench
from bench.__main__ import main
from bench.cli import parse_args
from bench.rig import BenchError
from bench.routing_bench import STEPS, run

AGENTS, TICKETS, ROUNDS = 12, 500, 30


@dataclass
class RoutingRun:
    figures: dict[str, float]
    printed: str


@pytest.fixture(scope="module")
def routing() -> RoutingRun:
    lines: list[str] = []
    figures = run(lines.append, agents=AGENTS, tickets=TICKETS, rounds=ROUNDS, databases=("sqlite",))
    return RoutingRun(figures, "\n".join(lines))


def test_the_table_names_every_step_and_the_goal(routing: RoutingRun) -> None:
    table = [line for line in routing.printed.splitlines() if line.startswith("sqlite ")]
    assert [step for step in STEPS if any(step in line for line in table)] == list(STEPS)
    assert "median ms" in routing.printed and "p99 ms" in routing.printed
    assert f"with {AGENTS} agents and {TICKETS} open tickets" in routing.printed
    assert "the baseline agreed" in routing.printed and "baseline/ours" in routing.printed
    assert "goal < 5 ms per decision, in the job's runs of 50: sqlite median" in routing.printed


def test_the_figures_split_the_decision(routing: RoutingRun) -> None:
    figures = routing.figures
    for key in ("decision_ms", "decision_p99_ms", "candidates_ms", "choose_ms", "ratio"):
        assert figures[f"routing.sqlite.{key}"] > 0
    assert figures["routing.sqlite.decision_ms"] <= figures["routing.sqlite.decision_p99_ms"]
    assert not any(key.startswith("routing.postgresql") for key in figures)


def test_the_data_has_every_kind_of_agent_and_offer(routing: RoutingRun) -> None:
    # 20 unassigned tickets (one in 25), some with an offer waiting; 480 assigned, so some agents are at their cap.
    [line] = [line for line in routing.printed.splitlines() if line.startswith("sqlite: 20 unassigned")]
    found = re.search(r"\((\d+) to route, .*, 480 assigned; (\d+) agents at their cap, (\d+) away", line)
    assert found is not None, line
    to_route, at_cap, away = (int(group) for group in found.groups())
    assert 0 < to_route < 20 and at_cap > 0 and away > 0


def test_a_different_choice_fails_the_suite(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real = routing_bench.naive_candidates

    def lighter(*args: Any, **kwargs: Any) -> list[Any]:
        first, *rest = real(*args, **kwargs)
        return [type(first)(**{**first.__dict__, "load": first.load + 1}), *rest]

    monkeypatch.setattr(routing_bench, "naive_candidates", lighter)
    with pytest.raises(BenchError, match="the baseline chose"):
        run(lambda _line: None, agents=AGENTS, tickets=TICKETS, rounds=1, databases=("sqlite",))
    argv = ["--routing-agents", str(AGENTS), "--routing-tickets", str(TICKETS), "--routing-rounds", "1"]
    assert main([*argv, "--routing-databases", "sqlite"]) == 1
    assert "bench: routing: sqlite: ticket" in capsys.readouterr().err


def test_the_command_line_picks_the_suite_and_refuses_bad_sizes() -> None:
    assert parse_args(["--routing-agents", "50"]).suite == "routing"
    assert parse_args(["--routing-databases", "sqlite", "postgresql"]).routing_databases == ["sqlite", "postgresql"]
    assert parse_args(["--routing-databases", "sqlite,postgresql"]).routing_databases == ["sqlite", "postgresql"]
    assert (parse_args([]).routing_agents, parse_args([]).routing_tickets) == (200, 10_000)
    assert main(["--suite", "routing", "--routing-agents", "3"]) == 2
    assert main(["--suite", "routing", "--routing-tickets", "10"]) == 2
    assert main(["--suite", "routing", "--routing-rounds", "0"]) == 2
