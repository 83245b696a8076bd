"""Incidents: declare, roles with history, linked tickets, updates, severity and status, resolve.

Rules a team relies on, decided here:

- Declaring writes the incident, its commander (the declarer) and the first timeline event in one unit of work;
  its Slack channel is created afterwards by the provisioning job (bot/incidents/provision.py), exactly once.
  Everything meant for the incident's channel is queued as a follow-up of the channel's anchor row and waits for it.
- A role has one holder at a time; handing it over ends the previous holder's row (history is kept with who
  assigned it and when). Only the commander or an incident admin assigns roles.
- Declaring at, or raising to, a major severity makes the on-call of the liaison schedule customer liaison (unless
  someone already holds the role) and pages them; if a later level of the liaison policy acknowledges instead,
  that person takes the role over.
- Linked tickets are counted in SQL (tickets, distinct customers, by tier and priority) whenever the pinned summary
  is rendered, which happens when its update is delivered: the summary never shows an older count.
- Resolving changes every linked ticket in the same unit of work (an event, and the configured status), and DMs each
  assignee one list of their linked tickets.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.access import require_agent, require_role_giver
from bot.clock import Clock
from bot.config import LiaisonConfig
from bot.db import Database, insert_new
from bot.errors import UsageError
from bot.incidents import links, notices, queries, resolution, roles
from bot.incidents.config import COMMANDER, LIAISON, SEVERITIES, STATUSES
from bot.incidents.events import incident_event
from bot.incidents.roles import LIAISON_PAGE
from bot.messages import incidents as msg
from bot.paging.service import PagingService
from bot.tickets import rules
from bot.tickets.cards import post_in_thread, update_card
from bot.tickets.service import Actor, TicketService
from models import Incident, IncidentEvent, IncidentStakeholder, IncidentTicket, Page

OPEN_STATUSES = tuple(s for s in STATUSES if s != "resolved")


class IncidentNotFound(UsageError):
    def __init__(self, key: str) -> None:
        super().__init__(f"There is no incident {key}. `/incident status` lists the open ones.")


def parse_key(text: str) -> int:
    cleaned = text.strip().upper().removeprefix("INC-").removeprefix("INC").removeprefix("#")
    if not cleaned.isdigit():
        raise UsageError(f"`{text[:30]}` is not an incident key. Incident keys look like `INC-7`.")
    return int(cleaned)


class IncidentService:
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
        self.config = config.incidents
        self.oncall = config.oncall
        self.tickets = tickets
        self.paging = paging

    def register(self) -> None:
        self.paging.acknowledged.append(self._page_acknowledged)

    # Reading

    def get(self, session: Session, key: str) -> Incident:
        incident = session.get(Incident, parse_key(key))
        if incident is None:
            raise IncidentNotFound(f"INC-{parse_key(key)}")
        return incident

    def in_channel(self, channel: str | None) -> Incident | None:
        if not channel:
            return None
        with self.database.session() as session:
            return session.scalar(select(Incident).where(Incident.channel_id == channel))

    def open_incidents(self) -> list[msg.IncidentLine]:
        with self.database.session() as session:
            rows = session.scalars(select(Incident).where(Incident.status.in_(OPEN_STATUSES)))
            found = [
                msg.IncidentLine(i, queries.roles(session, i.id), queries.counts(session, i.id), self.clock.now())
                for i in rows
            ]
        return sorted(found, key=lambda line: (SEVERITIES.index(line.incident.severity), line.incident.created_at))

    def timeline(self, key: str) -> str:
        with self.database.session() as session:
            incident = self.get(session, key)
            events = session.scalars(
                select(IncidentEvent).where(IncidentEvent.incident_id == incident.id).order_by(IncidentEvent.id)
            ).all()
            return msg.timeline_markdown(incident, list(events), queries.counts(session, incident.id))

    # Declaring

    def declare(
        self,
        actor: Actor,
        title: str,
        severity: str,
        description: str = "",
        *,
        bridge: str | None = None,
        ticket_keys: Sequence[str] = (),
        request: str | None = None,
        commander: str | None = "",
    ) -> Incident:
        """Declare an incident; the declarer is commander unless `commander` names someone else (None: nobody yet)."""
        commander = actor.user_id if commander == "" else commander
        require_agent(actor, "declare incidents")
        severity = parse_severity(severity)

        def unit(session: Session) -> Incident:
            if request is not None:
                existing = session.scalar(select(Incident).where(Incident.request == request))
                if existing is not None:
                    return existing
            now = self.clock.now()
            incident = Incident(
                title=title.strip()[:250],
                description=description.strip(),
                severity=severity,
                status="investigating",
                declared_by=actor.user_id,
                bridge_url=bridge,
                created_at=now,
                updated_at=now,
                request=request,
            )
            session.add(incident)
            session.flush()
            if incident.bridge_url is None and self.config.bridge:
                incident.bridge_url = self.config.bridge.format(number=incident.id, key=incident.key)
            incident_event(session, incident, "declared", actor.user_id, now, severity=severity, title=incident.title)
            if commander is not None:
                roles.hand_role(session, self.config, incident, COMMANDER, commander, actor.user_id, now)
            if ticket_keys:
                links.link_tickets(session, self.tickets, incident, list(ticket_keys), actor, now)
            if self.config.is_major(severity):
                roles.automatic_liaison(session, self.config, self.oncall, self.paging, incident, actor.user_id, now)
            return incident

        return self.database.transaction(unit)

    # Roles

    def assign_role(self, actor: Actor, key: str, role: str, user_id: str) -> str:
        role = role.lower()
        if role not in self.config.roles:
            known = ", ".join(f"`{r}`" for r in self.config.roles)
            raise UsageError(f"`{role[:40]}` is not a role. The roles are: {known}.")
        user_id = rules.parse_user_id(user_id)

        def unit(session: Session) -> str:
            incident = self.get(session, key)
            holders = queries.roles(session, incident.id)
            require_role_giver(actor, incident.key, holders, self.config.admins)
            if holders.get(role) == user_id:
                return f"{msg.who(user_id)} already is {role} of {incident.key}."
            roles.hand_role(session, self.config, incident, role, user_id, actor.user_id, self.clock.now())
            return f"{msg.who(user_id)} is now {role} of {incident.key}."

        return self.database.transaction(unit)

    def _page_acknowledged(self, session: Session, page: Page, user_id: str, now: datetime) -> None:
        """Whoever acknowledges the liaison page is the customer liaison (a later level may answer for the first)."""
        if page.purpose != LIAISON_PAGE or page.incident_id is None:
            return
        incident = session.get(Incident, page.incident_id)
        if incident is None or incident.status == "resolved":
            return
        if queries.roles(session, incident.id).get(LIAISON) != user_id:
            roles.hand_role(session, self.config, incident, LIAISON, user_id, user_id, now)

    # Linked tickets

    def link(self, actor: Actor, key: str, ticket_keys: Sequence[str]) -> str:
        def unit(session: Session) -> str:
            incident = self.get(session, key)
            linked = links.link_tickets(session, self.tickets, incident, ticket_keys, actor, self.clock.now())
            return msg.linked_answer(incident, linked, len(ticket_keys))

        return self.database.transaction(unit)

    def unlink(self, actor: Actor, key: str, ticket_key: str) -> str:
        def unit(session: Session) -> str:
            incident = self.get(session, key)
            ticket = self.tickets.for_change_in(session, actor, ticket_key)
            row = session.scalar(
                select(IncidentTicket).where(
                    IncidentTicket.incident_id == incident.id, IncidentTicket.ticket_id == ticket.id
                )
            )
            if row is None:
                return f"{ticket.key} is not linked to {incident.key}."
            now = self.clock.now()
            session.delete(row)
            incident_event(session, incident, "unlinked", actor.user_id, now, ticket=ticket.key)
            update_card(session, ticket, now)
            notices.refresh(session, incident, now)
            return f"{ticket.key} is no longer linked to {incident.key}."

        return self.database.transaction(unit)

    # Updates, severity, status, resolve

    def update(self, actor: Actor, key: str, text: str) -> str:
        def unit(session: Session) -> str:
            incident = self._changeable(session, actor, key)
            now = self.clock.now()
            event = incident_event(session, incident, "update", actor.user_id, now, body=text)
            line = msg.update_line(incident, actor.user_id, text)
            notices.to_channel(session, incident, now, f"update:{event.id}", line)
            tickets = queries.linked(session, incident.id)
            for ticket in tickets:
                post_in_thread(session, ticket, now, f"incident:{incident.id}:update:{event.id}:{ticket.id}", line)
            notices.tell_stakeholders(session, incident, f"event:{event.id}", line, tickets)
            notices.refresh(session, incident, now)
            return f"Update posted to {incident.key} and to {len(tickets)} linked ticket(s)."

        return self.database.transaction(unit)

    def add_stakeholder(self, actor: Actor, key: str, user_id: str) -> str:
        """Keep someone informed of the incident (updates, severity and status changes, the resolution) by DM."""
        require_agent(actor, "add incident stakeholders")
        user_id = rules.parse_user_id(user_id)

        def unit(session: Session) -> str:
            incident = self.get(session, key)
            row = {
                "incident_id": incident.id,
                "user_id": user_id,
                "added_by": actor.user_id,
                "created_at": self.clock.now(),
            }
            if not insert_new(session, IncidentStakeholder, row, unique="incident_id, user_id"):
                return f"{msg.who(user_id)} already is a stakeholder of {incident.key}; nothing changed."
            incident_event(session, incident, "stakeholder", actor.user_id, self.clock.now(), user=user_id)
            notices.dm(
                session, incident, user_id, f"stakeholder:{user_id}", msg.stakeholder_dm(incident, actor.user_id)
            )
            return f"{msg.who(user_id)} is kept informed of {incident.key}."

        return self.database.transaction(unit)

    def set_severity(self, actor: Actor, key: str, severity: str) -> str:
        return self._set(actor, key, "severity", parse_severity(severity), msg.severity_line)

    def set_status(self, actor: Actor, key: str, status: str) -> str:
        status = status.lower()
        if status == "resolved":
            return self.resolve(actor, key)
        if status not in STATUSES:
            raise UsageError(f"`{status[:30]}` is not an incident status. Use one of: {', '.join(STATUSES)}.")
        return self._set(actor, key, "status", status, msg.status_line)

    def _set(self, actor: Actor, key: str, field: str, value: str, line_of: Callable[..., str]) -> str:
        """Change severity or status: announced in the channel and to stakeholders, shown in the summary and topic;
        raising the severity to major also brings in the customer liaison."""

        def unit(session: Session) -> str:
            incident = self._changeable(session, actor, key)
            old = getattr(incident, field)
            if old == value:
                return f"{incident.key} already is {value}."
            now = self.clock.now()
            setattr(incident, field, value)
            incident.updated_at = now
            event = incident_event(session, incident, field, actor.user_id, now, old=old, new=value)
            line = line_of(incident, old, actor.user_id)
            notices.to_channel(session, incident, now, f"event:{event.id}", line)
            notices.tell_stakeholders(session, incident, f"event:{event.id}", line)
            if field == "severity" and self.config.is_major(value) and not self.config.is_major(old):
                roles.automatic_liaison(session, self.config, self.oncall, self.paging, incident, actor.user_id, now)
            notices.refresh(session, incident, now, topic=True)
            return f"{incident.key} is now {value}."

        return self.database.transaction(unit)

    def resolve(self, actor: Actor, key: str) -> str:
        """Resolve the incident and update every linked ticket in the same unit of work; assignees get one DM each."""

        def unit(session: Session) -> str:
            incident = self._changeable(session, actor, key)
            updated = resolution.resolve_in(session, self.config, self.tickets, actor, incident, self.clock.now())
            return f"{incident.key} is resolved; {updated} linked ticket(s) updated."

        return self.database.transaction(unit)

    def note(self, key: str, kind: str, author: str, line: str, **data: Any) -> None:
        """Something that happened elsewhere (PagerDuty): on the timeline and in the channel."""

        def unit(session: Session) -> None:
            incident = self.get(session, key)
            now = self.clock.now()
            event = incident_event(session, incident, kind, author, now, **data)
            notices.to_channel(session, incident, now, f"event:{event.id}", line)

        self.database.transaction(unit)

    def _changeable(self, session: Session, actor: Actor, key: str) -> Incident:
        require_agent(actor, "change incidents")
        incident = self.get(session, key)
        if incident.status == "resolved":
            raise UsageError(f"{incident.key} is resolved.")
        return incident


def parse_severity(text: str) -> str:
    value = text.strip().upper()
    value = f"SEV{value}" if value.isdigit() else value
    if value not in SEVERITIES:
        raise UsageError(f"`{text[:20]}` is not a severity. Use one of: {', '.join(SEVERITIES)} (SEV1 is the worst).")
    return value
