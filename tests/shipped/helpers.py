"""The Procfile's `web:` command as a team runs it, Slack's encoding of typed text, and polling with a deadline."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode

from bot.local.driver import FORM, TEAM_DOMAIN, VERIFICATION_TOKEN, SlackDriver
from bot.local.standin import SlackStandIn

ROOT = Path(__file__).resolve().parents[2]
T = TypeVar("T")

# ${NAME:-default} (default when unset or empty), ${NAME-default} (when unset), ${NAME} and $NAME, as sh expands them.
_VARIABLE = re.compile(r"\$\{(\w+)(:?-)([^}]*)\}|\$\{(\w+)\}|\$(\w+)")


def procfile_command(process: str = "web", procfile: Path = ROOT / "Procfile") -> str:
    """The command line of one process type in the Procfile, unexpanded."""
    for line in procfile.read_text().splitlines():
        name, sep, command = line.partition(":")
        if sep and name.strip() == process:
            return command.strip()
    raise AssertionError(f"{procfile} has no {process}: line")


def expand(command: str, env: Mapping[str, str]) -> str:
    """Expand $VAR and ${VAR:-default} from env as a Procfile runner's shell would."""

    def value(match: re.Match[str]) -> str:
        name, operator, default = match.group(1), match.group(2), match.group(3)
        if name is None:
            return env.get(match.group(4) or match.group(5), "")
        current = env.get(name)
        if current is None or (operator == ":-" and current == ""):
            return default
        return current

    return _VARIABLE.sub(value, command)


def procfile_argv(env: Mapping[str, str], process: str = "web", *, app: str | None = None) -> list[str]:
    """The Procfile's command, expanded and split, its program found even when tests run outside .venv.

    app: serve this WSGI app instead (gunicorn's last argument), with the same command line otherwise.
    """
    argv = shlex.split(expand(procfile_command(process), env))
    if app is not None:
        if len(argv) < 2 or argv[-1].startswith("-"):
            raise AssertionError(f"the Procfile's {process}: command does not end with an app to serve: {argv}")
        argv[-1] = app
    program = argv[0]
    if not (ROOT / program).exists():
        # The Procfile names .venv/bin/... because `make` installs there; another interpreter has its own bin.
        beside = Path(sys.executable).parent / Path(program).name
        found = beside if beside.exists() else shutil.which(Path(program).name)
        if found is None:
            raise AssertionError(f"the Procfile runs {program}, which is neither in {ROOT} nor beside {sys.executable}")
        argv[0] = str(found)
    return argv


def worker_count(argv: list[str]) -> int:
    """The gunicorn worker count in argv (gunicorn's own default is 1)."""
    for index, part in enumerate(argv):
        if part in ("-w", "--workers") and index + 1 < len(argv):
            return int(argv[index + 1])
        if part.startswith("--workers="):
            return int(part.split("=", 1)[1])
    return 1


def process_env(**values: str) -> dict[str, str]:
    """The environment a team's web process gets: ours, minus anything that would change the Procfile's defaults."""
    env = {k: v for k, v in os.environ.items() if k not in ("WEB_CONCURRENCY", "SLACK_APP_TOKEN", "GUNICORN_CMD_ARGS")}
    return env | {"PYTHONUNBUFFERED": "1"} | values


# ----- waiting for what the process sends Slack


