"""Files Liaison shares, as the local console shows them: a 📎 line naming where the bytes were saved."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from slack_sdk import WebClient

from bot.gateway import SlackGateway
from bot.local import render
from bot.local.console import Console
from bot.local.driver import SlackDriver
from bot.local.render_text import Lookup
from bot.local.standin import SlackStandIn
from tests.slack_fixtures import ALICE, QUEUE

PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)
SHARED = {"type": "message", "user": "U0LIAISON", "ts": "1700000000.000100", "blocks": []}
CHART = {"id": "F1", "name": "sla.png", "title": "SLA chart", "mimetype": "image/png", "size": 72}
SAVED = Lookup(author={"U0LIAISON": "Liaison"}.get, file={"F1": ".liaison/files/F1-sla.png"}.get)


def test_a_shared_file_shows_under_the_comment_with_its_saved_path() -> None:
    message = SHARED | {"text": "SLA this week", "files": [CHART]}
    assert render.render_message(message, SAVED) == [
        "Liaison",
        "    SLA this week",
        "    📎 SLA chart: saved to .liaison/files/F1-sla.png",
    ]
    assert render.summary(message, SAVED) == "SLA this week  📎 SLA chart: saved to .liaison/files/F1-sla.png"


def test_a_file_without_comment_or_saved_copy_is_one_line() -> None:
    message = SHARED | {"text": "", "files": [CHART | {"title": ""}]}
    assert render.body_lines(message) == ["📎 sla.png"]
    assert render.summary(message) == "📎 sla.png"
    assert render.body_lines(SHARED | {"text": ""}) == [""]  # a message without files reads as before


@pytest.fixture
def local_slack(tmp_path: Path) -> Iterator[SlackStandIn]:
    with SlackStandIn(files_dir=tmp_path / "files") as standin:
        standin.add_user(ALICE, "alice", real_name="Alice Agent")
        standin.add_channel(QUEUE, "support-queue", members=[ALICE, standin.bot_user_id])
        yield standin


def test_the_console_names_the_saved_file_when_it_arrives_and_on_read(local_slack: SlackStandIn) -> None:
    gateway = SlackGateway(WebClient(token=local_slack.bot_token, base_url=local_slack.api_url))
    shares: list[str] = []

    def deliver() -> None:  # the bot's one delivery: the chart
        if not shares:
            answer = gateway.upload_file(
                QUEUE, filename="sla.png", content=PNG, title="SLA chart", initial_comment="SLA this week"
            )
            shares.append(answer["files"][0]["id"])

    out = io.StringIO()
    driver = SlackDriver(events_url="http://127.0.0.1:9/unused", signing_secret="unused", standin=local_slack)
    # No app behind this driver: the post lands in the stand-in and its message event goes nowhere.
    driver.user_message = lambda user, channel, text, thread_ts=None: local_slack.post_user_message(  # type: ignore[method-assign]
        channel, user, text, thread_ts=thread_ts
    )
    console = Console(driver=driver, slack=local_slack, deliver=deliver, clock=None, user=ALICE, channel=QUEUE, out=out)
    console.run([":post chart please", ":read"])
    saved = local_slack.saved_file(shares[0])
    assert saved is not None and Path(saved).read_bytes() == PNG
    shown = out.getvalue()
    assert f"#support-queue  [2] Liaison: SLA this week  📎 SLA chart: saved to {saved}" in shown
    assert f"    SLA this week\n    📎 SLA chart: saved to {saved}\n" in shown
