"""Customer context on the ticket card and `/ticket show`: who else this customer is waiting on us for, what we
solved for them lately and how we kept our SLA with them, so nobody asks a customer to repeat themselves.

Definitions (every count is an SQL aggregate; only the few listed tickets are read as rows):
- *tier*: the customer's support tier, always shown;
- *other open*: the customer's tickets in an active status (`rules.ACTIVE_STATUSES`), never the ticket itself;
  the `LISTED` most urgent are named, by priority (P1 first), then the oldest;
- *last solved*: the customer's other tickets now solved or closed, the `LISTED` most recent by when they were
  solved: the last status change from an active status to solved or closed (their last update if none is logged);
- *SLA achievement*: met / (met + breached) over the customer's SLA clocks (every ticket, this one included) whose
  outcome fell in the `WINDOW` before now: `state == 'met'` with `stopped_at` in it against `breached_at` in it,
  as in bot/digests/figures.py (`_achievement`), summed over the metrics;
- *first ticket*: the customer has no other ticket at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from bot.db import Database
from bot.messages.common import slack_date
from bot.sla.clocks import STOPPED_STATUSES
from bot.text import mrkdwn
from bot.tickets import rules
from models import Satisfaction, SlaClock, Ticket
from models.base import UTCDateTime

LISTED = 3
WINDOW = timedelta(days=90)
SUBJECT_LIMIT = 60
MET = "met"


@dataclass(frozen=True)
class OpenTicket:
    id: int
    subject: str
    priority: str
    status: str

    @property
    def key(self) -> str:
        return f"T-{self.id}"


@dataclass(frozen=True)
class SolvedTicket:
    id: int
    subject: str
    solved_at: datetime
    # Hook for satisfaction scores: filled by `satisfaction_scores`, shown after the date when set.
    satisfaction: str | None = None

    @property
    def key(self) -> str:
        return f"T-{self.id}"


@dataclass(frozen=True)
class CustomerContext:
    name: str
    tier: str
    others: int  # the customer's other tickets, in any status
    open_count: int  # of which active
    most_urgent: tuple[OpenTicket, ...] = field(default_factory=tuple)
    recent_solved: tuple[SolvedTicket, ...] = field(default_factory=tuple)
    met: int = 0
    breached: int = 0

    @property
    def percent(self) -> float | None:
        """SLA achievement over `WINDOW`, None when no clock met or breached in it."""
        total = self.met + self.breached
        return 100.0 * self.met / total if total else None

    @property
    def first_ticket(self) -> bool:
        return self.others == 0


def context_for(session: Session, ticket: Ticket, now: datetime) -> CustomerContext:
    customer = ticket.customer
    others = [Ticket.customer_id == ticket.customer_id, Ticket.id != ticket.id]
    active = Ticket.status.in_(rules.ACTIVE_STATUSES)
    total, open_count = session.execute(
        select(func.count(), func.coalesce(func.sum(case((active, 1), else_=0)), 0)).where(*others)
    ).one()
    urgent = session.execute(
        select(Ticket.id, Ticket.subject, Ticket.priority, Ticket.status)
        .where(*others, active)
        .order_by(Ticket.priority, Ticket.created_at, Ticket.id)
        .limit(LISTED)
    ).all()
    return CustomerContext(
        name=customer.name,
        tier=customer.tier,
        others=int(total),
        open_count=int(open_count),
        most_urgent=tuple(OpenTicket(*row) for row in urgent),
        recent_solved=_recent_solved(session, ticket),
        **_sla(session, ticket.customer_id, now),
    )


def _recent_solved(session: Session, ticket: Ticket) -> tuple[SolvedTicket, ...]:
    # `solved_at` is kept on the ticket at each solve: the listed three are read through an index, however long
    # the customer's history (its last solve, until migration 0017, was found among all their tickets' events).
    solved_at = func.coalesce(Ticket.solved_at, Ticket.updated_at, type_=UTCDateTime())
    rows = session.execute(
        select(Ticket.id, Ticket.subject, solved_at)
        .where(
            Ticket.customer_id == ticket.customer_id,
            Ticket.id != ticket.id,
            Ticket.status.in_(STOPPED_STATUSES),
        )
        .order_by(Ticket.solved_at.desc(), Ticket.id.desc())
        .limit(LISTED)
    ).all()
    scores = satisfaction_scores(session, [row[0] for row in rows])
    return tuple(SolvedTicket(id_, subject, at, scores.get(id_)) for id_, subject, at in rows)


def satisfaction_scores(session: Session, ticket_ids: list[int]) -> dict[int, str]:
    """Each listed solved ticket's satisfaction score, where the customer answered the survey."""
    if not ticket_ids:
        return {}
    rows = session.execute(
        select(Satisfaction.ticket_id, Satisfaction.score).where(Satisfaction.ticket_id.in_(ticket_ids))
    )
    return {ticket_id: f"{score}/5" for ticket_id, score in rows}


def _sla(session: Session, customer_id: int, now: datetime) -> dict[str, int]:
    start = now - WINDOW
    met = and_(SlaClock.state == MET, SlaClock.stopped_at >= start, SlaClock.stopped_at < now)
    breached = and_(SlaClock.breached_at >= start, SlaClock.breached_at < now)
    row = session.execute(
        select(func.sum(case((met, 1), else_=0)), func.sum(case((breached, 1), else_=0)))
        .select_from(SlaClock)
        .join(Ticket, Ticket.id == SlaClock.ticket_id)
        .where(Ticket.customer_id == customer_id, or_(met, breached))
    ).one()
    return {"met": int(row[0] or 0), "breached": int(row[1] or 0)}


def card_line(session: Session, ticket: Ticket, now: datetime) -> str | None:
    """The card's customer context, up to three short mrkdwn lines; always at least the tier."""
    return render(context_for(session, ticket, now))


def for_key(database: Database, key: str, now: datetime) -> str | None:
    """`card_line` for `/ticket show`, in a session of its own; None when the ticket does not exist."""
    with database.session() as session:
        ticket = session.get(Ticket, rules.parse_key(key))
        return None if ticket is None else card_line(session, ticket, now)


def render(context: CustomerContext) -> str:
    head = f"*Customer*: {mrkdwn(context.tier, 32)} tier"
    if context.first_ticket:
        head += f" · first ticket from {mrkdwn(context.name, 100)}"
    elif context.open_count:
        listed = ", ".join(f"{t.key} {_subject(t.subject)} ({t.priority}, {t.status})" for t in context.most_urgent)
        head += f" · {context.open_count} other open: {listed}"
    else:
        head += " · no other open tickets"
    lines = [head]
    if context.recent_solved:
        solved = ", ".join(
            f"{t.key} {_subject(t.subject)} ({slack_date(t.solved_at, '{date_short_pretty}')}"
            + (f", {t.satisfaction})" if t.satisfaction else ")")
            for t in context.recent_solved
        )
        lines.append(f"Last solved: {solved}")
    if context.percent is not None:
        percent = 100 * context.met // (context.met + context.breached)  # rounded down: 100% only with no breach
        lines.append(f"SLA {percent}% over {WINDOW.days} days ({context.met} met, {context.breached} breached)")
    return "\n".join(lines)


def _subject(subject: str) -> str:
    """A subject on one line, short and escaped (it is user text)."""
    return mrkdwn(" ".join(subject.split()), SUBJECT_LIMIT)
