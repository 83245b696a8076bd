"""What the ticket service takes and gives: who acts, a draft to open, a ticket in detail, what a change did."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from bot.tickets import rules
from models import Ticket, TicketEvent


@dataclass(frozen=True)
class Actor:
    """Who is acting, and whether they are on the support team."""

    user_id: str
    is_agent: bool


@dataclass(frozen=True)
class TicketDraft:
    """What a person filled in to open a ticket."""

    subject: str
    priority: str = rules.DEFAULT_PRIORITY
    description: str = ""
    customer_id: int | None = None
    new_customer: str | None = None
    new_customer_tier: str = "standard"
    # A message in a customer's shared channel belongs to that customer.
    customer_channel: str | None = None
    source: str = rules.SOURCE_COMMAND
    source_ref: str | None = None
    source_channel: str | None = None
    source_ts: str | None = None
    source_permalink: str | None = None


@dataclass
class TicketDetails:
    ticket: Ticket
    events: list[TicketEvent] = field(default_factory=list)
    sla_lines: list[str] = field(default_factory=list)
    # What other features add for agents (escalation point, customer context, people), read with the ticket.
    context: str | None = None


# A feature's line about a ticket (on the card, in `/ticket show`), read in the caller's unit of work.
TicketLine = Callable[[Session, Ticket, datetime], str | None]


@dataclass(frozen=True)
class Opened:
    ticket: Ticket
    created: bool


@dataclass(frozen=True)
class Change:
    """What a change did to a ticket: `applied` is False when it changed nothing (the ticket already was so, or
    `repeated`: this very request, a Slack retry or a double submission, was applied before)."""

    ticket: Ticket
    applied: bool = True
    repeated: bool = False
