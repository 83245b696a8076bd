"""Engine and session factory; `session_scope` is the unit of work for a listener or a job."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Engine, TextClause, any_, bindparam, create_engine, event, make_url, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from bot import sqlite_writers

log = logging.getLogger(__name__)
T = TypeVar("T")
# PostgreSQL's serialization failure and deadlock: the transaction lost a race and may simply run again.
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        # A pool as large as a process's threads (gunicorn's 8, the scheduler's jobs, a console), so a busy moment
        # never opens and closes overflow connections, each paying its PRAGMAs and a fresh page cache.
        path = make_url(url).database
        in_memory = path in (None, "", ":memory:") or path.startswith("file:")
        pool = {} if in_memory else {"pool_size": 16, "max_overflow": 16}
        connect: dict[str, Any] = {"check_same_thread": False, "timeout": 30}
        if not in_memory:  # writers queue at a lock beside the file rather than in SQLite's sleeping busy loop
            connect["factory"] = sqlite_writers.gated_connection(sqlite_writers.lock_path(path))
        engine = create_engine(url, connect_args=connect, **pool)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")  # durable across application crashes in WAL mode
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    # 16: every thread of a process (gunicorn's 8, the scheduler's jobs) keeps a connection instead of opening one.
    return create_engine(url, pool_pre_ping=True, pool_size=16, max_overflow=8)


class Database:
    """Owns the engine and hands out sessions; one per process."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        with self.sessions() as session, session.begin():
            yield session

    def transaction(self, work: Callable[[Session], T], *, attempts: int = 5) -> T:
        """Run `work` in one transaction; run it again from the start when it lost a race to another change.

        A race shows as a stale row version (two changes to one ticket read the same state; the second one's
        UPDATE finds the version moved) or a serialization failure. `work` must do nothing outside the database.
        """
        for attempt in range(1, attempts + 1):
            try:
                with self.session() as session:
                    return work(session)
            except (StaleDataError, DBAPIError) as error:
                if attempt == attempts or not lost_race(error):
                    raise
                log.info("transaction lost a race (%s: %s); running it again", type(error).__name__, error)
        raise AssertionError("unreachable")

    def ping(self) -> bool:
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            return True
        except SQLAlchemyError:
            return False

    def dispose(self) -> None:
        self.engine.dispose()


def lost_race(error: Exception) -> bool:
    """Did a transaction fail only because another one changed the same rows first? (Then it may run again.)"""
    if isinstance(error, StaleDataError):
        return True
    return getattr(getattr(error, "orig", None), "sqlstate", None) in RETRYABLE_SQLSTATES


def among(session: Session, column: Any, values: Sequence[Any]) -> ColumnElement[bool]:
    """`column IN values`, as one array parameter (`= ANY(...)`) on PostgreSQL.

    psycopg converts a query's placeholders for PostgreSQL afresh on every run once it has over 50 parameters (it
    caches only shorter ones), and a batch's `IN` list of 500 ids then cost more to prepare than to run.
    """
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(list(values))


def insert_new(session: Session, model: type, values: dict, *, unique: str) -> bool:
    """INSERT one row unless a row with the same `unique` value exists (a column, or "a, b" for a composite unique
    key); True when inserted.

    One statement on SQLite and PostgreSQL alike, so a duplicate costs no prior SELECT and cannot race.
    """
    statement = _insert_ignoring(model, unique, tuple(values), returning=True)
    # RETURNING says whether a row went in; rowcount does not (psycopg reports -1 for a statement that returns).
    return session.connection().execute(statement, _with_defaults(model, values)).first() is not None


def insert_many_new(session: Session, model: type, rows: Sequence[dict], *, unique: str) -> None:
    """`insert_new` for many rows with the same columns, in one executemany; duplicates are skipped silently."""
    if not rows:
        return
    statement = _insert_ignoring(model, unique, tuple(rows[0]), returning=False)
    session.connection().execute(statement, [_with_defaults(model, row) for row in rows])


def _with_defaults(model: type, values: dict) -> dict:
    missing = [(name, default) for name, default in _defaults(model).items() if name not in values]
    if not missing:
        return values
    return values | {name: default.arg(None) if default.is_callable else default.arg for name, default in missing}


@functools.cache
def _defaults(model: type) -> dict[str, Any]:
    """The columns' Python-side defaults, which a textual INSERT must apply itself."""
    table = model.__table__  # type: ignore[attr-defined]
    return {c.key: c.default for c in table.columns if c.default is not None and not c.default.is_sequence}


@functools.cache
def _insert_ignoring(model: type, unique: str, columns: tuple[str, ...], *, returning: bool) -> TextClause:
    # A textual statement with typed parameters: SQLAlchemy caches its compiled form, which it never does for the
    # dialects' INSERT ... ON CONFLICT constructs (they have no cache key), and compiling one costs more than running
    # it. The same SQL runs on SQLite (3.35+) and PostgreSQL.
    table = model.__table__  # type: ignore[attr-defined]
    names = sorted(set(columns) | _defaults(model).keys())
    quoted = ", ".join(f'"{n}"' for n in names)
    conflict = ", ".join(f'"{c.strip()}"' for c in unique.split(","))  # one column, or a composite unique key
    sql = (
        f'INSERT INTO "{table.name}" ({quoted}) VALUES ({", ".join(":" + n for n in names)}) '
        f"ON CONFLICT ({conflict}) DO NOTHING" + (" RETURNING id" if returning else "")
    )
    return text(sql).bindparams(*(bindparam(n, type_=table.c[n].type) for n in names))
