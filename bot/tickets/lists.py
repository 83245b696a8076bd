"""Ticket lists, most urgent first: their statements, built once per kind of list and bound when they run."""

from __future__ import annotations

import functools

from sqlalchemy import Integer, Select, String, bindparam, case, func, select

from bot.tickets import rules
from models import Customer, Ticket


@functools.cache
def list_query(kind: str, is_agent: bool) -> Select[tuple[Ticket]]:
    """A ticket list's statement, built once per kind of list: the person, the search text and the limit are bound
    when it runs (building it took about as long as running it)."""
    user = bindparam("user", type_=String)
    query = select(Ticket)
    if kind == "mine":
        mine = Ticket.assignee_id if is_agent else Ticket.requester_id
        query = query.where(mine == user, Ticket.status.in_(rules.ACTIVE_STATUSES))
    elif kind == "open":
        query = query.where(Ticket.status.in_(rules.ACTIVE_STATUSES))
    else:
        query = query.join(Customer).where(func.lower(Customer.name).contains(bindparam("search", type_=String)))
    if not is_agent:
        query = query.where(Ticket.requester_id == user)
    return query.order_by(*urgency()).limit(bindparam("limit", type_=Integer))


def urgency() -> tuple:
    """The order of a list: breached first, then the nearest SLA deadline, priority, waiting on us, age."""
    waiting_on_us = case(
        (Ticket.status.in_(("new", "open")), 0), (Ticket.status.in_(rules.ACTIVE_STATUSES), 1), else_=2
    )
    # The nearest SLA deadline first (tickets without one after), then priority, then waiting on us, then age.
    return (
        Ticket.sla_breached.is_(False),
        Ticket.next_deadline_at.is_(None),
        Ticket.next_deadline_at,
        Ticket.priority,
        waiting_on_us,
        Ticket.created_at,
        Ticket.id,
    )
