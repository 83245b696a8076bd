"""Conversations in a customer's shared Slack channel.

In: a customer's top-level message opens a ticket (when `[customers] open_on = "message"`); in the thread of a
ticket's message, a customer's reply is a customer message (it restarts the next-response clock) and an agent's
reply a public reply (it meets it). Out: the thread gets one status line, kept current with `chat.update`, and every
public reply recorded elsewhere (`/ticket reply`), posted by the bot under the agent's name. Nothing else of the
ticket ever goes there: internal notes, the card and SLA alerts stay in the team's channels.

Deliberately ignored, each acknowledged all the same: messages from bots (ours included) and from apps, edits and
deletions (the ticket keeps what was said when it was said; Slack shows the edit in the thread), joins and other
system messages, messages in channels that are no customer's, top-level messages from agents.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot import outbox
from bot.config import LiaisonConfig
from bot.customers.config import OPEN_ON_MESSAGE
from bot.db import Database
from bot.errors import PermissionDenied, TicketNotFound, UsageError
from bot.gateway import SlackError, SlackGateway
from bot.messages.shared import status_line
from bot.permissions import AgentDirectory
from bot.text import from_slack, mrkdwn, truncate
from bot.tickets import rules
from bot.tickets.intake import subject_of
from bot.tickets.service import Actor, TicketDraft, TicketService
from models import Customer, Ticket, TicketEvent

log = logging.getLogger(__name__)

STATUS_RENDERER, REPLY_RENDERER = "shared_status", "shared_reply"
# Message subtypes that carry what a person wrote; every other subtype is a system message or an edit.
SPOKEN = frozenset({None, "file_share", "thread_broadcast"})
DESCRIPTION_MAX = 20_000


@dataclass(frozen=True)
class Heard:
    """What a message event did: its outcome in a word, and the ticket it touched."""

    outcome: str  # opened, customer, reply, ignored:<why>
    key: str | None = None


def shared_thread(ticket: Ticket) -> tuple[str, str] | None:
    """The (channel, ts) of the customer's message a ticket was opened from, if that is their shared channel."""
    source = ticket.source_ref or ""
    kind, _, rest = source.partition(":")
    channel, _, ts = rest.partition(":")
    if kind != "message" or not ts or channel != ticket.customer.slack_channel_id:
        return None
    return channel, ts


