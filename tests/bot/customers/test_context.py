"""Customer context against a hand-computed history, read at NOW (1 Jun 2026 12:00 UTC); W is NOW - 90 days.

One 24/7 policy for everyone: first response 1h, resolution 30d. Acme & Co (premium):
- T-1 P4 at W-10d: replied +10m, solved +1h (both met, before the window).
- T-2 P3 at W-3h: replied W-1h (first response breached W-2h, before the window), solved W+1h (met, in it).
- T-3 is Globex's, still open (both targets breached in the window: another customer's, never counted for Acme).
- T-4 P2 at NOW-30d: replied +30m, solved +2h (both met); closed at NOW-15d (it was solved at NOW-30d+2h).
- T-5 P3 at NOW-20d: replied +3h (breached +1h), solved +4h, the customer wrote back at NOW-19d (reopened), solved
  again NOW-19d+1h (resolution met).
- Open: T-6 P3 new at NOW-10d, T-7 P2 at NOW-8d (replied +30m: met), T-8 P3 pending at NOW-6d, T-9 P4 at NOW-4d;
  the sweep at NOW breaches the first response of T-6, T-8 and T-9.
- T-10 P1 at NOW-30m: the ticket whose card we read.
In the window: 5 met (T-2 resolution, T-4 both, T-5 resolution, T-7 first response), 4 breached (T-5, T-6, T-8,
T-9 first response): 55% (rounded down).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import select

from bot.clock import MovableClock
from bot.config import LiaisonConfig
from bot.customers.context import CustomerContext, card_line, context_for
from bot.db import Database
from bot.messages.common import slack_date
from bot.migrate import alembic_config
from bot.sla.sweep import SlaTimers
from bot.tickets import cards
from bot.tickets.service import Actor, TicketDraft, TicketService
from bot.timers import TimerRegistry, TimerSweep
from models import Ticket

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
W = NOW - timedelta(days=90)
AGENT = Actor("U0AGENT01", is_agent=True)
TARGETS = {"first_response": {"duration": "1h"}, "resolution": {"duration": "30d"}}
CONFIG = LiaisonConfig.from_dict(
    {
        "tickets": {"queue_channel": "C0QUEUE01"},
        "sla": {"policies": [{"name": "all", "targets": {p: TARGETS for p in ("P1", "P2", "P3", "P4")}}]},
    }
)
ACME = "Acme & Co"


class History:
    def __init__(self, database: Database, start: datetime) -> None:
        self.database = database
        self.clock = MovableClock(start)
        self.tickets = TicketService(database, self.clock, CONFIG)

    def at(self, instant: datetime, change: Callable[[], object]) -> None:
        self.clock.advance(instant - self.clock.now())
        change()

    def open(self, instant: datetime, subject: str, priority: str, customer: str = ACME, tier: str = "premium") -> str:
        draft = TicketDraft(subject, priority, new_customer=customer, new_customer_tier=tier)
        self.at(instant, lambda: None)
        return self.tickets.open(AGENT, draft).ticket.key

    def reply(self, instant: datetime, key: str) -> None:
        self.at(instant, lambda: self.tickets.reply(AGENT, key, "On it"))

    def status(self, instant: datetime, key: str, status: str) -> None:
        self.at(instant, lambda: self.tickets.set_status(AGENT, key, status))

    def sweep(self, instant: datetime) -> None:
        self.at(instant, lambda: None)
        registry = TimerRegistry()
        SlaTimers(self.tickets).register(registry)
        TimerSweep(self.database, self.clock, registry).run()


@pytest.fixture
def acme(database: Database) -> Database:
    h = History(database, W - timedelta(days=10))
    t1 = h.open(W - timedelta(days=10), "Ancient", "P4")
    h.reply(W - timedelta(days=10) + timedelta(minutes=10), t1)
    h.status(W - timedelta(days=10) + timedelta(hours=1), t1, "solved")
    t2 = h.open(W - timedelta(hours=3), "Old invoice", "P3")
    h.reply(W - timedelta(hours=1), t2)
    h.status(W + timedelta(hours=1), t2, "solved")
    t3 = h.open(W + timedelta(days=2), "Globex thing", "P1", "Globex", "standard")
    h.reply(W + timedelta(days=2, hours=2), t3)
    t4 = h.open(NOW - timedelta(days=30), "Billing question", "P2")
    h.reply(NOW - timedelta(days=30) + timedelta(minutes=30), t4)
    h.status(NOW - timedelta(days=30) + timedelta(hours=2), t4, "solved")
    t5 = h.open(NOW - timedelta(days=20), "Export & import", "P3")
    h.reply(NOW - timedelta(days=20) + timedelta(hours=3), t5)
    h.status(NOW - timedelta(days=20) + timedelta(hours=4), t5, "solved")
    h.at(NOW - timedelta(days=19), lambda: h.tickets.customer_message(AGENT, t5, "Still broken"))
    h.status(NOW - timedelta(days=19) + timedelta(hours=1), t5, "solved")
    h.status(NOW - timedelta(days=15), t4, "closed")
    h.open(NOW - timedelta(days=10), "Login loop", "P3")
    t7 = h.open(NOW - timedelta(days=8), "SSO <!here> &\nSAML", "P2")
    h.reply(NOW - timedelta(days=8) + timedelta(minutes=30), t7)
    t8 = h.open(NOW - timedelta(days=6), "Slow dashboard", "P3")
    h.status(NOW - timedelta(days=6) + timedelta(minutes=30), t8, "pending")
    h.open(NOW - timedelta(days=4), "Typo in footer", "P4")
    h.open(NOW - timedelta(minutes=30), "Site down", "P1")
    h.sweep(NOW)
    return database


def read(database: Database, number: int) -> CustomerContext:
    with database.session() as session:
        ticket = session.get(Ticket, number)
        assert ticket is not None
        return context_for(session, ticket, NOW)


def line(database: Database, number: int) -> str | None:
    with database.session() as session:
        ticket = session.get(Ticket, number)
        assert ticket is not None
        return card_line(session, ticket, NOW)


def day(moment: datetime) -> str:
    return slack_date(moment, "{date_short_pretty}")


def test_other_open_tickets_are_counted_and_the_most_urgent_listed_by_priority_then_age(acme: Database) -> None:
    context = read(acme, 10)
    assert (context.name, context.tier, context.others, context.open_count) == (ACME, "premium", 8, 4)
    assert [(t.key, t.priority, t.status) for t in context.most_urgent] == [
        ("T-7", "P2", "open"),
        ("T-6", "P3", "new"),
        ("T-8", "P3", "pending"),
    ]
    assert not context.first_ticket


def test_the_ticket_itself_is_never_among_the_others(acme: Database) -> None:
    # T-10 is the most urgent of Acme's open tickets: on its own card it is not listed, on T-6's it is.
    assert "T-10" not in [t.key for t in read(acme, 10).most_urgent]
    other = read(acme, 6)
    assert other.open_count == 4
    assert [t.key for t in other.most_urgent] == ["T-10", "T-7", "T-8"]
    # A solved ticket is not among its own customer's last solved either.
    assert [t.key for t in read(acme, 5).recent_solved] == ["T-4", "T-2", "T-1"]


def test_last_solved_are_the_most_recent_by_when_they_were_solved(acme: Database) -> None:
    solved = read(acme, 10).recent_solved
    # T-4 was closed after T-5 was solved again, but it was solved before: closing does not make it recent.
    assert [(t.key, t.subject, t.solved_at) for t in solved] == [
        ("T-5", "Export & import", NOW - timedelta(days=19) + timedelta(hours=1)),
        ("T-4", "Billing question", NOW - timedelta(days=30) + timedelta(hours=2)),
        ("T-2", "Old invoice", W + timedelta(hours=1)),
    ]
    assert all(t.satisfaction is None for t in solved)  # the CSAT hook renders nothing yet


def test_tickets_solved_before_solve_times_were_kept_get_them_from_their_log(acme: Database) -> None:
    config = alembic_config(acme.url)
    command.downgrade(config, "0016")  # before migration 0017: no solve time on the ticket
    command.upgrade(config, "head")  # which finds each one's last solve in its log
    test_last_solved_are_the_most_recent_by_when_they_were_solved(acme)
    with acme.session() as session:
        never = session.scalars(select(Ticket.id).where(Ticket.solved_at.is_(None)).order_by(Ticket.id)).all()
        assert never == [3, 6, 7, 8, 9, 10], "every ticket ever solved has its time; the open ones have none"


def test_sla_achievement_counts_the_customers_outcomes_of_the_last_90_days(acme: Database) -> None:
    context = read(acme, 10)
    assert (context.met, context.breached) == (5, 4)
    assert context.percent == pytest.approx(500 / 9)
    # Globex's own history: both its targets breached in the window (resolution 30 days after), nothing met.
    globex = read(acme, 3)
    assert (globex.met, globex.breached, globex.percent) == (0, 2, 0.0)
    assert globex.first_ticket


def test_card_line_names_tier_open_others_last_solved_and_sla(acme: Database) -> None:
    assert line(acme, 10) == (
        "*Customer*: premium tier · 4 other open: T-7 SSO &lt;!here&gt; &amp; SAML (P2, open),"
        " T-6 Login loop (P3, new), T-8 Slow dashboard (P3, pending)\n"
        f"Last solved: T-5 Export &amp; import ({day(NOW - timedelta(days=19) + timedelta(hours=1))}),"
        f" T-4 Billing question ({day(NOW - timedelta(days=30) + timedelta(hours=2))}),"
        f" T-2 Old invoice ({day(W + timedelta(hours=1))})\n"
        "SLA 55% over 90 days (5 met, 4 breached)"
    )


def test_a_first_time_customer_is_named_and_its_text_escaped(database: Database) -> None:
    h = History(database, NOW - timedelta(hours=1))
    h.open(NOW - timedelta(hours=1), "<!channel> help", "P3", "Tom & Jerry <!here>", "standard")
    context = read(database, 1)
    assert (context.others, context.open_count, context.most_urgent, context.recent_solved) == (0, 0, (), ())
    assert context.percent is None
    assert line(database, 1) == "*Customer*: standard tier · first ticket from Tom &amp; Jerry &lt;!here&gt;"


def test_a_customer_with_history_but_nothing_else_open(database: Database) -> None:
    h = History(database, NOW - timedelta(days=2))
    first = h.open(NOW - timedelta(days=2), "Question", "P3", "Initech", "standard")
    h.reply(NOW - timedelta(days=2) + timedelta(minutes=20), first)
    h.status(NOW - timedelta(days=2) + timedelta(hours=1), first, "solved")
    h.open(NOW - timedelta(hours=1), "Another question", "P3", "Initech", "standard")
    assert line(database, 2) == (
        "*Customer*: standard tier · no other open tickets\n"
        f"Last solved: T-1 Question ({day(NOW - timedelta(days=2) + timedelta(hours=1))})\n"
        "SLA 100% over 90 days (2 met, 0 breached)"
    )


def test_the_card_renderer_shows_the_line(acme: Database) -> None:
    expected = line(acme, 10)
    assert expected
    with acme.session() as session:
        ticket = session.get(Ticket, 10)
        assert ticket is not None
        text, blocks = cards.renderer(CONFIG.sla, card_line)(session, ticket, NOW)
    contexts = [e["text"] for b in blocks if b["type"] == "context" for e in b["elements"]]
    assert expected in contexts
    assert "T-10" in text
