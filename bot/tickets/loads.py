"""Each agent's active tickets, counted as tickets change (`agent_presence.open_tickets`), so routing reads 200
agents' loads in one small query rather than counting 10,000 tickets for every decision.

Every change of a ticket's assignee or status goes through `TicketService._changed`, which calls `moved` in the
same unit of work: the count commits or rolls back with the change, and a change retried after a lost race counts
once. The increment is a single upsert, so two processes moving tickets of one agent add up instead of overwriting
each other. Migration 0016 started the count from the tickets as they were; `recount` starts it afresh.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, bindparam, func, select, text, update
from sqlalchemy.orm import Session

from bot.db import insert_many_new
from bot.tickets import rules
from models import AgentPresence, Ticket
from models.base import UTCDateTime

# A textual statement, compiled once: the same SQL runs on SQLite (3.24+) and PostgreSQL.
_ADD = text(
    "INSERT INTO agent_presence (user_id, open_tickets, offers_waiting, updated_at) VALUES (:user_id, :delta, 0, :now) "
    "ON CONFLICT (user_id) DO UPDATE SET open_tickets = agent_presence.open_tickets + excluded.open_tickets, "
    "updated_at = excluded.updated_at"
).bindparams(bindparam("delta", type_=Integer), bindparam("now", type_=UTCDateTime(timezone=True)))

Holder = tuple[str | None, str]  # (assignee, status)


def deltas(before: Holder, after: Holder) -> dict[str, int]:
    """What a move from `before` to `after` does to each agent's count: an active ticket counts for its assignee."""
    out: dict[str, int] = {}
    for (user, status), sign in ((before, -1), (after, 1)):
        if user is not None and status in rules.ACTIVE_STATUSES:
            out[user] = out.get(user, 0) + sign
    return {user: delta for user, delta in out.items() if delta}


def moved(session: Session, before: Holder, after: Holder, now: datetime) -> None:
    """Count a change of a ticket's (assignee, status); agents in id order, so two transactions never wait on each
    other's rows in opposite orders."""
    for user, delta in sorted(deltas(before, after).items()):
        session.connection().execute(_ADD, {"user_id": user, "delta": delta, "now": now})


def recount(session: Session, now: datetime) -> None:
    """Count every agent's active tickets afresh (after tickets were written other than through the service, as
    the benchmarks load them)."""
    active = Ticket.assignee_id.is_not(None) & Ticket.status.in_(rules.ACTIVE_STATUSES)
    holders = session.scalars(select(Ticket.assignee_id).where(active).distinct()).all()
    insert_many_new(
        session, AgentPresence, [{"user_id": user, "updated_at": now} for user in holders], unique="user_id"
    )
    count = (
        select(func.count())
        .where(Ticket.assignee_id == AgentPresence.user_id, Ticket.status.in_(rules.ACTIVE_STATUSES))
        .scalar_subquery()
    )
    session.execute(update(AgentPresence).values(open_tickets=count).execution_options(synchronize_session=False))
