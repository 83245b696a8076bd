"""Test database: built once per run by the Alembic migrations, emptied before every test.

LIAISON_TEST_DATABASE_URL selects PostgreSQL; unset, each run gets a fresh SQLite file.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import text

from bot.db import Database
from models import Base

ROOT = Path(__file__).resolve().parent.parent


def alembic_config(url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["url"] = url
    config.attributes["configure_logger"] = False
    return config


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
    command.upgrade(alembic_config(database_url), "head")
    database = Database(database_url)
    yield database
    database.dispose()


@pytest.fixture
def database(migrated_database: Database) -> Database:
    """The migrated database with every table emptied (ids restart, so the first ticket is T-1)."""
    tables = [table.name for table in reversed(Base.metadata.sorted_tables)]
    with migrated_database.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(text(f"DELETE FROM {table}"))
    return migrated_database
