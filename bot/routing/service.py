"""Routing unassigned tickets: offered one agent at a time by DM, until someone accepts.

Every process runs the routing job. It takes unassigned open tickets with no offer waiting, the nearest SLA
deadline first, and offers each to the best agent `bot/routing/choose.py` finds among those `[routing.agents]`
names (skills from `[[routing.rules]]`, away, cap, working hours, deadline, round robin). An offer is a DM with
Accept and Pass and an `route_offer` timer: no answer within `offer_timeout`, or Pass, offers the ticket to the next
agent; a ticket is never offered twice to the same agent. When nobody can take it, the queue channel is told once,
with the reason, and `fallback_policy` is paged. Claiming or assigning the ticket otherwise withdraws the offer.

Offering a ticket writes its row version, so two processes routing the same ticket conflict and one runs again on
the other's result: one offer at a time per ticket, whatever the number of processes.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import exists, func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from bot import outbox
from bot.clock import Clock
from bot.config import LiaisonConfig
from bot.db import Database, insert_new
from bot.errors import UserFacingError
from bot.messages import routing as msg
from bot.messages.common import slack_date
from bot.paging.service import PagingService
from bot.routing.choose import Candidate, Need, choose, why_nobody
from bot.tickets import rules
from bot.tickets.cards import post_in_thread
from bot.tickets.service import Actor, TicketService
from bot.timers import PENDING, TimerRegistry
from models import AgentPresence, RoutingOffer, Ticket, TicketEvent, Timer

log = logging.getLogger(__name__)

OFFER_TIMER = "route_offer"
OFFERED, ACCEPTED, PASSED, EXPIRED = "offered", "accepted", "passed", "expired"
WITHDRAWN, NOBODY = "withdrawn", "nobody"
ROUTER = "routing"  # the author of what routing does on its own
FOREVER = datetime(9999, 1, 1, tzinfo=ZoneInfo("UTC"))
PRESENCE = select(
    AgentPresence.user_id,
    AgentPresence.open_tickets,
    AgentPresence.offers_waiting,
    AgentPresence.away_since,
    AgentPresence.away_until,
    AgentPresence.last_offered_at,
)


class RoutingService:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        config: LiaisonConfig,
        tickets: TicketService,
        paging: PagingService,
    ) -> None:
        self.database = database
        self.clock = clock
        self.settings = config.routing
        self.queue = config.queue_channel
        self.tickets = tickets
        self.paging = paging

    def register(self, timers: TimerRegistry) -> None:
        timers.register(OFFER_TIMER, self._expire)
        self.tickets.observers.append(self._changed)

    # The job

    def run(self, limit: int = 50) -> int:
        """Offer waiting tickets, nearest deadline first; the number of offers made."""
        if not (self.settings.enabled and self.settings.agents):
            return 0
        waiting = exists().where(RoutingOffer.ticket_id == Ticket.id, RoutingOffer.state == OFFERED)
        # Tickets nobody could take last time come after the rest, so they never crowd out ones someone can take.
        stuck = exists().where(RoutingOffer.ticket_id == Ticket.id, RoutingOffer.state == NOBODY)
        now = self.clock.now()
        with self.database.session() as session:
            ids = session.scalars(
                select(Ticket.id)
                .where(Ticket.assignee_id.is_(None), Ticket.status.in_(rules.ACTIVE_STATUSES), ~waiting)
                .order_by(
                    stuck, Ticket.next_deadline_at.is_(None), Ticket.next_deadline_at, Ticket.created_at, Ticket.id
                )
                .limit(limit)
            ).all()
            # Every agent's load is read once per run and kept current here as offers are made: a batch of tickets
            # costs one count, not one per ticket. Another process's offers meanwhile are seen at its next run.
            candidates = self.candidates(session, now) if ids else []
        made = 0
        for ticket_id in ids:
            chosen = self.database.transaction(lambda session, t=ticket_id: self._route(session, t, now, candidates))
            if chosen is not None:
                made += 1
                at = candidates.index(chosen)
                candidates[at] = replace(chosen, load=chosen.load + 1, last_offered_at=now)
        return made

    def _route(
        self, session: Session, ticket_id: int, now: datetime, candidates: list[Candidate] | None = None
    ) -> Candidate | None:
        """Offer one ticket to the best agent (reading their loads unless given); the agent offered, if any."""
        ticket = session.get(Ticket, ticket_id)
        if ticket is None or ticket.assignee_id is not None or ticket.status not in rules.ACTIVE_STATUSES:
            return None
        query = select(RoutingOffer.user_id, RoutingOffer.state).where(RoutingOffer.ticket_id == ticket_id)
        offered: dict[str, str] = {user: state for user, state in session.execute(query)}
        if OFFERED in offered.values():
            return None
        need = Need(
            skills=self.settings.needs(
                tier=ticket.customer.tier, priority=ticket.priority, source=ticket.source, customer=ticket.customer.name
            ),
            deadline=ticket.next_deadline_at,
            excluded=frozenset(offered),
        )
        if candidates is None:
            candidates = self.candidates(session, now)
        chosen = choose(candidates, need, now)
        if chosen is None:
            if "" not in offered:
                flag_modified(ticket, "assignee_id")  # as below: one process tells the queue
                self._nobody(session, ticket, why_nobody(candidates, need, now), now)
            return None
        flag_modified(ticket, "assignee_id")  # the row version moves: a concurrent routing of this ticket conflicts
        offer = RoutingOffer(ticket_id=ticket.id, user_id=chosen.user_id, state=OFFERED, offered_at=now, note="")
        session.add(offer)
        session.flush()
        self._presence(session, chosen.user_id, now, last_offered_at=now, offers_waiting=1)
        insert_new(
            session,
            Timer,
            {
                "kind": OFFER_TIMER,
                "ticket_id": ticket.id,
                "due_at": now + self.settings.offer_timeout,
                "dedupe_key": f"route:{offer.id}",
                "state": PENDING,
                "data": {"offer": offer.id},
                "created_at": now,
            },
            unique="dedupe_key",
        )
        deadline = slack_date(ticket.next_deadline_at) if ticket.next_deadline_at else None
        text, blocks = msg.offer_dm(ticket, offer, self.settings.offer_timeout, deadline)
        outbox.enqueue(
            session,
            now=now,
            dedupe_key=f"route:{offer.id}:dm",
            method=outbox.POST,
            payload={"channel": offer.user_id, "text": text, "blocks": blocks},
            ordering_key=f"route:{offer.id}",
        )
        post_in_thread(session, ticket, now, f"route:{offer.id}:thread", msg.offered_line(ticket, offer))
        return chosen

    def candidates(self, session: Session, now: datetime) -> list[Candidate]:
        """Every configured agent with their load (active tickets and waiting offers), presence and hours.

        One query of one small table, however many agents and tickets: `agent_presence` keeps both counts current
        as tickets and offers change, and has rows only for agents who held a ticket, were offered one or set
        themselves away. Read whole, with no IN list of 200 agents (whose parameters cost more to bind than the
        rows to read), and as plain rows, not ORM objects."""
        rows = {row[0]: row for row in session.connection().execute(PRESENCE).tuples().all()}
        out = []
        for user_id, profile in self.settings.agents.items():
            load, away, last_offered = 0, None, None
            if (row := rows.get(user_id)) is not None:
                _, open_tickets, waiting, away_since, away_until, last_offered = row
                # An offer waiting for an answer takes room too: nobody is flooded with offers beyond their cap.
                load = open_tickets + waiting
                away = None if away_since is None else away_until or FOREVER
            out.append(
                Candidate(
                    user_id=user_id,
                    skills=profile.skills,
                    load=load,
                    cap=self.settings.cap(user_id),
                    away_until=away,
                    last_offered_at=last_offered,
                    calendar=profile.calendar,
                )
            )
        return out

    def _nobody(self, session: Session, ticket: Ticket, why: str, now: datetime) -> None:
        """Tell the queue once; page the fallback policy, if there is one."""
        session.add(RoutingOffer(ticket_id=ticket.id, user_id="", state=NOBODY, offered_at=now, note=why))
        paging = self.settings.fallback_policy
        if paging is not None:
            try:
                snapshot = self.paging.policy(paging).snapshot()
                title, reason = f"{ticket.key} {ticket.subject}", f"Nobody can take it: {why}"
                self.paging.open_in(session, ROUTER, title, reason, snapshot, ticket.id, None, None)
            except UserFacingError as error:  # already escalated, or the policy reaches nobody either
                log.info("routing %s: no fallback page (%s)", ticket.key, error)
                paging = None
        outbox.enqueue(
            session,
            now=now,
            dedupe_key=f"route:{ticket.key}:nobody",
            method=outbox.POST,
            payload={"channel": self.queue, "text": msg.nobody_notice(ticket, why, paging), "unfurl_links": False},
            ordering_key=f"route:{ticket.key}",
        )

    # Answers

    def answer(self, user_id: str, offer_id: int, accept: bool) -> str:
        """Accept or Pass on an offer DM; a second press, or a press after it ended, says how things stand."""

        def work(session: Session) -> str:
            offer = session.get(RoutingOffer, offer_id)
            if offer is None or not offer.user_id:
                return "That offer no longer exists."
            ticket = session.get(Ticket, offer.ticket_id)
            assert ticket is not None  # an offer always has its ticket
            if offer.user_id != user_id:
                return f"{ticket.key} was offered to <@{offer.user_id}>, not you."
            if offer.state != OFFERED:
                return self._ended(ticket, offer)
            now = self.clock.now()
            if accept and (ticket.assignee_id is not None or ticket.status not in rules.ACTIVE_STATUSES):
                self._close(session, ticket, offer, WITHDRAWN, now)
                return f"{ticket.key} is no longer waiting; nothing changed."
            self._close(session, ticket, offer, ACCEPTED if accept else PASSED, now)
            if accept:
                self.tickets.assign_in(session, Actor(user_id, is_agent=True), ticket, user_id)
                return f"{ticket.key} is yours."
            self._route(session, ticket.id, now)
            return f"You passed on {ticket.key}; it goes to the next agent."

        return self.database.transaction(work)

    @staticmethod
    def _ended(ticket: Ticket, offer: RoutingOffer) -> str:
        if offer.state == ACCEPTED:
            return f"You already took {ticket.key}."
        holder = f"<@{ticket.assignee_id}> has it now" if ticket.assignee_id else "it went on to the next agent"
        return f"This offer of {ticket.key} ended ({offer.state}); {holder}."

    def _close(self, session: Session, ticket: Ticket, offer: RoutingOffer, state: str, now: datetime) -> None:
        """End an offer: record the outcome, stop its timer, edit the DM, and say so in the card's thread."""
        offer.state, offer.answered_at = state, now
        session.flush()
        waiting = AgentPresence.offers_waiting - 1
        presence = update(AgentPresence).where(AgentPresence.user_id == offer.user_id).values(offers_waiting=waiting)
        session.execute(presence.execution_options(synchronize_session=False))
        session.execute(
            update(Timer)
            .where(Timer.dedupe_key == f"route:{offer.id}", Timer.state == PENDING)
            .values(state="cancelled")
            .execution_options(synchronize_session=False)
        )
        text, blocks = msg.answered_dm(ticket, offer)
        outbox.follow(
            session,
            now=now,
            after=f"route:{offer.id}:dm",
            dedupe_key=f"route:{offer.id}:{state}",
            method="chat.update",
            payload={"text": text, "blocks": blocks},
            ordering_key=f"route:{offer.id}",
        )
        if state != WITHDRAWN:
            post_in_thread(session, ticket, now, f"route:{offer.id}:{state}:thread", msg.answered_line(ticket, offer))

    def _expire(self, session: Session, timer: Timer, now: datetime, _loaded: object) -> bool:
        offer = session.get(RoutingOffer, int(timer.data.get("offer", 0)))
        if offer is None or offer.state != OFFERED:
            return False
        ticket = session.get(Ticket, offer.ticket_id)
        assert ticket is not None
        self._close(session, ticket, offer, EXPIRED, now)
        self._route(session, ticket.id, now)
        return True

    def _changed(self, session: Session, ticket: Ticket, event: TicketEvent, now: datetime) -> None:
        """A ticket assigned, solved or closed otherwise: its waiting offer is withdrawn."""
        taken = event.kind == rules.ASSIGNEE_CHANGE and ticket.assignee_id is not None
        done = event.kind == rules.STATUS_CHANGE and ticket.status not in rules.ACTIVE_STATUSES
        if not (taken or done):
            return
        waiting = session.scalars(
            select(RoutingOffer).where(RoutingOffer.ticket_id == ticket.id, RoutingOffer.state == OFFERED)
        ).all()
        for offer in waiting:
            self._close(session, ticket, offer, WITHDRAWN, now)

    # Presence

    def set_away(self, actor: Actor, until: datetime | None) -> str:
        if not actor.is_agent:
            raise UserFacingError("Only support agents are offered tickets, so only they can be away.")
        now = self.clock.now()
        with self.database.session() as session:
            self._presence(session, actor.user_id, now, away_since=now, away_until=until)
        when = f"until {slack_date(until)}" if until else "until you say `/ticket back`"
        return f"You are away {when}: no tickets are offered to you meanwhile."

    def set_back(self, actor: Actor) -> str:
        now = self.clock.now()
        with self.database.session() as session:
            self._presence(session, actor.user_id, now, away_since=None, away_until=None)
        return "Welcome back: tickets are offered to you again."

    def away_zone(self, user_id: str) -> str:
        calendar = self.settings.profile(user_id).calendar
        return str(getattr(calendar, "tz", "UTC"))

    @staticmethod
    def _presence(session: Session, user_id: str, now: datetime, offers_waiting: int = 0, **values: Any) -> None:
        """Set an agent's presence `values`, and add `offers_waiting` to their count of offers waiting."""
        row = {"user_id": user_id, "away_since": None, "away_until": None, "last_offered_at": None, "updated_at": now}
        if not insert_new(session, AgentPresence, row | values | {"offers_waiting": offers_waiting}, unique="user_id"):
            if offers_waiting:
                values["offers_waiting"] = AgentPresence.offers_waiting + offers_waiting
            session.execute(
                update(AgentPresence)
                .where(AgentPresence.user_id == user_id)
                .values(updated_at=now, **values)
                .execution_options(synchronize_session=False)
            )


def recount_offers(session: Session) -> None:
    """Count every agent's offers waiting afresh (after offers were written other than by routing, as the benchmarks
    load them); `bot/tickets/loads.py` `recount` does the same for their tickets."""
    count = (
        select(func.count())
        .where(RoutingOffer.user_id == AgentPresence.user_id, RoutingOffer.state == OFFERED)
        .scalar_subquery()
    )
    session.execute(update(AgentPresence).values(offers_waiting=count).execution_options(synchronize_session=False))
