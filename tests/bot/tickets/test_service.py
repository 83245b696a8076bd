"""The ticket service: each change is one unit of work with its event and its outbox rows."""

from __future__ import annotations

import contextlib
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, func, select

from bot.clock import MovableClock
from bot.config import LiaisonConfig
from bot.db import Database
from bot.errors import PermissionDenied, TicketNotFound, UsageError
from bot.tickets.service import Actor, TicketDraft, TicketService
from models import AppliedRequest, OutboxMessage, SlaClock, TicketEvent

AGENT = Actor("U0AGENT01", is_agent=True)
OTHER_AGENT = Actor("U0AGENT02", is_agent=True)
REQUESTER = Actor("U0REQ0001", is_agent=False)
STRANGER = Actor("U0STRANGE", is_agent=False)


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(datetime(2026, 12, 1, 15, 0, tzinfo=UTC))


@pytest.fixture
def tickets(database: Database, clock: MovableClock) -> TicketService:
    return TicketService(database, clock, LiaisonConfig(queue_channel="C0QUEUE01"))


def draft(**kw: object) -> TicketDraft:
    values: dict = {"subject": "Checkout fails", "new_customer": "Acme", "priority": "P2"} | kw
    return TicketDraft(**values)


def outbox_keys(database: Database) -> list[str]:
    with database.session() as session:
        return list(session.scalars(select(OutboxMessage.dedupe_key).order_by(OutboxMessage.id)))


def test_opening_a_ticket_queues_its_card_activity_and_a_dm_in_one_commit(
    tickets: TicketService, database: Database
) -> None:
    opened = tickets.open(REQUESTER, draft(description="Since 9am"))
    assert opened.created and opened.ticket.key == "T-1"
    assert opened.ticket.status == "new" and opened.ticket.customer.name == "Acme"
    assert outbox_keys(database) == ["card:T-1:post", "thread:T-1:event:1", "opened:T-1"]


def test_the_same_source_never_opens_a_second_ticket(tickets: TicketService, database: Database) -> None:
    first = tickets.open(REQUESTER, draft(source_ref="view:V123"))
    again = tickets.open(AGENT, draft(source_ref="view:V123", subject="Other"))
    assert not again.created and again.ticket.id == first.ticket.id
    assert len(outbox_keys(database)) == 3


def test_existing_customer_is_reused_case_insensitively(tickets: TicketService) -> None:
    first = tickets.open(REQUESTER, draft(new_customer="Acme Corp"))
    second = tickets.open(REQUESTER, draft(new_customer="acme  corp"))
    assert first.ticket.customer_id == second.ticket.customer_id


def test_a_ticket_needs_a_customer(tickets: TicketService) -> None:
    with pytest.raises(UsageError, match="customer"):
        tickets.open(REQUESTER, draft(new_customer=None))


def test_claim_opens_a_new_ticket_and_bumps_the_card(tickets: TicketService, database: Database) -> None:
    tickets.open(REQUESTER, draft())
    ticket = tickets.claim(AGENT, "T-1").ticket
    assert ticket.assignee_id == AGENT.user_id and ticket.status == "open" and ticket.card_version == 1
    assert outbox_keys(database)[-2:] == ["card:T-1:v1", "thread:T-1:event:2"]


def test_repeating_a_change_is_a_no_op(tickets: TicketService, database: Database) -> None:
    tickets.open(REQUESTER, draft())
    tickets.claim(AGENT, "T-1")
    tickets.claim(AGENT, "T-1")
    tickets.set_status(AGENT, "T-1", "open")
    assert outbox_keys(database).count("card:T-1:v2") == 0


