"""The real processes: `python app.py` and gunicorn serving Slack over HTTP, Socket Mode, and `make run`'s command
(`python -m bot.local`) in local mode; app.py never loads local mode."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.local.driver import SlackDriver
from bot.local.standin import SlackStandIn
from bot.local.workspace import seed

ROOT = Path(__file__).resolve().parent.parent
SECRET = "process-test-secret"
RUN_COMMAND = [sys.executable, "-m", "bot.local"]  # what `make run` runs
NO_CREDENTIALS = {name: "" for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN")}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def workspace() -> Iterator[SlackStandIn]:
    standin = SlackStandIn()
    seed(standin)
    standin.start()
    yield standin
    standin.stop()


def start(command: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env=os.environ | env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_healthy(port: int, process: subprocess.Popen, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the bot exited early:\n{process.stdout.read()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
                return json.loads(response.read())
        except OSError:
            time.sleep(0.2)
    pytest.fail("the bot never answered /healthz")


def stop(process: subprocess.Popen) -> str:
    process.terminate()
    try:
        output, _ = process.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    return output


@pytest.mark.parametrize(
    "command",
    [
        [sys.executable, "app.py"],
        RUN_COMMAND,
        [sys.executable, "-m", "gunicorn", "--workers", "1", "--bind", "127.0.0.1:{port}", "app:wsgi()"],
    ],
    ids=["python-app", "run-command", "gunicorn"],
)
def test_with_credentials_it_serves_slack_events_and_healthz(
    command: list[str], workspace: SlackStandIn, database_url: str, migrated_database: object
) -> None:
    port = free_port()
    env = {
        "SLACK_BOT_TOKEN": workspace.bot_token,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": workspace.api_url,
        "PORT": str(port),
        "DATABASE_URL": database_url,
        "LIAISON_CONFIG": "config/liaison.toml",
    }
    process = start([part.format(port=port) for part in command], env)
    try:
        assert wait_healthy(port, process) == {"ok": True, "database": "reachable"}
        driver = SlackDriver(
            events_url=f"http://127.0.0.1:{port}/slack/events", signing_secret=SECRET, standin=workspace
        )
        answer = driver.command("U0ALICE01", "help")
        assert answer.status == 200 and "/ticket new" in answer.json()["text"]
        assert driver.post_raw(b"command=%2Fticket&text=help", {}).status == 401
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/nowhere", timeout=2)
        assert missing.value.code == 404
        missing.value.close()
    finally:
        stop(process)
    assert workspace.calls("auth.test"), "the app checks its token with Slack at start-up"


def test_with_an_app_token_it_connects_by_socket_mode(
    workspace: SlackStandIn, database_url: str, migrated_database: object
) -> None:
    env = {
        "SLACK_BOT_TOKEN": workspace.bot_token,
        "SLACK_APP_TOKEN": "xapp-1-local",
        "SLACK_API_URL": workspace.api_url,
        "PORT": str(free_port()),
        "DATABASE_URL": database_url,
        "LIAISON_CONFIG": "config/liaison.toml",
    }
    process = start([sys.executable, "app.py"], env)
    try:
        deadline = time.monotonic() + 30
        while not workspace.calls("apps.connections.open") and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        output = stop(process)
    (call,) = workspace.calls("apps.connections.open")[:1]
    assert call.status == 200, output
    assert "Socket Mode" in output


def test_bad_settings_stop_start_up_with_a_sentence(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "app.py"],
        cwd=ROOT,
        env=os.environ | {"PORT": "eighty"},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode != 0
    assert "PORT must be a TCP port number (1-65535), got 'eighty'." in result.stderr


def test_without_credentials_the_run_command_starts_local_mode_with_its_console(tmp_path: Path) -> None:
    script = "\n".join(
        [
            "/ticket new Checkout fails",
            "Acme",  # customer
            "premium",  # tier
            "",  # keep the subject
            "Card payments fail since 9am",  # description
            "",  # keep the priority
            "y",
            ":read",
            ":click 1 claim",
            ":as carol",
            "/ticket status T-1 solved",
            ":quit",
        ]
    )
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'local.db'}", "PORT": str(free_port())} | NO_CREDENTIALS
    result = subprocess.run(
        RUN_COMMAND, cwd=ROOT, env=os.environ | env, input=script + "\n", capture_output=True, text=True, timeout=60
    )
    screen = result.stdout
    assert result.returncode == 0, screen + result.stderr
    assert "Liaison is running in local mode" in screen
    assert "T-1 · Checkout fails" in screen
    assert "T-1 is yours." in screen
    assert "Only support agents can change T-1." in screen
    assert "Traceback" not in screen + result.stderr


@pytest.mark.parametrize(
    "command",
    [[sys.executable, "app.py"], [sys.executable, "-m", "gunicorn", "--bind", "127.0.0.1:{port}", "app:wsgi()"]],
    ids=["python-app", "gunicorn"],
)
def test_without_credentials_serving_slack_stops_with_a_sentence_pointing_at_make_run(
    command: list[str], tmp_path: Path
) -> None:
    port = free_port()
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'never.db'}", "PORT": str(port)} | NO_CREDENTIALS
    result = subprocess.run(
        [part.format(port=port) for part in command],
        cwd=ROOT,
        env=os.environ | env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode != 0
    assert (
        "SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN) are not set, so there is no Slack to serve;"
        " `make run` starts local mode without them." in result.stderr
    )
    assert not (tmp_path / "never.db").exists(), "nothing is migrated when there is nothing to serve"


def test_app_py_does_not_load_local_mode() -> None:
    check = "import app, sys; print(sorted(m for m in sys.modules if m.startswith('bot.local')))"
    result = subprocess.run(
        [sys.executable, "-c", check],
        cwd=ROOT,
        env=os.environ | NO_CREDENTIALS,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_once_started_what_start_up_built_is_out_of_the_collectors_sight() -> None:
    import gc

    from app import settle

    kept = [[n] for n in range(1000)]  # as the Bolt app, the policy and the calendars are kept
    try:
        settle()
        collected = {id(o) for generation in range(3) for o in gc.get_objects(generation=generation)}
        assert gc.get_freeze_count() >= len(kept)
        assert not any(id(k) in collected for k in kept), "a full collection would walk them again"
    finally:
        gc.unfreeze()