class SharedConversations:
    def __init__(
        self,
        database: Database,
        config: LiaisonConfig,
        tickets: TicketService,
        agents: AgentDirectory,
        gateway: SlackGateway,
    ) -> None:
        self.database = database
        self.config = config.customers
        self.tickets = tickets
        self.agents = agents
        self.gateway = gateway
        self._synced = False
        self._names: dict[str, str] = {}

    def register(self) -> None:
        self.tickets.observers.append(self._changed)

    # The policy file's customers and `/ticket customer-channel`

    def sync(self) -> None:
        """Make the policy file's customers exist with their tier and shared channel (every process may do it)."""
        now = self.tickets.clock.now()
        with self.database.session() as session:
            for account in self.config.accounts:
                customer = session.scalar(select(Customer).where(func.lower(Customer.name) == account.name.lower()))
                if account.channel:
                    self._release(session, account.channel, keep=customer)
                if customer is None:
                    session.add(
                        Customer(name=account.name, tier=account.tier, slack_channel_id=account.channel, created_at=now)
                    )
                else:
                    customer.tier = account.tier
                    customer.slack_channel_id = account.channel or customer.slack_channel_id
        self._synced = True

    def set_channel(self, actor: Actor, customer_name: str, channel: str) -> str:
        if not actor.is_agent:
            raise PermissionDenied("Only support agents can say which channel a customer is served in.")
        name = " ".join(customer_name.split())
        with self.database.session() as session:
            customer = session.scalar(select(Customer).where(func.lower(Customer.name) == name.lower()))
            if customer is None:
                known = ", ".join(c.name for c in self.tickets.customers()[:10]) or "none yet"
                raise UsageError(f"There is no customer {mrkdwn(name, 80)}. Customers: {mrkdwn(known, 500)}.")
            self._release(session, channel, keep=customer)
            customer.slack_channel_id = channel
            name = mrkdwn(customer.name, 200)
            how = "their messages there open tickets"
            if self.config.open_on != OPEN_ON_MESSAGE:
                how = "the ticket emoji or the shortcut on their messages opens tickets"
            return f"<#{channel}> is now {name}'s shared channel: {how}, answered in the message's thread."

    @staticmethod
    def _release(session: Session, channel: str, keep: Customer | None) -> None:
        """A channel is one customer's: whoever had it before lets go."""
        others = update(Customer).where(Customer.slack_channel_id == channel)
        if keep is not None and keep.id is not None:
            others = others.where(Customer.id != keep.id)
        session.execute(others.values(slack_channel_id=None).execution_options(synchronize_session=False))

    # Messages in

    def heard(self, event: Mapping[str, Any], home_team: str | None = None) -> Heard:
        """Act on one message event (redelivered ones change nothing)."""
        if not self._synced:
            self.sync()
        if event.get("subtype") not in SPOKEN or event.get("bot_id") or not event.get("user"):
            return Heard("ignored:not a person's message")
        channel, ts, user = str(event.get("channel", "")), str(event.get("ts", "")), str(event["user"])
        thread_ts = event.get("thread_ts")
        in_thread = thread_ts is not None and thread_ts != ts
        with self.database.session() as session:  # both reads in one transaction: a reply's change is the second
            customer_id = session.scalar(select(Customer.id).where(Customer.slack_channel_id == channel))
            ticket_id = None
            if customer_id is not None and in_thread:
                source = f"message:{channel}:{thread_ts}"
                ticket_id = session.scalar(select(Ticket.id).where(Ticket.source_ref == source))
        if customer_id is None:
            return Heard("ignored:not a customer's channel")
        team = event.get("user_team") or event.get("team")
        from_customer = not self.agents.is_agent(user) or (home_team is not None and team not in (None, home_team))
        text = self._text(event)
        if not in_thread:
            if not from_customer:
                return Heard("ignored:an agent's top-level message")
            if self.config.open_on != OPEN_ON_MESSAGE:
                return Heard("ignored:tickets open from the emoji or the shortcut")
            return self._open(channel, ts, user, text)
        if ticket_id is None:
            return Heard("ignored:a thread with no ticket")
        key, request = f"T-{ticket_id}", f"message:{channel}:{ts}"
        try:
            if from_customer:
                self.tickets.customer_message(Actor(user, is_agent=False), key, text, request=request, slack_ts=ts)
                return Heard("customer", key)
            self.tickets.reply(Actor(user, is_agent=True), key, text, request=request, slack_ts=ts)
            return Heard("reply", key)
        except TicketNotFound:
            return Heard("ignored:the ticket is gone")

    def _open(self, channel: str, ts: str, user: str, text: str) -> Heard:
        draft = TicketDraft(
            subject=subject_of(text) or "A message in the shared channel",
            description=text,
            customer_channel=channel,
            new_customer="Unknown customer",
            source=rules.SOURCE_SHARED,
            source_ref=f"message:{channel}:{ts}",
            source_channel=channel,
            source_ts=ts,
        )
        opened = self.tickets.open(Actor(user, is_agent=False), draft)
        return Heard("opened" if opened.created else "ignored:already a ticket", opened.ticket.key)

    def _text(self, event: Mapping[str, Any]) -> str:
        text = from_slack(str(event.get("text") or ""), self._name)
        files = [str(f.get("name") or f.get("title") or "a file") for f in event.get("files") or []]
        if files:
            text = f"{text}\n\n({len(files)} file{'s' if len(files) > 1 else ''}: {', '.join(files)})".strip()
        return truncate(text, DESCRIPTION_MAX)

    # Out: the status line and the agents' replies, when a ticket of a shared thread changes

    def _changed(self, session: Session, ticket: Ticket, event: TicketEvent, now: datetime) -> None:
        thread = shared_thread(ticket)
        if thread is None:
            return
        channel, ts = thread
        status = f"shared:{ticket.key}:status"
        ordering = f"shared:{ticket.key}"
        if event.kind == rules.CREATED:
            payload = {"channel": channel, "thread_ts": ts, outbox.RENDER: STATUS_RENDERER, outbox.SUBJECT: ticket.id}
            outbox.enqueue(
                session, now=now, dedupe_key=status, method=outbox.POST, payload=payload, ordering_key=ordering
            )
        # A reply can open a new ticket too: the status line follows every change it could show.
        if event.kind in (rules.STATUS_CHANGE, rules.ASSIGNEE_CHANGE, rules.PUBLIC_REPLY):
            outbox.follow(
                session,
                now=now,
                after=status,
                dedupe_key=f"shared:{ticket.key}:status:e{event.id}",
                method="chat.update",
                payload={outbox.RENDER: STATUS_RENDERER, outbox.SUBJECT: ticket.id},
                ordering_key=ordering,
            )
        if event.kind == rules.PUBLIC_REPLY and not event.data.get("slack_ts"):
            payload = {"channel": channel, "thread_ts": ts, outbox.RENDER: REPLY_RENDERER, outbox.SUBJECT: event.id}
            outbox.enqueue(
                session, now=now, dedupe_key=f"shared:{ticket.key}:reply:{event.id}", method=outbox.POST,
                payload=payload, ordering_key=ordering,
            )  # fmt: skip

    def render_status(self, session: Session, ticket_id: int, now: datetime) -> dict[str, Any]:
        ticket = session.get(Ticket, ticket_id)
        if ticket is None:
            raise outbox.Rejected(f"ticket {ticket_id} is gone")
        name = self._name(ticket.assignee_id) if ticket.assignee_id else None
        return {"text": status_line(ticket, name), "unfurl_links": False}

    def render_reply(self, session: Session, event_id: int, now: datetime) -> dict[str, Any]:
        """An agent's reply in the customer's thread: the bot posts it, under the agent's name."""
        event = session.get(TicketEvent, event_id)
        if event is None:
            raise outbox.Rejected(f"ticket event {event_id} is gone")
        name = self._name(event.author_id) or "Support"
        return {"text": mrkdwn(event.body, 3900), "username": name[:80], "unfurl_links": False}

    def _name(self, user_id: str | None) -> str | None:
        if not user_id:
            return None
        if user_id not in self._names:
            try:
                self._names[user_id] = self.gateway.user_name(user_id)
            except SlackError as error:
                log.info("no name for %s: %s", user_id, error.error)
                return None
        return self._names[user_id]