def test_every_change_is_logged_in_order(tickets: TicketService, database: Database, clock: MovableClock) -> None:
    tickets.open(REQUESTER, draft())
    for change in (
        lambda: tickets.assign(AGENT, "T-1", OTHER_AGENT.user_id),
        lambda: tickets.set_priority(AGENT, "T-1", "P1"),
        lambda: tickets.reply(AGENT, "T-1", "Looking now"),
        lambda: tickets.set_status(AGENT, "T-1", "pending"),
        lambda: tickets.customer_message(REQUESTER, "T-1", "Still failing"),
        lambda: tickets.note(AGENT, "T-1", "Customer on legacy plan"),
    ):
        clock.advance(timedelta(minutes=1))
        change()
    with database.session() as session:
        events = list(session.scalars(select(TicketEvent).order_by(TicketEvent.id)))
    assert [e.kind for e in events] == [
        "created",
        "assignee_change",
        "priority_change",
        "public_reply",
        "status_change",
        "status_change",  # the customer's answer reopens the pending ticket
        "customer_message",
        "internal_note",
    ]
    assert events[2].data == {"old": "P2", "new": "P1"}
    assert events[0].created_at < events[-1].created_at


def test_a_customer_message_reopens_a_pending_ticket(tickets: TicketService) -> None:
    tickets.open(REQUESTER, draft())
    tickets.set_status(AGENT, "T-1", "pending")
    assert tickets.customer_message(AGENT, "T-1", "Here are the logs").ticket.status == "open"


def test_non_agents_cannot_change_tickets_but_may_add_to_their_own(tickets: TicketService) -> None:
    tickets.open(REQUESTER, draft())
    with pytest.raises(PermissionDenied, match="Only support agents can change T-1"):
        tickets.set_status(REQUESTER, "T-1", "solved")
    with pytest.raises(PermissionDenied):
        tickets.customer_message(STRANGER, "T-1", "hi")
    tickets.customer_message(REQUESTER, "T-1", "More detail")


def test_internal_notes_stay_internal(tickets: TicketService) -> None:
    tickets.open(REQUESTER, draft())
    tickets.note(AGENT, "T-1", "secret")
    tickets.reply(AGENT, "T-1", "public")
    assert "internal_note" in [e.kind for e in tickets.show(AGENT, "T-1").events]
    assert "internal_note" not in [e.kind for e in tickets.show(REQUESTER, "T-1").events]
    with pytest.raises(PermissionDenied):
        tickets.show(STRANGER, "T-1")


def test_unknown_ticket_is_named(tickets: TicketService) -> None:
    with pytest.raises(TicketNotFound, match="There is no ticket T-99"):
        tickets.claim(AGENT, "T-99")


def test_list_is_most_urgent_first(tickets: TicketService, clock: MovableClock) -> None:
    for subject, priority in [("low", "P4"), ("urgent old", "P1"), ("normal", "P3"), ("urgent new", "P1")]:
        clock.advance(timedelta(minutes=1))
        tickets.open(REQUESTER, draft(subject=subject, priority=priority))
    tickets.set_status(AGENT, "T-2", "pending")  # waiting on the customer: after the other P1
    tickets.set_status(AGENT, "T-3", "solved")
    assert [t.subject for t in tickets.list(AGENT, "open")] == ["urgent new", "urgent old", "low"]
    assert [t.subject for t in tickets.list(AGENT, "acme")][:2] == ["urgent new", "urgent old"]
    assert tickets.list(STRANGER, "open") == []


def events_of(database: Database) -> list[str]:
    with database.session() as session:
        return list(session.scalars(select(TicketEvent.kind).order_by(TicketEvent.id)))


def test_a_change_that_changes_nothing_records_and_posts_nothing(tickets: TicketService, database: Database) -> None:
    tickets.open(REQUESTER, draft())
    tickets.claim(AGENT, "T-1")
    tickets.set_priority(AGENT, "T-1", "P1")
    before = (events_of(database), outbox_keys(database))
    for change in (
        tickets.claim(AGENT, "T-1", request="command:again"),
        tickets.assign(AGENT, "T-1", AGENT.user_id),
        tickets.set_status(AGENT, "T-1", "open"),
        tickets.set_priority(AGENT, "T-1", "p1"),
    ):
        assert not change.applied and not change.repeated and change.ticket.key == "T-1"
    assert (events_of(database), outbox_keys(database)) == before