def wait_for(check: Callable[[], T], *, timeout: float = 15.0, what: str = "the expected messages") -> T:
    """Poll check() until it returns something truthy; fail with its last value after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not arrive within {timeout:.0f} s; last seen: {value!r}")
        time.sleep(0.1)


def settle(
    observe: Callable[[], dict[str, int]], expected: dict[str, int], *, timeout: float = 15.0, quiet: float = 2.0
) -> None:
    """Wait until every count reaches what is expected, then `quiet` seconds more: fail as soon as any count differs.

    The process delivers on its own schedule, so this polls with a deadline; the quiet window catches duplicates
    that arrive after the first copy.
    """
    deadline = time.monotonic() + timeout
    seen = observe()
    while any(seen.get(name, 0) < count for name, count in expected.items()):
        if time.monotonic() > deadline:
            raise AssertionError(f"not everything arrived within {timeout:.0f} s: expected {expected}, saw {seen}")
        time.sleep(0.1)
        seen = observe()
    deadline = time.monotonic() + quiet
    while True:
        assert seen == expected, f"expected exactly {expected}, saw {seen}"
        if time.monotonic() > deadline:
            return
        time.sleep(0.1)
        seen = observe()


def text_objects(node: Any, path: str = "") -> Iterator[tuple[str, str, str]]:
    """(kind, path, text) for every text in a block tree: kind is "mrkdwn", "plain_text" or "initial_value"."""
    if isinstance(node, dict):
        if node.get("type") in ("mrkdwn", "plain_text") and isinstance(node.get("text"), str):
            yield node["type"], path, node["text"]
        if isinstance(node.get("initial_value"), str):
            yield "initial_value", f"{path}.initial_value", node["initial_value"]
        for key, value in node.items():
            yield from text_objects(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from text_objects(item, f"{path}[{index}]")


# ----- requests built by hand, so tests do not depend on how the driver encodes text


def slack_encode(typed: str) -> str:
    """What Slack sends for text a person typed into a slash command: &, < and > as entities."""
    return typed.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def command_body(driver: SlackDriver, user_id: str, text: str, *, command: str = "/ticket") -> bytes:
    """A slash command's form body, with `text` exactly as given (the fields of SlackDriver.command)."""
    standin = driver.standin
    channel = standin.dm_channel(user_id)
    fields = {
        "token": VERIFICATION_TOKEN,
        "team_id": driver.team_id,
        "team_domain": TEAM_DOMAIN,
        "channel_id": channel,
        "channel_name": "directmessage",
        "user_id": user_id,
        "user_name": (standin.user(user_id) or {})["name"],
        "command": command,
        "text": text,
        "api_app_id": driver.api_app_id,
        "is_enterprise_install": "false",
        "response_url": standin.new_response_url(channel=channel, user=user_id),
        "trigger_id": standin.issue_trigger_id(user_id),
    }
    return urlencode(fields).encode()


def post_form(driver: SlackDriver, body: bytes, *, retry_num: int | None = None) -> Any:
    """POST a form body signed now (optionally as Slack's retry of it); a direct answer is shown like Slack would."""
    extra = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"} if retry_num else {}
    response = driver.post_raw(body, {"Content-Type": FORM, **driver.sign(body), **extra})
    assert response.status == 200, (response.status, response.text)
    return response


def show_answer(standin: SlackStandIn, user_id: str, answer: Any) -> None:
    """Record a slash command's direct answer in the stand-in (as an ephemeral), failing if Slack would refuse it."""
    if isinstance(answer, dict):
        error = standin.post_response(answer, channel=standin.dm_channel(user_id), user=user_id)
        assert error is None, f"Slack would refuse the answer {answer!r}: {error}"


def view_submission_body(driver: SlackDriver, user_id: str, values: dict[str, str]) -> tuple[bytes, str]:
    """A view_submission body for the user's top modal with plain-text inputs typed in; and the view's id."""
    standin = driver.standin
    stack = standin.view_stack(user_id)
    assert stack, f"{user_id} has no modal open"
    view = stack[-1]
    state = view["state"]["values"]
    for block in view["blocks"]:
        element = block.get("element") if block.get("type") == "input" else None
        if not isinstance(element, dict):
            continue
        typed = values.get(block["block_id"])
        if typed is not None:
            state.setdefault(block["block_id"], {})[element["action_id"]] = {"type": element["type"], "value": typed}
        elif element["type"] == "plain_text_input":
            initial = {"type": element["type"], "value": element.get("initial_value")}
            state.setdefault(block["block_id"], {}).setdefault(element["action_id"], initial)
        elif element["type"] == "static_select":
            chosen = {"type": element["type"], "selected_option": element.get("initial_option")}
            state.setdefault(block["block_id"], {}).setdefault(element["action_id"], chosen)
    view["state"] = {"values": state}
    user = standin.user(user_id)
    assert user is not None, f"unknown user {user_id}"
    payload = {
        "type": "view_submission",
        "team": {"id": driver.team_id, "domain": TEAM_DOMAIN},
        "user": {"id": user_id, "username": user["name"], "name": user["name"], "team_id": driver.team_id},
        "api_app_id": driver.api_app_id,
        "token": VERIFICATION_TOKEN,
        "trigger_id": standin.issue_trigger_id(user_id),
        "view": view,
        "response_urls": [],
        "enterprise": None,
        "is_enterprise_install": False,
    }
    return urlencode({"payload": json.dumps(payload)}).encode(), view["id"]
