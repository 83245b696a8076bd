"""The HTTP surface: `POST /slack/events` into Bolt, `GET /healthz` for the database; a WSGI app gunicorn serves."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot.db import Database

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def wsgi_app(bolt: App, database: Database, *, path: str = "/slack/events") -> WSGIApp:
    slack = SlackRequestHandler(bolt)

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        route = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if route == path and method == "POST":
            return slack(environ, start_response)
        if route == "/healthz" and method in ("GET", "HEAD"):
            healthy = database.ping()
            body = json.dumps({"ok": healthy, "database": "reachable" if healthy else "unreachable"}).encode()
            status = "200 OK" if healthy else "503 Service Unavailable"
            start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        body = b"not found"
        start_response("404 Not Found", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
        return [body]

    return application
