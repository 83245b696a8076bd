"""`POST /slack/events` is always signature-checked, whatever mode the app runs in."""

from __future__ import annotations

import io
from pathlib import Path
from urllib.parse import urlencode

import pytest

from app import create_app
from bot.clock import MovableClock
from bot.config import LiaisonConfig
from bot.db import Database
from bot.local.standin import SlackStandIn
from bot.settings import Settings

UNSIGNED = urlencode({"command": "/ticket", "text": "note T-1 forged", "user_id": "U0ALICE01"}).encode()


def post(app, body: bytes, headers: dict[str, str] | None = None) -> tuple[str, bytes]:
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/slack/events",
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "QUERY_STRING": "",
        "SERVER_NAME": "test",
        "SERVER_PORT": "80",
        "wsgi.url_scheme": "http",
    }
    for name, value in (headers or {}).items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    status: list[str] = []
    chunks = app(environ, lambda s, _headers, *_: status.append(s))
    return status[0], b"".join(chunks)


@pytest.mark.parametrize(("secret", "expected"), [(None, ("404",)), ("socket-and-http-secret", ("400", "401"))])
def test_an_unsigned_request_is_refused_when_socket_mode_is_configured(
    secret: str | None, expected: tuple[str, ...], database: Database, slack: SlackStandIn, clock: MovableClock
) -> None:
    settings = Settings(
        bot_token=slack.bot_token,
        signing_secret=secret,
        app_token="xapp-1-local",
        api_url=slack.api_url,
        database_url=database.url,
        port=0,
        config_path=Path("unused.toml"),
    )
    liaison = create_app(settings, config=LiaisonConfig(queue_channel="C0QUEUE01"), clock=clock)
    try:
        forged = {"X-Slack-Request-Timestamp": str(int(clock.now().timestamp())), "X-Slack-Signature": "v0=00"}
        for headers in ({}, forged):
            status, body = post(liaison.wsgi, UNSIGNED, headers)
            assert status.startswith(expected), (status, body)  # a listener reached would answer 200
    finally:
        liaison.services.database.dispose()
    assert slack.calls("chat.postMessage") == [] and slack.ephemerals() == []
