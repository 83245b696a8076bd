"""SLA policies: targets per priority and metric, matched on ticket fields in an explicit order (first match wins)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol


class Calendar(Protocol):
    """What the clocks need of a calendar (bot/sla/calendar.py implements it)."""

    name: str

    def add(self, start, duration: timedelta): ...  # type: ignore[no-untyped-def]
    def elapsed(self, start, end) -> timedelta: ...  # type: ignore[no-untyped-def]
    def next_open(self, at): ...  # type: ignore[no-untyped-def]
    def is_open(self, at) -> bool: ...  # type: ignore[no-untyped-def]


FIRST_RESPONSE, NEXT_RESPONSE, RESOLUTION = "first_response", "next_response", "resolution"
METRICS = (FIRST_RESPONSE, NEXT_RESPONSE, RESOLUTION)
METRIC_LABELS = {FIRST_RESPONSE: "First response", NEXT_RESPONSE: "Next response", RESOLUTION: "Resolution"}
DEFAULT_PAUSES = {
    FIRST_RESPONSE: frozenset(),
    NEXT_RESPONSE: frozenset(),
    RESOLUTION: frozenset({"pending", "on-hold"}),
}


@dataclass(frozen=True)
class LadderStep:
    """A step of a target's breach ladder, `after` the breach: tell people (`notify`: "assignee", "channel", Slack
    user ids or schedule names) and/or start a page on an escalation policy (`page`)."""

    after: timedelta
    notify: tuple[str, ...] = ()
    page: str | None = None


@dataclass(frozen=True)
class Target:
    """One commitment: `duration` of working time on `calendar`, with warnings before and reminders after a breach."""

    metric: str
    duration: timedelta
    calendar: Calendar
    business_hours: bool
    pause_statuses: frozenset[str] = frozenset()
    warn_percent: tuple[int, ...] = (75,)
    warn_before: tuple[timedelta, ...] = ()
    alert_channel: str | None = None
    repeat_every: timedelta | None = None
    ladder: tuple[LadderStep, ...] = ()


@dataclass(frozen=True)
class Match:
    """Conditions on ticket fields; an empty set means any value."""

    tiers: frozenset[str] = frozenset()
    priorities: frozenset[str] = frozenset()
    sources: frozenset[str] = frozenset()
    customers: frozenset[str] = frozenset()

    def accepts(self, *, tier: str, priority: str, source: str, customer: str) -> bool:
        return all(
            not allowed or value in allowed
            for allowed, value in (
                (self.tiers, tier),
                (self.priorities, priority),
                (self.sources, source),
                (self.customers, customer.lower()),
            )
        )


@dataclass(frozen=True)
class Policy:
    name: str
    match: Match
    targets: Mapping[str, Mapping[str, Target]]  # priority → metric → target

    def target(self, priority: str, metric: str) -> Target | None:
        return self.targets.get(priority, {}).get(metric)


@dataclass(frozen=True)
class PolicyBook:
    """Policies in the order they are tried; the last one is the default that matches everything."""

    policies: Sequence[Policy] = field(default_factory=tuple)

    def target(self, policy: str, priority: str, metric: str) -> Target | None:
        found = next((p for p in self.policies if p.name == policy), None)
        return found.target(priority, metric) if found else None

    def ladders(self) -> list[tuple[str, LadderStep]]:
        """Every breach-ladder step with the key it was configured under, to check the names it uses."""
        return [
            (f"sla.policies.{policy.name}.targets.{priority}.{metric}.ladder[{i}]", step)
            for policy in self.policies
            for priority, targets in policy.targets.items()
            for metric, target in targets.items()
            for i, step in enumerate(target.ladder)
        ]

    def for_ticket(self, *, tier: str, priority: str, source: str, customer: str) -> Policy | None:
        return next(
            (
                p
                for p in self.policies
                if p.match.accepts(tier=tier, priority=priority, source=source, customer=customer)
            ),
            None,
        )
