"""One writer at a time on a SQLite file, queued by the kernel instead of SQLite's busy loop.

SQLite lets one connection write at a time. A connection that finds the write lock taken retries in its busy
handler, which sleeps between tries: 1, 2, 5, 10 ... up to 100 ms at a time. With gunicorn's threads and workers all
writing (commands, the outbox drain, the sweep), those sleeps were most of a modal submission's slowest times: a
writer slept on while the lock it waited for was free again.

So each connection takes an exclusive `flock` on a file beside the database before its first write, and lets go
when its transaction ends (commit, rollback or close). A waiting writer is woken by the kernel the moment the lock is
free, in any thread of any process on this machine. Readers never take it: in WAL mode they do not wait for writers.

A statement counts as a write when it starts with INSERT, UPDATE, DELETE or REPLACE. Anything else that writes
(a migration's DDL) still works as before, through SQLite's own lock and busy handler. A thread that already holds
the gate through another connection does not take it again (it would wait on itself); its second connection falls
back to SQLite's own lock too.
"""

from __future__ import annotations

import fcntl
import os
import re
import sqlite3
import threading
from typing import Any

WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)
_held = threading.local()  # how many gates this thread holds, over all its connections


def lock_path(database: str) -> str:
    return f"{database}.writers"


def gated_connection(path: str) -> type[sqlite3.Connection]:
    """A `sqlite3.Connection` class (for `sqlite3.connect(..., factory=...)`) that takes the writers' lock at
    `path` before its first write of each transaction."""

    class GatedCursor(sqlite3.Cursor):
        def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
            if WRITE.match(sql):
                self.connection.enter()  # type: ignore[attr-defined]
            return super().execute(sql, parameters)

        def executemany(self, sql: str, seq_of_parameters: Any, /) -> sqlite3.Cursor:
            if WRITE.match(sql):
                self.connection.enter()  # type: ignore[attr-defined]
            return super().executemany(sql, seq_of_parameters)

    class GatedConnection(sqlite3.Connection):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._gate = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            self._holding = False

        def cursor(self, factory: Any = GatedCursor) -> Any:  # type: ignore[override]
            return super().cursor(factory)

        def enter(self) -> None:
            """Wait for the gate, unless this connection or this thread already holds it."""
            if self._holding or getattr(_held, "count", 0):
                return
            fcntl.flock(self._gate, fcntl.LOCK_EX)  # releases the GIL while it waits
            self._holding = True
            _held.count = 1

        def leave(self) -> None:
            if self._holding:
                self._holding = False
                _held.count = 0
                fcntl.flock(self._gate, fcntl.LOCK_UN)

        def commit(self) -> None:
            try:
                super().commit()
            finally:
                self.leave()

        def rollback(self) -> None:
            try:
                super().rollback()
            finally:
                self.leave()

        def close(self) -> None:
            try:
                super().close()
            finally:
                self.leave()
                if self._gate >= 0:
                    os.close(self._gate)
                    self._gate = -1

    return GatedConnection
