"""Each agent's active tickets, counted as tickets change: the count always equals a recount of the tickets."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import func, select, update

from bot.clock import MovableClock
from bot.config import LiaisonConfig
from bot.db import Database
from bot.migrate import alembic_config
from bot.tickets import rules
from bot.tickets.loads import deltas, recount
from bot.tickets.service import Actor, TicketDraft, TicketService
from models import AgentPresence, Ticket

ANA, BEN = Actor("U0ANA0001", is_agent=True), Actor("U0BEN0001", is_agent=True)
CUSTOMER = Actor("U0CUST001", is_agent=False)


@pytest.fixture
def tickets(database: Database) -> TicketService:
    clock = MovableClock(datetime(2026, 12, 1, 15, 0, tzinfo=UTC))
    return TicketService(database, clock, LiaisonConfig(queue_channel="C0QUEUE01"))


def open_tickets(tickets: TicketService, count: int) -> list[str]:
    draft = TicketDraft(subject="Checkout fails", new_customer="Acme", priority="P2")
    return [tickets.open(CUSTOMER, draft).ticket.key for _ in range(count)]


def counted(database: Database) -> dict[str, int]:
    with database.session() as session:
        rows = session.execute(select(AgentPresence.user_id, AgentPresence.open_tickets)).tuples()
        return {user: count for user, count in rows if count}


def recounted(database: Database) -> dict[str, int]:
    with database.session() as session:
        query = (
            select(Ticket.assignee_id, func.count())
            .where(Ticket.assignee_id.is_not(None), Ticket.status.in_(rules.ACTIVE_STATUSES))
            .group_by(Ticket.assignee_id)
        )
        return {user: count for user, count in session.execute(query).tuples()}


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        ((None, "new"), ("U1", "open"), {"U1": 1}),
        (("U1", "open"), ("U2", "open"), {"U1": -1, "U2": 1}),
        (("U1", "open"), ("U1", "pending"), {}),
        (("U1", "on-hold"), ("U1", "solved"), {"U1": -1}),
        (("U1", "solved"), ("U1", "open"), {"U1": 1}),
        (("U1", "solved"), ("U2", "closed"), {}),
        (("U1", "open"), (None, "open"), {"U1": -1}),
    ],
)
def test_an_active_ticket_counts_for_its_assignee(
    before: tuple[str | None, str], after: tuple[str | None, str], expected: dict[str, int]
) -> None:
    assert deltas(before, after) == expected


def test_the_count_follows_every_change_of_assignee_and_status(tickets: TicketService, database: Database) -> None:
    first, second, third = open_tickets(tickets, 3)
    steps = [
        lambda: tickets.claim(ANA, first),
        lambda: tickets.claim(ANA, second),
        lambda: tickets.assign(ANA, third, BEN.user_id),
        lambda: tickets.assign(BEN, second, BEN.user_id),
        lambda: tickets.set_status(ANA, first, "pending"),
        lambda: tickets.set_status(ANA, first, "solved"),
        lambda: tickets.customer_message(CUSTOMER, first, "Still broken"),  # reopens it
        lambda: tickets.set_status(BEN, third, "closed"),
        lambda: tickets.assign(BEN, second, None),
        lambda: tickets.claim(ANA, third),  # a closed ticket taken over counts for nobody
    ]
    for step in steps:
        step()
        assert counted(database) == recounted(database)
    assert counted(database) == {ANA.user_id: 1}


def test_changes_in_parallel_all_count(tickets: TicketService, database: Database) -> None:
    keys = open_tickets(tickets, 8)
    with ThreadPoolExecutor(8) as pool:
        for change in [pool.submit(tickets.claim, ANA, key) for key in keys]:
            change.result(timeout=30)
    assert counted(database) == recounted(database) == {ANA.user_id: 8}


def test_the_migration_starts_the_count_from_the_tickets_as_they_are(
    tickets: TicketService, database: Database
) -> None:
    first, second, third = open_tickets(tickets, 3)
    tickets.claim(ANA, first)
    tickets.claim(ANA, second)
    tickets.claim(BEN, third)
    tickets.set_status(ANA, second, "solved")
    config = alembic_config(database.url)
    command.downgrade(config, "0015")  # the counts go
    command.upgrade(config, "head")
    assert counted(database) == recounted(database) == {ANA.user_id: 1, BEN.user_id: 1}


def test_a_recount_repairs_the_count(tickets: TicketService, database: Database) -> None:
    first, second = open_tickets(tickets, 2)
    tickets.claim(ANA, first)
    tickets.claim(BEN, second)
    with database.session() as session:
        session.execute(update(AgentPresence).values(open_tickets=7))
        recount(session, datetime(2026, 12, 1, 16, 0, tzinfo=UTC))
    assert counted(database) == {ANA.user_id: 1, BEN.user_id: 1}
