"""Running the Procfile's `web:` command against the Slack stand-in: for the shipped tests and the benchmarks."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from bot.local.standin import SlackStandIn
from tests.shipped.helpers import ROOT, process_env, procfile_argv, worker_count

START_TIMEOUT, STOP_TIMEOUT = 60.0, 10.0


class NotReady(RuntimeError):
    """The web process exited early or did not get ready in time; the message carries its log."""


@dataclass
class WebProcess:
    """One running Procfile `web:` process (gunicorn master and its workers, in their own process group)."""

    name: str
    popen: subprocess.Popen
    argv: list[str]
    port: int
    workers: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self) -> None:
        """SIGTERM to the process group, SIGKILL if it has not gone in time."""
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait()
        try:  # workers that outlived their master
            os.killpg(self.popen.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def policy_file(folder: Path, *, queue: str, usergroup: str) -> Path:
    """config/liaison.toml as shipped, pointed at the stand-in's queue channel and agents' user group."""
    text = (ROOT / "config" / "liaison.toml").read_text()
    for name, value in (("queue_channel", queue), ("usergroup", usergroup)):
        text, count = re.subn(rf'(?m)^{name} = ".*"$', f'{name} = "{value}"', text)
        if count != 1:
            raise ValueError(f"config/liaison.toml should set {name} once")
    path = folder / "liaison.toml"
    path.write_text(text)
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_web(
    name: str,
    standin: SlackStandIn,
    folder: Path,
    *,
    database_url: str,
    signing_secret: str,
    config: Path,
    app: str | None = None,
) -> WebProcess:
    """Start the Procfile's web command (serving `app` instead of Liaison when given); return once every worker
    has built its app (each checks its token with auth.test on the stand-in) and the port answers."""
    port = free_port()
    env = process_env(
        SLACK_BOT_TOKEN=standin.bot_token,
        SLACK_SIGNING_SECRET=signing_secret,
        SLACK_API_URL=standin.api_url,
        DATABASE_URL=database_url,
        PORT=str(port),
        LIAISON_CONFIG=str(config),
        PYTHONPATH=str(ROOT),  # so a module named as the app imports wherever gunicorn starts
    )
    argv = procfile_argv(env, app=app)
    log = folder / f"{name}.log"
    checked = len(standin.calls("auth.test"))
    with log.open("w") as sink:
        popen = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so stop() ends master and workers together
        )
    process = WebProcess(name, popen, argv, port, worker_count(argv), log)
    try:
        _wait_ready(process, standin, checked)
    except BaseException:
        process.stop()
        raise
    return process


def _wait_ready(process: WebProcess, standin: SlackStandIn, checked: int) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.popen.poll() is not None:
            raise NotReady(f"{' '.join(process.argv)} exited early:\n{process.output()[-3000:]}")
        if len(standin.calls("auth.test")) >= checked + process.workers and _answers(process.url):
            return
        time.sleep(0.1)
    raise NotReady(f"{process.name} was not ready within {START_TIMEOUT:.0f} s:\n{process.output()[-3000:]}")


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}healthz", timeout=1):
            return True
    except urllib.error.HTTPError:  # the bare app has no /healthz: a 404 still says it is serving
        return True
    except OSError:
        return False
