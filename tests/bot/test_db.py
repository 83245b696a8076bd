"""Database helpers: `among`, the IN list that stays one parameter on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import insert, select

from bot.db import Database, among
from models import Timer

NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)


def test_among_selects_exactly_the_given_ids_however_many(database: Database) -> None:
    with database.session() as session:
        session.execute(
            insert(Timer),
            [
                {
                    "kind": "ping",
                    "due_at": NOW,
                    "dedupe_key": f"t:{n}",
                    "state": "pending",
                    "data": {},
                    "created_at": NOW,
                }
                for n in range(1200)
            ],
        )
        ids = list(session.scalars(select(Timer.id).order_by(Timer.id)))
        wanted = ids[::2][:600]
        found = list(session.scalars(select(Timer.id).where(among(session, Timer.id, wanted)).order_by(Timer.id)))
        assert found == wanted
        assert list(session.scalars(select(Timer.id).where(among(session, Timer.id, [])))) == []


def test_among_binds_one_array_on_postgresql_and_a_plain_in_list_elsewhere(database: Database) -> None:
    with database.session() as session:
        dialect = session.get_bind().dialect
        statement = select(Timer.id).where(among(session, Timer.id, range(1, 501)))
        compiled = statement.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
    if dialect.name == "postgresql":
        # psycopg re-converts a query with over 50 parameters on every run; one array keeps it cached.
        assert len(compiled.params) == 1 and "ANY" in str(compiled)
    else:
        assert len(compiled.params) == 500 and " IN " in str(compiled)
