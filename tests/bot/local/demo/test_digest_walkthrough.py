"""Local mode's digest walkthrough, as the README shows it: a preview from the console with its chart saved as a
file the console names, and the policy file's weekday digest arriving in #support-leads."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.clock import MovableClock
from bot.local.standin import SlackStandIn
from bot.local.workspace import seed
from tests.bot.local.test_console import Screen


@pytest.fixture
def slack(clock: MovableClock, tmp_path: Path) -> Iterator[SlackStandIn]:
    standin = SlackStandIn(clock=lambda: clock.now().timestamp(), files_dir=tmp_path / "files")
    seed(standin)
    standin.start()
    yield standin
    standin.stop()


def test_a_preview_names_its_chart_file_and_the_daily_digest_arrives(screen: Screen, tmp_path: Path) -> None:
    screen.type("/ticket new Checkout fails for Acme", "Acme", "", "", "", "P1", "y")
    screen.type(":wait 2h")
    shown = screen.type("/ticket stats 7d")
    assert "SLA figures · the last 7 days" in shown and "1 opened · 0 solved · 0 reopened · 1 SLA breach" in shown
    shown = screen.type(":as dave", "/ticket digest preview #support-leads")
    assert "Digest preview · every weekday at 09:00 (America/New_York)" in shown
    assert "Breached and still open (1)" in shown
    shown = screen.type(":go DM", ":read")
    saved = sorted((tmp_path / "files").glob("*-sla-preview.png"))
    assert len(saved) == 1 and saved[0].read_bytes().startswith(b"\x89PNG")
    assert f"saved to {saved[0]}" in shown
    shown = screen.type(":wait 1d", ":go #support-leads", ":read")
    assert "Support digest · every weekday at 09:00 (America/New_York)" in shown
    assert "• First response: 0% (0 met, 1 breached)" in shown
    assert "📎 SLA breaches and achievement, 14 days to 02 Dec 2026: saved to" in shown
