"""SLA clocks derived from a ticket's event log: pure functions, no database and no Slack.

Each metric's clock is a set of running spans (time the ticket was not paused for it) measured on the current
target's calendar. A priority or policy change keeps the original start and the pauses; if the new target was
already exceeded, it breaches at the moment of the change.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.sla.policy import FIRST_RESPONSE, METRICS, NEXT_RESPONSE, RESOLUTION, PolicyBook, Target
from bot.tickets import rules

RUNNING, PAUSED, MET, BREACHED = "running", "paused", "met", "breached"
STOPPED_STATUSES = frozenset({"solved", "closed"})


@dataclass(frozen=True)
class Happening:
    """One event of the ticket's log, as the clocks see it."""

    kind: str
    at: datetime
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TicketFacts:
    """What policy matching and the clocks read from a ticket."""

    created_at: datetime
    priority: str
    status: str
    tier: str
    source: str
    customer: str
    events: Sequence[Happening]


@dataclass(frozen=True)
class ClockState:
    metric: str
    cycle: int
    policy: str
    target: Target
    started_at: datetime
    state: str
    elapsed: timedelta
    deadline_at: datetime | None
    stopped_at: datetime | None
    breached_at: datetime | None
    breach_reason: str | None
    resumed_at: datetime | None
    counted_before_resume: timedelta
    # Wall time the clock was not counting between its start and its stop (or now), for reporting: pauses that have
    # ended, plus, while it is not counting now, since when (so a reader adds the pause still going on).
    paused: timedelta = timedelta(0)
    paused_since: datetime | None = None

    @property
    def key(self) -> str:
        return self.metric if self.metric != NEXT_RESPONSE else f"{self.metric}#{self.cycle}"


@dataclass(frozen=True)
class _Moment:
    at: datetime
    status: str
    priority: str


def clocks(facts: TicketFacts, book: PolicyBook, now: datetime) -> list[ClockState]:
    """Every clock that applies to the ticket now, under the policy its current fields match."""
    timeline = _timeline(facts)
    policy = book.for_ticket(tier=facts.tier, priority=facts.priority, source=facts.source, customer=facts.customer)
    if policy is None:
        return []
    changed_at = _target_changed_at(facts, book, timeline)
    replies = [e.at for e in facts.events if e.kind == rules.PUBLIC_REPLY]
    out: list[ClockState] = []
    for metric in METRICS:
        target = policy.target(facts.priority, metric)
        if target is None:
            continue
        for cycle, start, stop in _cycles(metric, facts, timeline, replies):
            spans = _running_spans(timeline, start, stop or now, target.pause_statuses)
            counting = stop is None and timeline[-1].status not in target.pause_statuses | STOPPED_STATUSES
            out.append(
                _measure(metric, cycle, policy.name, target, start, stop, spans, now, changed_at.get(metric), counting)
            )
    return out


def _timeline(facts: TicketFacts) -> list[_Moment]:
    """(time, status, priority) from creation on, one entry per change."""
    created = next((e for e in facts.events if e.kind == rules.CREATED), None)
    priority = (created.data.get("priority") if created else None) or facts.priority
    moments = [_Moment(facts.created_at, "new", priority)]
    for event in facts.events:
        last = moments[-1]
        if event.kind == rules.STATUS_CHANGE:
            moments.append(_Moment(event.at, str(event.data["new"]), last.priority))
        elif event.kind == rules.PRIORITY_CHANGE:
            moments.append(_Moment(event.at, last.status, str(event.data["new"])))
    return moments


def _target_changed_at(facts: TicketFacts, book: PolicyBook, timeline: list[_Moment]) -> dict[str, datetime]:
    """Per metric, when the target in force now took over (the last priority change that changed it)."""
    changed: dict[str, datetime] = {}
    previous = None
    for moment in timeline:
        policy = book.for_ticket(
            tier=facts.tier, priority=moment.priority, source=facts.source, customer=facts.customer
        )
        current = {m: (policy.name, policy.target(moment.priority, m)) if policy else None for m in METRICS}
        if previous is not None:
            for metric in METRICS:
                if current[metric] != previous[metric]:
                    changed[metric] = moment.at
        previous = current
    return changed


