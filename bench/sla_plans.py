"""The plans of the statements a piece of code runs: record them from the engine, then EXPLAIN each one.

`StatementLog(engine)` records each distinct SELECT/INSERT/UPDATE/DELETE with its first parameters while active;
`explain(engine, statements)` prints SQLite's EXPLAIN QUERY PLAN, or PostgreSQL's EXPLAIN (with ANALYZE, BUFFERS
for SELECTs, in a transaction rolled back), with the very parameters the code used.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy import Engine, event


class StatementLog(AbstractContextManager["StatementLog"]):
    """Records each distinct SQL statement an engine runs while active, with its first parameters."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.statements: dict[str, Any] = {}

    def _record(self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        if statement.lstrip().split(" ", 1)[0].upper() in ("SELECT", "INSERT", "UPDATE", "DELETE"):
            self.statements.setdefault(statement, parameters[0] if many else parameters)

    def __enter__(self) -> StatementLog:
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._record)


def explain(engine: Engine, statements: dict[str, Any]) -> list[tuple[str, str]]:
    """The plan of each statement: SQLite's EXPLAIN QUERY PLAN; PostgreSQL's EXPLAIN, ANALYZE for SELECTs.

    Runs in a transaction that is rolled back, so locks taken by EXPLAIN ANALYZE of `FOR UPDATE` are released.
    """
    plans = []
    postgres = engine.dialect.name == "postgresql"
    with engine.connect() as connection:
        for sql, params in statements.items():
            if postgres:
                prefix = "EXPLAIN (ANALYZE, BUFFERS) " if sql.lstrip().upper().startswith("SELECT") else "EXPLAIN "
                rows = connection.exec_driver_sql(prefix + sql, params).all()
                plan = "\n".join(row[0] for row in rows)
            else:
                rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params).all()
                plan = "\n".join(row[-1] for row in rows)
            plans.append((" ".join(sql.split()), "\n".join(_clip(line) for line in plan.splitlines())))
        connection.rollback()
    return plans


def _clip(line: str, width: int = 200) -> str:
    """A plan line cut to width (PostgreSQL prints every id of an IN list)."""
    return line if len(line) <= width else line[: width - 1] + "…"
