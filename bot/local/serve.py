"""A threaded WSGI server on a loopback port in a background thread, for local mode, tests and benchmarks."""

from __future__ import annotations

import threading

from handlers.http import WSGIApp, threaded_server


class BackgroundServer:
    """Serves a WSGI app on a loopback port in a daemon thread."""

    def __init__(self, app: WSGIApp, host: str = "127.0.0.1", port: int = 0) -> None:
        self._server = threaded_server(app, host, port)
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
