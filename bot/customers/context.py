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

from sqlalchemy import Integer, Select, String, bindparam, cast, func, literal, null, select, union_all
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import ScalarSelect

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
    # The customer's satisfaction score for it, shown after the date when they answered the survey.
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
    """Two statements, built once: the four counts, then the few listed tickets (with their scores)."""
    customer = ticket.customer
    values = {"customer_id": ticket.customer_id, "ticket_id": ticket.id, "start": now - WINDOW, "now": now}
    total, open_count, met, breached = session.execute(FIGURES, values).one()
    urgent: list[tuple] = []
    solved: list[tuple] = []
    for row in session.execute(LISTS, values):
        (urgent if row.kind == OPEN else solved).append(row)
    # Each branch was ordered and limited in SQL; a UNION keeps no order between its rows, so order them again.
    urgent.sort(key=lambda r: (r.priority, r.at, r.id))
    solved.sort(key=lambda r: (r.at is not None, r.at or now, r.id), reverse=True)
    return CustomerContext(
        name=customer.name,
        tier=customer.tier,
        others=int(total),
        open_count=int(open_count),
        most_urgent=tuple(OpenTicket(r.id, r.subject, r.priority, r.status) for r in urgent),
        recent_solved=tuple(SolvedTicket(r.id, r.subject, r.shown_at, _score(r.score)) for r in solved),
        met=int(met or 0),
        breached=int(breached or 0),
    )


def _score(score: int | None) -> str | None:
    return None if score is None else f"{score}/5"


def _statements() -> tuple[Select, Select]:
    """The context's two statements, with bound parameters: built (and their cache keys made) once per process."""
    customer_id = bindparam("customer_id", type_=Ticket.__table__.c.customer_id.type)
    ticket_id = bindparam("ticket_id", type_=Ticket.__table__.c.id.type)
    start, now = bindparam("start", type_=UTCDateTime()), bindparam("now", type_=UTCDateTime())
    others = (Ticket.customer_id == customer_id, Ticket.id != ticket_id)
    active = Ticket.status.in_(rules.ACTIVE_STATUSES)
    mine = SlaClock.ticket_id.in_(select(Ticket.id).where(Ticket.customer_id == customer_id))

    def count(model: type, *where: ColumnElement[bool]) -> ScalarSelect:
        return select(func.count()).select_from(model).where(*where).scalar_subquery()

    figures = select(
        count(Ticket, *others),
        count(Ticket, *others, active),
        # SLA outcomes in the window, this ticket's included: as bot/digests/figures.py counts them.
        count(SlaClock, mine, SlaClock.state == MET, SlaClock.stopped_at >= start, SlaClock.stopped_at < now),
        count(SlaClock, mine, SlaClock.breached_at >= start, SlaClock.breached_at < now),
    )
    # `solved_at` is kept on the ticket at each solve, so the last solved are read through an index however long
    # the customer's history; a ticket solved before it was kept shows its last update.
    no_time, no_text = cast(null(), UTCDateTime()), cast(null(), String())
    urgent = (
        select(
            literal(OPEN).label("kind"),
            Ticket.id,
            Ticket.subject,
            Ticket.priority,
            Ticket.status,
            Ticket.created_at.label("at"),
            no_time.label("shown_at"),
            cast(null(), Integer()).label("score"),
        )
        .where(*others, active)
        .order_by(Ticket.priority, Ticket.created_at, Ticket.id)
        .limit(LISTED)
    )
    solved = (
        select(
            literal(SOLVED).label("kind"),
            Ticket.id,
            Ticket.subject,
            no_text.label("priority"),
            no_text.label("status"),
            Ticket.solved_at.label("at"),
            func.coalesce(Ticket.solved_at, Ticket.updated_at, type_=UTCDateTime()).label("shown_at"),
            Satisfaction.score,
        )
        .outerjoin(Satisfaction, Satisfaction.ticket_id == Ticket.id)
        .where(*others, Ticket.status.in_(STOPPED_STATUSES))
        .order_by(Ticket.solved_at.desc().nulls_last(), Ticket.id.desc())
        .limit(LISTED)
    )
    return figures, union_all(urgent.subquery().select(), solved.subquery().select())


OPEN, SOLVED = "open", "solved"
FIGURES, LISTS = _statements()


def card_line(session: Session, ticket: Ticket, now: datetime) -> str | None:
    """The card's customer context, up to three short mrkdwn lines; always at least the tier."""
    return render(context_for(session, ticket, now))


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