def test_the_same_request_applies_once(tickets: TicketService, database: Database) -> None:
    tickets.open(REQUESTER, draft())
    first = tickets.note(AGENT, "T-1", "Legacy plan", request="command:1337.42.abc")
    again = tickets.note(AGENT, "T-1", "Legacy plan", request="command:1337.42.abc")
    other = tickets.note(AGENT, "T-1", "Legacy plan", request="command:1337.43.def")  # typed again: a new request
    assert first.applied and not first.repeated
    assert not again.applied and again.repeated and again.ticket.card_version == first.ticket.card_version
    assert other.applied
    assert events_of(database).count("internal_note") == 2
    with database.session() as session:
        assert set(session.scalars(select(AppliedRequest.key))) == {"command:1337.42.abc", "command:1337.43.def"}


def test_a_refused_request_is_not_remembered(tickets: TicketService, database: Database) -> None:
    tickets.open(REQUESTER, draft())
    with pytest.raises(PermissionDenied):
        tickets.reply(REQUESTER, "T-1", "hi", request="view:V1")
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(AppliedRequest)) == 0
    assert tickets.customer_message(REQUESTER, "T-1", "hi", request="view:V1").applied


def test_values_that_are_no_status_priority_or_user_are_refused(tickets: TicketService) -> None:
    tickets.open(REQUESTER, draft())
    with pytest.raises(UsageError):
        tickets.set_status(AGENT, "T-1", "x" * 40)
    with pytest.raises(UsageError):
        tickets.set_priority(AGENT, "T-1", "P9")
    with pytest.raises(UsageError):
        tickets.assign(AGENT, "T-1", "U" + "1" * 40)
    with pytest.raises(UsageError):
        tickets.claim(AGENT, None)  # type: ignore[arg-type]


def test_two_claims_racing_on_one_ticket_apply_once(tickets: TicketService, database: Database) -> None:
    """Both read the unclaimed ticket before either writes; the loser's UPDATE finds the row version moved and its
    unit of work runs again on the new state. Without that, PostgreSQL records two claims (or raises StaleDataError)."""
    tickets.open(REQUESTER, draft())
    both_read = threading.Barrier(2, timeout=2)  # SQLite serializes the writers, so there the barrier times out
    waited = threading.local()

    def hold_first_flush(session, _context, _instances) -> None:  # type: ignore[no-untyped-def]
        if not getattr(waited, "done", False):
            waited.done = True
            with contextlib.suppress(threading.BrokenBarrierError):
                both_read.wait()

    event.listen(database.sessions, "before_flush", hold_first_flush)
    try:
        with ThreadPoolExecutor(2) as pool:
            futures = [pool.submit(tickets.claim, AGENT, "T-1", request=f"action:{n}") for n in range(2)]
            changes = [future.result(timeout=30) for future in futures]
    finally:
        event.remove(database.sessions, "before_flush", hold_first_flush)
    assert sorted(change.applied for change in changes) == [False, True]
    assert events_of(database).count("assignee_change") == 1
    assert outbox_keys(database).count("card:T-1:v1") == 1 and "card:T-1:v2" not in outbox_keys(database)


def test_a_change_that_moves_no_clock_leaves_the_clock_rows_unwritten(database: Database, clock: MovableClock) -> None:
    policy = {
        "tickets": {"queue_channel": "C0QUEUE01"},
        "sla": {"policies": [{"name": "all", "targets": {"P2": {"first_response": {"duration": "1h"}}}}]},
    }
    tickets = TicketService(database, clock, LiaisonConfig.from_dict(policy))
    opened = tickets.open(REQUESTER, draft()).ticket
    clock.advance(timedelta(minutes=5))
    statements: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    event.listen(database.engine, "before_cursor_execute", seen)
    try:
        tickets.note(AGENT, opened.key, "Looked at the logs")  # an internal note moves no SLA clock
    finally:
        event.remove(database.engine, "before_cursor_execute", seen)
    with database.session() as session:
        rows = list(session.scalars(select(SlaClock).where(SlaClock.ticket_id == opened.id)))
    assert rows and {row.updated_at for row in rows} == {opened.created_at}
    assert not [s for s in statements if s.lstrip().upper().startswith("UPDATE SLA_CLOCKS")]
