"""Engine and session factory; `session_scope` is the unit of work for a listener or a job."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

log = logging.getLogger(__name__)
T = TypeVar("T")
# PostgreSQL's serialization failure and deadlock: the transaction lost a race and may simply run again.
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")  # durable across application crashes in WAL mode
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


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
                if attempt == attempts or not _lost_race(error):
                    raise
                log.info("transaction lost a race (%s); running it again", type(error).__name__)
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


def _lost_race(error: Exception) -> bool:
    if isinstance(error, StaleDataError):
        return True
    return getattr(getattr(error, "orig", None), "sqlstate", None) in RETRYABLE_SQLSTATES


def insert_new(session: Session, model: type, values: dict, *, unique: str) -> bool:
    """INSERT one row unless a row with the same `unique` column value exists; True when inserted.

    One statement on SQLite and PostgreSQL alike, so a duplicate costs no prior SELECT and cannot race.
    """
    statement = _insert_ignoring(model, session.get_bind().dialect.name, unique)
    # RETURNING says whether a row went in; rowcount does not (psycopg reports -1 for a statement that returns).
    return session.connection().execute(statement, values).first() is not None


@functools.cache
def _insert_ignoring(model: type, dialect: str, unique: str):  # type: ignore[no-untyped-def]
    # Built once and executed with parameters, so SQLAlchemy compiles it once instead of on every call.
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(model).on_conflict_do_nothing(index_elements=[unique]).returning(model.id)
