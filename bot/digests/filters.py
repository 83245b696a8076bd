"""Filters on the digest's figures (`tier:premium priority:P1 …`) and the queries they narrow."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, select

from bot.errors import UsageError
from bot.text import escape, from_slack, unescape
from bot.tickets import rules
from models import Customer, SlaClock, Ticket, TicketEvent

FILTER_KEYS = ("tier", "priority", "policy", "customer", "agent")
_TERM = re.compile(r"^([a-z]+):(.+)$")
_AGENT = re.compile(r"^<?@?([UW][A-Z0-9]{2,31})(?:\|[^>]*)?>?$")


@dataclass(frozen=True)
class Filter:
    """Which tickets the figures cover; an empty set means any."""

    tiers: frozenset[str] = frozenset()
    priorities: frozenset[str] = frozenset()
    policies: frozenset[str] = frozenset()
    customers: frozenset[str] = frozenset()  # lower-case names
    agents: frozenset[str] = frozenset()

    def spec(self) -> str:
        """The filter as `parse_filter` reads it back."""
        parts = [
            f"{key}:{','.join(sorted(values))}"
            for key, values in zip(
                FILTER_KEYS, (self.tiers, self.priorities, self.policies, self.customers, self.agents), strict=True
            )
            if values
        ]
        return " ".join(parts)

    def describe(self) -> str:
        return escape(self.spec()) if self.spec() else "all tickets"


EVERYTHING = Filter()


def parse_filter(text: str) -> Filter:
    """`tier:premium priority:P1,P2 policy:premium customer:acme agent:@alice` (Slack-encoded text)."""
    found: dict[str, set[str]] = {key: set() for key in FILTER_KEYS}
    for word in unescape(text).split():
        term = _TERM.match(word.strip())
        if not term or term.group(1) not in found:
            raise UsageError(
                f"`{escape(from_slack(word)[:40])}` is not a filter. Filters look like `tier:premium`, `priority:P1`, "
                "`policy:premium`, `customer:acme` or `agent:@alice`."
            )
        key, values = term.group(1), [v for v in term.group(2).split(",") if v]
        for value in values:
            found[key].add(_filter_value(key, value))
    return Filter(*(frozenset(found[key]) for key in FILTER_KEYS))


def _filter_value(key: str, value: str) -> str:
    if key == "priority":
        return rules.parse_priority(value)
    if key == "agent":
        agent = _AGENT.match(value)
        if not agent:
            raise UsageError(f"`{escape(from_slack(value)[:40])}` is not a person. Write `agent:@alice`.")
        return agent.group(1)
    return value.lower() if key in ("customer", "tier") else value


@dataclass(frozen=True)
class Scope:
    """Queries narrowed by a filter, joined only as far as the filter or the columns need: over a million tickets,
    a join the figure does not need costs a scan of the whole table."""

    wanted: Filter

    @property
    def customer(self) -> bool:
        return bool(self.wanted.tiers or self.wanted.customers)

    @property
    def ticket(self) -> bool:
        return self.customer or bool(self.wanted.priorities or self.wanted.agents)

    def clocks(self, *columns: Any, ticket: bool = False, customer: bool = False) -> Any:
        query = (select(*columns) if columns else select(func.count())).select_from(SlaClock)
        customer = customer or self.customer
        if ticket or customer or self.ticket:
            query = query.join(Ticket, Ticket.id == SlaClock.ticket_id)
        if customer:
            query = query.join(Customer, Customer.id == Ticket.customer_id)
        return query.where(*self._conditions(SlaClock.ticket_id, clocks=True))

    def tickets(self, *columns: Any, customer: bool = False) -> Any:
        query = (select(*columns) if columns else select(func.count())).select_from(Ticket)
        if customer or self.customer:
            query = query.join(Customer, Customer.id == Ticket.customer_id)
        return query.where(*self._conditions(Ticket.id, clocks=False))

    def events(self) -> Any:
        query = select(func.count()).select_from(TicketEvent)
        if self.ticket:
            query = query.join(Ticket, Ticket.id == TicketEvent.ticket_id)
        if self.customer:
            query = query.join(Customer, Customer.id == Ticket.customer_id)
        return query.where(*self._conditions(TicketEvent.ticket_id, clocks=False))

    def _conditions(self, ticket_id: Any, *, clocks: bool) -> list[ColumnElement[bool]]:
        wanted, conditions = self.wanted, []
        if wanted.tiers:
            conditions.append(Customer.tier.in_(wanted.tiers))
        if wanted.priorities:
            conditions.append(Ticket.priority.in_(wanted.priorities))
        if wanted.customers:
            conditions.append(func.lower(Customer.name).in_(wanted.customers))
        if wanted.agents:
            conditions.append(Ticket.assignee_id.in_(wanted.agents))
        if wanted.policies:
            # A ticket is under the policy its clocks were measured by.
            if clocks:
                conditions.append(SlaClock.policy.in_(wanted.policies))
            else:
                under = select(SlaClock.ticket_id).where(SlaClock.policy.in_(wanted.policies))
                conditions.append(ticket_id.in_(under.scalar_subquery()))
        return conditions
