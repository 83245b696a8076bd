"""A small threaded WSGI server for local mode, tests and benchmarks (production uses gunicorn)."""

from __future__ import annotations

import threading
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from handlers.http import WSGIApp


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    # Closing the server waits for requests in flight, so nothing still writes to the database after a stop.
    daemon_threads = False
    block_on_close = True
    allow_reuse_address = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass


class BackgroundServer:
    """Serves a WSGI app on a loopback port in a daemon thread."""

    def __init__(self, app: WSGIApp, host: str = "127.0.0.1", port: int = 0) -> None:
        self._server = make_server(host, port, app, ThreadingWSGIServer, QuietHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="liaison-http", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/"

    def start(self) -> BackgroundServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