def _cycles(
    metric: str, facts: TicketFacts, timeline: list[_Moment], replies: list[datetime]
) -> Iterable[tuple[int, datetime, datetime | None]]:
    """(cycle, start, stop) per clock: one for first response and resolution, one per wait for next response."""
    if metric == FIRST_RESPONSE:
        yield 0, facts.created_at, replies[0] if replies else None
    elif metric == RESOLUTION:
        yield 0, facts.created_at, _solved_at(timeline)
    else:
        # A wait starts with the oldest customer message after one of our replies, and ends at our next reply.
        cycle, waiting_since, last, replied = 0, None, None, False
        for event in facts.events:
            if event.kind == rules.CUSTOMER_MESSAGE and replied and waiting_since is None:
                waiting_since = event.at
            elif event.kind == rules.PUBLIC_REPLY:
                replied = True
                if waiting_since is not None:
                    cycle += 1
                    last, waiting_since = (cycle, waiting_since, event.at), None
        if waiting_since is not None:
            yield cycle + 1, waiting_since, None
        elif last is not None:
            yield last


def _solved_at(timeline: list[_Moment]) -> datetime | None:
    """When the ticket was last solved or closed, if it still is."""
    if timeline[-1].status not in STOPPED_STATUSES:
        return None
    since = timeline[-1].at
    for moment in reversed(timeline):
        if moment.status not in STOPPED_STATUSES:
            break
        since = moment.at
    return since


def _running_spans(
    timeline: list[_Moment], start: datetime, stop: datetime, pauses: frozenset[str]
) -> list[tuple[datetime, datetime]]:
    """The spans between start and stop when the ticket's status did not pause this clock."""
    spans: list[tuple[datetime, datetime]] = []
    for index, moment in enumerate(timeline):
        until = timeline[index + 1].at if index + 1 < len(timeline) else stop
        begin, end = max(moment.at, start), min(until, stop)
        last = index + 1 == len(timeline)
        # An empty span still counts when it is the current one: a clock that starts now is running.
        if end < begin or (end == begin and not last) or moment.status in pauses or moment.status in STOPPED_STATUSES:
            continue
        if spans and spans[-1][1] == begin:
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((begin, end))
    return spans


def _measure(
    metric: str,
    cycle: int,
    policy: str,
    target: Target,
    start: datetime,
    stop: datetime | None,
    spans: list[tuple[datetime, datetime]],
    now: datetime,
    target_changed_at: datetime | None,
    counting: bool,
) -> ClockState:
    calendar = target.calendar
    counted = timedelta(0)
    breach_at: datetime | None = None
    for begin, end in spans:
        piece = calendar.elapsed(begin, end)
        if breach_at is None and counted + piece >= target.duration:
            breach_at = calendar.add(begin, target.duration - counted)
        counted += piece
    running = counting and bool(spans) and spans[-1][1] == now
    resumed_at = spans[-1][0] if running else None
    before = counted - calendar.elapsed(spans[-1][0], spans[-1][1]) if running else counted
    if running and breach_at is None:
        breach_at = calendar.add(resumed_at, target.duration - before)
    reason = None
    if breach_at is not None and target_changed_at is not None and breach_at < target_changed_at:
        breach_at, reason = target_changed_at, "the priority changed and the new target was already exceeded"
    end_of_clock = stop or now
    paused_since = None if stop is not None or running else (spans[-1][1] if spans else start)
    counting_wall = sum((end - begin for begin, end in spans), timedelta(0))
    paused = max((paused_since or end_of_clock) - start - counting_wall, timedelta(0))
    if breach_at is not None and breach_at <= end_of_clock:
        state = BREACHED
        reason = reason or "the target passed"
    else:
        state = MET if stop is not None else (RUNNING if running else PAUSED)
        reason = None
    return ClockState(
        metric=metric,
        cycle=cycle,
        policy=policy,
        target=target,
        started_at=start,
        state=state,
        elapsed=counted,
        deadline_at=breach_at if (running or state == BREACHED) else None,
        stopped_at=stop,
        breached_at=breach_at if state == BREACHED else None,
        breach_reason=reason,
        resumed_at=resumed_at,
        counted_before_resume=before,
        paused=paused,
        paused_since=paused_since,
    )
