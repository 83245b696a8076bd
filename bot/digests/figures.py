"""SLA figures for a period, computed by SQL aggregates over the clocks the SLA engine keeps.

Definitions (the digest and `/ticket stats` show the same ones):
- a *breach* is a clock (one ticket's target for one metric and cycle) whose deadline passed in the period;
- *achievement* per metric is met / (met + breached): clocks met (stopped in time) in the period against clocks that
  breached in it;
- *response times* are the working time each first-response and resolution clock counted until it stopped in the
  period, on its target's calendar (the SLA engine's own figure, kept on the clock), as nearest-rank median and p90;
- *breached and open*, *at risk* and *unusual pauses* describe now: tickets still breached, tickets with less
  than `at_risk` working time left on a running clock, tickets whose resolution clock has been paused longer than
  `unusual_pause` in all (pauses that ended plus the one going on);
- a *reopen* is a change from solved or closed back to an open status in the period.
A filter narrows every figure to tickets of a tier, priority, SLA policy, customer or assignee.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, extract, func, literal, or_, select
from sqlalchemy.orm import Session

from bot.digests.filters import EVERYTHING, Filter, Scope
from bot.sla.clocks import STOPPED_STATUSES
from bot.sla.policy import FIRST_RESPONSE, METRICS, RESOLUTION, PolicyBook
from bot.tickets import rules
from models import Customer, Incident, IncidentTicket, SlaClock, Ticket, TicketEvent
from models.base import UTCDateTime

MET, BREACHED, RUNNING = "met", "breached", "running"


@dataclass(frozen=True)
class Count:
    label: str
    count: int


@dataclass(frozen=True)
class TicketLine:
    """A ticket the digest names, with what makes it worth naming (`at`: the breach, the deadline, the pause)."""

    id: int
    subject: str
    customer: str
    priority: str
    assignee: str | None
    created_at: datetime
    queue_channel: str
    card_ts: str | None
    metric: str | None = None
    at: datetime | None = None
    paused: timedelta | None = None

    @property
    def key(self) -> str:
        return f"T-{self.id}"


@dataclass(frozen=True)
class Achievement:
    metric: str
    met: int
    breached: int

    @property
    def percent(self) -> float | None:
        total = self.met + self.breached
        return 100.0 * self.met / total if total else None


@dataclass(frozen=True)
class Timing:
    metric: str
    count: int
    median: timedelta
    p90: timedelta


@dataclass(frozen=True)
class IncidentLine:
    id: int
    title: str
    severity: str
    status: str
    tickets: int
    channel_id: str | None

    @property
    def key(self) -> str:
        return f"INC-{self.id}"


@dataclass(frozen=True)
class Thresholds:
    at_risk: timedelta = timedelta(hours=2)
    unusual_pause: timedelta = timedelta(days=3)
    listed: int = 10


@dataclass
class Figures:
    start: datetime
    end: datetime
    now: datetime
    filter: Filter
    created: int = 0
    solved: int = 0
    breaches: int = 0
    breaches_by: dict[str, list[Count]] = field(default_factory=dict)
    breached_open: list[TicketLine] = field(default_factory=list)
    breached_open_count: int = 0
    at_risk: list[TicketLine] = field(default_factory=list)
    at_risk_count: int = 0
    achievement: list[Achievement] = field(default_factory=list)
    timings: list[Timing] = field(default_factory=list)
    paused: list[TicketLine] = field(default_factory=list)
    paused_count: int = 0
    reopened: int = 0
    incidents: list[IncidentLine] = field(default_factory=list)
    limits: Thresholds = field(default_factory=lambda: Thresholds())

    @property
    def all_clear(self) -> bool:
        return not (self.breaches or self.breached_open_count or self.at_risk_count)


def compute(
    session: Session,
    book: PolicyBook,
    start: datetime,
    end: datetime,
    now: datetime,
    wanted: Filter = EVERYTHING,
    limits: Thresholds = Thresholds(),
) -> Figures:
    """Every figure of the digest for [start, end), with the lists as they stand at `now`."""
    figures = Figures(start, end, now, wanted, limits=limits)
    scope = Scope(wanted)
    breached = _breaches(session, scope, start, end, figures)
    figures.created = _count(session, scope.tickets().where(_between(Ticket.created_at, start, end)))
    # Clocks that stopped in the period, by metric and outcome: met targets, and tickets solved (resolution).
    stopped = session.execute(
        scope.clocks(SlaClock.metric, SlaClock.state, func.count())
        .where(SlaClock.metric.in_(METRICS), _between(SlaClock.stopped_at, start, end))
        .group_by(SlaClock.metric, SlaClock.state)
    ).all()
    met = {metric: n for metric, state, n in stopped if state == MET}
    figures.solved = sum(n for metric, _, n in stopped if metric == RESOLUTION)
    figures.achievement = [
        Achievement(m, met.get(m, 0), breached.get(m, 0)) for m in METRICS if met.get(m) or breached.get(m)
    ]
    figures.timings = _timings(session, scope, start, end)
    figures.breached_open_count, figures.breached_open = _breached_open(session, scope, limits.listed)
    figures.at_risk_count, figures.at_risk = _at_risk(session, book, scope, now, limits)
    figures.paused_count, figures.paused = _paused(session, scope, start, end, now, limits)
    figures.reopened = _reopened(session, scope, start, end)
    figures.incidents = _incidents(session, start, end)
    return figures


def daily(session: Session, bounds: Sequence[datetime], wanted: Filter = EVERYTHING) -> list[tuple[int, int]]:
    """(breaches, met) per day between consecutive `bounds` (local midnights, so days follow the zone's DST)."""
    scope = Scope(wanted)
    out = [[0, 0] for _ in bounds[:-1]]
    for column, slot, extra in (
        (SlaClock.breached_at, 0, []),
        # By metric too, so the (metric, stopped_at) index reads only the days asked for.
        (SlaClock.stopped_at, 1, [SlaClock.metric.in_(METRICS), SlaClock.state == MET]),
    ):
        day = _bucket(column, bounds)
        query = scope.clocks(day, func.count()).where(_between(column, bounds[0], bounds[-1]), *extra).group_by(day)
        for index, count in session.execute(query).all():
            out[int(index)][slot] = count
    return [(breaches, met) for breaches, met in out]


# Queries


def _between(column: Any, start: datetime, end: datetime) -> ColumnElement[bool]:
    return and_(column >= start, column < end)


def _count(session: Session, query: Any) -> int:
    return int(session.scalar(query) or 0)


def _bucket(column: Any, bounds: Sequence[datetime]) -> Any:
    """The index of the [bounds[i], bounds[i+1]) slot a timestamp falls in, as one CASE (no time zones in SQL)."""
    return case(*((column < bound, index) for index, bound in enumerate(bounds[1:])), else_=len(bounds) - 1)


def _breaches(session: Session, scope: Scope, start: datetime, end: datetime, figures: Figures) -> dict[str, int]:
    """The period's breaches in one grouped pass (every breakdown at once: one join instead of one per breakdown);
    the breakdowns and the total go on `figures`, the count per metric is returned."""
    dimensions = (SlaClock.policy, Ticket.priority, Customer.tier, Ticket.assignee_id, SlaClock.metric)
    rows = session.execute(
        scope.clocks(*dimensions, func.count(), customer=True)
        .where(_between(SlaClock.breached_at, start, end))
        .group_by(*dimensions)
    ).all()
    totals: list[dict[str, int]] = [{} for _ in dimensions]
    for row in rows:
        for index, value in enumerate(row[:-1]):
            totals[index][value or ""] = totals[index].get(value or "", 0) + row[-1]
    figures.breaches = sum(row[-1] for row in rows)
    for name, counted in zip(("policy", "priority", "tier", "agent"), totals, strict=False):
        ordered = sorted(counted.items(), key=lambda item: (-item[1], item[0]))
        figures.breaches_by[name] = [Count(label, n) for label, n in ordered]
    return totals[-1]


def _timings(session: Session, scope: Scope, start: datetime, end: datetime) -> list[Timing]:
    """Nearest-rank median and p90 of the working time counted, per metric: PostgreSQL's percentile_disc (the
    smallest value whose share reaches p is rank ceil(p*n)), elsewhere window functions."""
    taken = [
        SlaClock.metric.in_((FIRST_RESPONSE, RESOLUTION)),
        _between(SlaClock.stopped_at, start, end),
        SlaClock.elapsed_seconds.is_not(None),
    ]
    found: dict[str, tuple[int, int, int]] = {}
    if session.get_bind().dialect.name == "postgresql":
        median = func.percentile_disc(0.5).within_group(SlaClock.elapsed_seconds)
        p90 = func.percentile_disc(0.9).within_group(SlaClock.elapsed_seconds)
        query = scope.clocks(SlaClock.metric, func.count(), median, p90).where(*taken).group_by(SlaClock.metric)
        found = {metric: (n, m, p) for metric, n, m, p in session.execute(query)}
    else:
        ranked = scope.clocks(
            SlaClock.metric,
            SlaClock.elapsed_seconds.label("seconds"),
            func.row_number().over(partition_by=SlaClock.metric, order_by=SlaClock.elapsed_seconds).label("rank"),
            func.count().over(partition_by=SlaClock.metric).label("n"),
        ).where(*taken)
        ranked = ranked.subquery()
        # ceil(n/2) and ceil(9n/10) in integer arithmetic.
        median_rank, p90_rank = (ranked.c.n + 1) // 2, (ranked.c.n * 9 + 9) // 10
        rows = session.execute(
            select(
                ranked.c.metric, ranked.c.n, ranked.c.seconds, ranked.c.rank == median_rank, ranked.c.rank == p90_rank
            ).where(or_(ranked.c.rank == median_rank, ranked.c.rank == p90_rank))
        ).all()
        parts: dict[str, dict[str, int]] = {}
        for metric, n, seconds, is_median, is_p90 in rows:
            entry = parts.setdefault(metric, {"n": n})
            entry.update({"median": seconds} if is_median else {})
            entry.update({"p90": seconds} if is_p90 else {})
        found = {metric: (e["n"], e["median"], e["p90"]) for metric, e in parts.items()}
    return [
        Timing(metric, n, timedelta(seconds=int(median)), timedelta(seconds=int(p90)))
        for metric in (FIRST_RESPONSE, RESOLUTION)
        if metric in found
        for n, median, p90 in [found[metric]]
    ]


_LINE_COLUMNS = (
    Ticket.id,
    Ticket.subject,
    Customer.name,
    Ticket.priority,
    Ticket.assignee_id,
    Ticket.created_at,
    Ticket.queue_channel,
    Ticket.card_ts,
)


def _breached_open(session: Session, scope: Scope, listed: int) -> tuple[int, list[TicketLine]]:
    open_breached = [Ticket.sla_breached.is_(True), Ticket.status.in_(rules.ACTIVE_STATUSES)]
    count = _count(session, scope.tickets().where(*open_breached))
    rows = session.execute(
        scope.tickets(*_LINE_COLUMNS, customer=True)
        .where(*open_breached)
        .order_by(Ticket.created_at, Ticket.id)
        .limit(listed)
    ).all()
    # Which target of each listed ticket is breached and unmet, the oldest breach first.
    unmet: dict[int, tuple[str, datetime]] = {}
    for ticket_id, metric, breached_at in session.execute(
        select(SlaClock.ticket_id, SlaClock.metric, SlaClock.breached_at)
        .where(
            SlaClock.ticket_id.in_([row[0] for row in rows]),
            SlaClock.state == BREACHED,
            SlaClock.stopped_at.is_(None),
        )
        .order_by(SlaClock.breached_at.desc())
    ):
        unmet[ticket_id] = (metric, breached_at)
    lines = []
    for row in rows:
        metric, breached_at = unmet.get(row[0], (None, None))
        lines.append(TicketLine(*row, metric=metric, at=breached_at))
    return count, lines


def _at_risk(
    session: Session, book: PolicyBook, scope: Scope, now: datetime, limits: Thresholds
) -> tuple[int, list[TicketLine]]:
    """Running clocks with less than `at_risk` working time left: the deadline comes before the instant the target's
    own calendar reaches by adding `at_risk` to now (one cut-off per target, chosen in SQL by a CASE)."""
    cutoffs: list[tuple[ColumnElement[bool], datetime]] = []
    for policy in book.policies:
        for priority, targets in policy.targets.items():
            for metric, target in targets.items():
                cutoff = target.calendar.add(now, limits.at_risk)
                condition = and_(SlaClock.policy == policy.name, Ticket.priority == priority, SlaClock.metric == metric)
                cutoffs.append((condition, cutoff))
    if not cutoffs:
        return 0, []  # no SLA policy: nothing has a deadline
    latest = max(cutoff for _, cutoff in cutoffs)
    cutoff = case(*((c, literal(at, UTCDateTime())) for c, at in cutoffs), else_=literal(now, UTCDateTime()))
    risky = [
        Ticket.status.in_(rules.ACTIVE_STATUSES),
        Ticket.next_deadline_at < latest,  # through the ticket's index, before the per-target test
        SlaClock.state == RUNNING,
        SlaClock.deadline_at >= now,
        SlaClock.deadline_at < cutoff,
    ]
    count = _count(session, scope.clocks(func.count(func.distinct(Ticket.id)), ticket=True).where(*risky))
    soonest = func.min(SlaClock.deadline_at)
    rows = session.execute(
        scope.clocks(*_LINE_COLUMNS, soonest, customer=True)
        .where(*risky)
        .group_by(*_LINE_COLUMNS)
        .order_by(soonest, Ticket.id)
        .limit(limits.listed)
    ).all()
    return count, [TicketLine(*row[:-1], at=row[-1]) for row in rows]


def _paused(
    session: Session,
    scope: Scope,
    start: datetime,
    end: datetime,
    now: datetime,
    limits: Thresholds,
) -> tuple[int, list[TicketLine]]:
    """Open tickets, and tickets solved in the period, whose resolution clock was paused longer than usual."""
    going_on = now.timestamp() - extract("epoch", SlaClock.paused_since)
    total = SlaClock.paused_seconds + case((SlaClock.paused_since.is_not(None), going_on), else_=0)
    # A resolution clock that has not stopped is an open ticket's: read on the clock alone, through its index.
    unusual = [
        SlaClock.metric == RESOLUTION,
        or_(SlaClock.stopped_at.is_(None), _between(SlaClock.stopped_at, start, end)),
        total > limits.unusual_pause.total_seconds(),
    ]
    count = _count(session, scope.clocks().where(*unusual))
    listed = scope.clocks(*_LINE_COLUMNS, total, customer=True).where(*unusual)
    rows = session.execute(listed.order_by(total.desc(), Ticket.id).limit(limits.listed)).all()
    return count, [TicketLine(*row[:-1], paused=timedelta(seconds=int(row[-1]))) for row in rows]


def _reopened(session: Session, scope: Scope, start: datetime, end: datetime) -> int:
    query = scope.events().where(
        TicketEvent.kind == rules.STATUS_CHANGE,
        _between(TicketEvent.created_at, start, end),
        TicketEvent.data["old"].as_string().in_(STOPPED_STATUSES),
        TicketEvent.data["new"].as_string().in_(rules.ACTIVE_STATUSES),
    )
    return _count(session, query)


def _incidents(session: Session, start: datetime, end: datetime) -> list[IncidentLine]:
    """Incidents open at any time in the period, most severe first, with how many tickets each has linked."""
    linked = (
        select(func.count())
        .select_from(IncidentTicket)
        .where(IncidentTicket.incident_id == Incident.id)
        .scalar_subquery()
    )
    rows = session.execute(
        select(Incident.id, Incident.title, Incident.severity, Incident.status, linked, Incident.channel_id)
        .where(Incident.created_at < end, or_(Incident.resolved_at.is_(None), Incident.resolved_at >= start))
        .order_by(Incident.severity, Incident.id)
    ).all()
    return [IncidentLine(*row) for row in rows]
