"""The HTTP surface: `POST /slack/events` into Bolt, webhooks of other services (`POST /webhooks/pagerduty`),
`GET /healthz` for the database; a WSGI app gunicorn serves, and the small threaded server `python app.py` serves it
with."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot.db import Database

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def wsgi_app(
    bolt: App,
    database: Database,
    *,
    path: str = "/slack/events",
    serve_events: bool = True,
    hooks: dict[str, WSGIApp] | None = None,
) -> WSGIApp:
    """`serve_events=False` (Socket Mode without a signing secret) refuses Slack requests over HTTP; `hooks` are
    other services' webhooks by path (POST only)."""
    slack = SlackRequestHandler(bolt)
    hooks = hooks or {}

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        route = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if route == path and method == "POST":
            if serve_events:
                return slack(environ, start_response)
            body = b"this app receives Slack requests by Socket Mode; set SLACK_SIGNING_SECRET to accept them here"
            start_response("404 Not Found", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
            return [body]
        if route in hooks and method == "POST":
            return hooks[route](environ, start_response)
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


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    """wsgiref's server with one thread per request."""

    # Closing the server waits for requests in flight, so nothing still writes to the database after a stop.
    daemon_threads = False
    block_on_close = True
    allow_reuse_address = True


class QuietHandler(WSGIRequestHandler):
    """No access-log line per request."""

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass


def threaded_server(app: WSGIApp, host: str, port: int) -> WSGIServer:
    """A bound threaded server for `app`; port 0 takes a free port."""
    return make_server(host, port, app, ThreadingWSGIServer, QuietHandler)


def serve(app: WSGIApp, port: int, host: str = "0.0.0.0") -> None:
    """Serve `app` until interrupted: `python app.py`'s HTTP mode (gunicorn serves `app:wsgi()` instead)."""
    with threaded_server(app, host, port) as server:
        server.serve_forever()
