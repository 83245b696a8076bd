"""Test database: built once per run by the Alembic migrations, emptied before every test.

LIAISON_TEST_DATABASE_URL selects PostgreSQL; unset, each run gets a fresh SQLite file.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from bot.db import Database
from bot.migrate import upgrade
from models import Base


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("LIAISON_TEST_DATABASE_URL") or ""
    if not url:
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'liaison-test.db'}"
    reset = Database(url)
    with reset.engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    reset.dispose()
    return url


@pytest.fixture(scope="session")
def migrated_database(database_url: str) -> Iterator[Database]:
    upgrade(database_url)
    database = Database(database_url)
    yield database
    database.dispose()


@pytest.fixture
def database(migrated_database: Database) -> Database:
    """The migrated database with every table emptied (ids restart, so the first ticket is T-1)."""
    tables = [table.name for table in reversed(Base.metadata.sorted_tables)]
    for attempt in range(5):
        try:
            with migrated_database.engine.begin() as connection:
                if connection.dialect.name == "postgresql":
                    connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
                else:
                    for table in tables:
                        connection.execute(text(f"DELETE FROM {table}"))
            return migrated_database
        except OperationalError:
            # A connection of the previous test's app may still be closing; TRUNCATE lost a lock race. Try again.
            if attempt == 4:
                raise
            time.sleep(0.2 * (attempt + 1))
    return migrated_database


# The Slack stand-in, the real Bolt app on a loopback port and the signing driver, for end-to-end tests anywhere.
pytest_plugins = ["tests.slack_fixtures"]
