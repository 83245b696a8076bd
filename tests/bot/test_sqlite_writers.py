"""SQLite writers queue at a lock beside the file: a second writer waits there (woken when the first commits), never
in SQLite's busy loop; readers never wait; across processes as across threads.

Every connection here has SQLite's busy timeout at 0, so a writer that met SQLite's own lock would fail at once with
"database is locked": a write that succeeds after waiting has waited at the gate.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.db import Database
from bot.sqlite_writers import gated_connection, lock_path

ROOT = Path(__file__).resolve().parents[2]
WAIT = 10.0  # seconds a test waits for a thread that must finish; far longer than any of them takes


@pytest.fixture
def path(tmp_path: Path) -> Iterator[str]:
    file = str(tmp_path / "writers.db")
    with sqlite3.connect(file) as setup:
        setup.execute("PRAGMA journal_mode=WAL")
        setup.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    yield file


def connect(path: str) -> sqlite3.Connection:
    return sqlite3.connect(path, timeout=0, check_same_thread=False, factory=gated_connection(lock_path(path)))


def write_in_thread(connection: sqlite3.Connection, body: str) -> tuple[threading.Thread, list[BaseException]]:
    errors: list[BaseException] = []

    def write() -> None:
        try:
            connection.cursor().execute("INSERT INTO notes (body) VALUES (?)", (body,))
            connection.commit()
        except BaseException as error:  # noqa: BLE001 - handed to the test
            errors.append(error)

    thread = threading.Thread(target=write)
    thread.start()
    return thread, errors


def bodies(path: str) -> list[str]:
    with sqlite3.connect(path) as reader:
        return [row[0] for row in reader.execute("SELECT body FROM notes ORDER BY id")]


def test_a_second_writer_waits_at_the_gate_and_goes_when_the_first_commits(path: str) -> None:
    first, second = connect(path), connect(path)
    first.cursor().execute("INSERT INTO notes (body) VALUES ('first')")
    thread, errors = write_in_thread(second, "second")
    thread.join(0.3)
    assert thread.is_alive()  # waiting, not failed with "database is locked"
    first.commit()
    thread.join(WAIT)
    assert not thread.is_alive() and errors == []
    assert bodies(path) == ["first", "second"]


def test_a_rolled_back_writer_lets_the_next_one_in(path: str) -> None:
    first, second = connect(path), connect(path)
    first.cursor().execute("INSERT INTO notes (body) VALUES ('dropped')")
    thread, errors = write_in_thread(second, "kept")
    first.rollback()
    thread.join(WAIT)
    assert errors == [] and bodies(path) == ["kept"]


def test_readers_do_not_wait_for_a_writer(path: str) -> None:
    writer, reader = connect(path), connect(path)
    writer.cursor().execute("INSERT INTO notes (body) VALUES ('not yet committed')")
    assert reader.cursor().execute("SELECT count(*) FROM notes").fetchone() == (0,)
    writer.commit()


def test_a_thread_holding_the_gate_is_not_made_to_wait_on_itself(path: str) -> None:
    first, second = connect(path), connect(path)
    first.cursor().execute("INSERT INTO notes (body) VALUES ('first')")
    # The same thread writing through a second connection would wait on itself at the gate: SQLite's own lock
    # answers instead (at once here, with no busy timeout).
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        second.cursor().execute("INSERT INTO notes (body) VALUES ('second')")
    first.commit()


HOLDER = """
import sqlite3, sys
from bot.sqlite_writers import gated_connection, lock_path
path = sys.argv[1]
connection = sqlite3.connect(path, timeout=0, factory=gated_connection(lock_path(path)))
connection.cursor().execute("INSERT INTO notes (body) VALUES ('other process')")
print("holding", flush=True)
sys.stdin.readline()
connection.commit()
"""


def test_a_writer_in_another_process_is_waited_for_at_the_gate(path: str) -> None:
    with subprocess.Popen(
        [sys.executable, "-c", HOLDER, path], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    ) as holder:
        assert holder.stdin is not None and holder.stdout is not None
        try:
            assert holder.stdout.readline().strip() == "holding"
            thread, errors = write_in_thread(connect(path), "this process")
            thread.join(0.3)
            assert thread.is_alive()
            holder.stdin.write("\n")
            holder.stdin.flush()
            thread.join(WAIT)
            assert errors == [] and bodies(path) == ["other process", "this process"]
        finally:
            holder.kill()


def test_liaisons_file_databases_use_the_gate(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'liaison.db'}")
    try:
        with database.engine.connect() as connection:
            assert type(connection.connection.dbapi_connection).__name__ == "GatedConnection"
    finally:
        database.dispose()
