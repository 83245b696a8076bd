"""Spotting a pattern early: similar tickets not linked to an incident are suggested, once, as one incident.

A job (every 30 seconds) groups the open, unlinked tickets of the last few windows with bot/incidents/similar.py.
Each group has a key (from what its first tickets share); the first process to record the key posts the
suggestion in the queue channel with Declare incident, Link to an open incident and Dismiss. A key is suggested
once, whatever happens to it: a dismissed group is not suggested again, even as more tickets join it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot import outbox
from bot.clock import Clock
from bot.db import Database, insert_new
from bot.incidents.config import IncidentConfig
from bot.incidents.similar import Cluster, Item, find_clusters
from bot.messages import incident_forms as forms
from bot.tickets import rules
from models import IncidentSuggestion, IncidentTicket, Ticket

SUGGESTED, DISMISSED, DECLARED, LINKED = "suggested", "dismissed", "declared", "linked"
# How far back the job looks: a few windows, so a group still forming is seen whole.
LOOKBACK_WINDOWS = 4
MOST = 500


class PatternWatch:
    def __init__(self, database: Database, clock: Clock, config: IncidentConfig, queue_channel: str) -> None:
        self.database = database
        self.clock = clock
        self.config = config
        self.queue_channel = queue_channel

    def run(self) -> int:
        """Suggest every new group; how many were suggested."""
        if not self.config.pattern_size:
            return 0
        now = self.clock.now()
        clusters = find_clusters(
            self._recent(now),
            min_size=self.config.pattern_size,
            threshold=self.config.pattern_threshold,
            window=self.config.pattern_window,
        )
        return sum(self._suggest(cluster, now) for cluster in clusters)

    def _recent(self, now: datetime) -> list[Item]:
        linked = select(IncidentTicket.ticket_id)
        since = now - self.config.pattern_window * LOOKBACK_WINDOWS
        with self.database.session() as session:
            rows = session.execute(
                select(Ticket.id, Ticket.subject, Ticket.created_at)
                .where(
                    Ticket.created_at >= since,
                    Ticket.status.in_(rules.ACTIVE_STATUSES),
                    Ticket.id.not_in(linked),
                )
                .order_by(Ticket.created_at.desc())
                .limit(MOST)
            ).all()
        return [Item(id=row.id, subject=row.subject, at=row.created_at) for row in rows]

    def _suggest(self, cluster: Cluster, now: datetime) -> int:
        def work(session: Session) -> int:
            row = {
                "key": cluster.key,
                "tokens": ", ".join(sorted(cluster.tokens | cluster.tags))[:500],
                "ticket_ids": {"ids": list(cluster.ids)},
                "state": SUGGESTED,
                "created_at": now,
            }
            if not insert_new(session, IncidentSuggestion, row, unique="key"):
                return 0
            tickets = list(session.scalars(select(Ticket).where(Ticket.id.in_(cluster.ids)).order_by(Ticket.id)))
            text, blocks = forms.suggestion_message(cluster.key, row["tokens"], tickets)
            outbox.enqueue(
                session,
                now=now,
                dedupe_key=f"suggestion:{cluster.key}",
                method=outbox.POST,
                payload={"channel": self.queue_channel, "text": text, "blocks": blocks, "unfurl_links": False},
                ordering_key=f"suggestion:{cluster.key}",
            )
            return 1

        return self.database.transaction(work)

    def decide(self, key: str, state: str, user_id: str, line: str) -> bool:
        """Record what became of a suggestion and replace its buttons with `line`; False when it was decided before."""
        now = self.clock.now()
        with self.database.session() as session:
            decided = session.execute(
                update(IncidentSuggestion)
                .where(IncidentSuggestion.key == key, IncidentSuggestion.state == SUGGESTED)
                .values(state=state, decided_by=user_id, decided_at=now)
            ).rowcount
            if decided != 1:
                return False
            outbox.follow(
                session,
                now=now,
                after=f"suggestion:{key}",
                dedupe_key=f"suggestion:{key}:{state}",
                method="chat.update",
                payload=dict(zip(("text", "blocks"), forms.suggestion_decided(line), strict=True)),
                ordering_key=f"suggestion:{key}",
            )
            return True

    def state_of(self, key: str) -> str | None:
        with self.database.session() as session:
            return session.scalar(select(IncidentSuggestion.state).where(IncidentSuggestion.key == key))

    def title_of(self, key: str) -> str:
        """A starting title for the incident: the first ticket's subject."""
        with self.database.session() as session:
            found = session.scalar(select(IncidentSuggestion).where(IncidentSuggestion.key == key))
            ids = found.ticket_ids.get("ids", []) if found else []
            subject = session.scalar(select(Ticket.subject).where(Ticket.id == ids[0])) if ids else None
            return subject or ""

    def tickets_of(self, key: str) -> list[str]:
        with self.database.session() as session:
            found = session.scalar(select(IncidentSuggestion).where(IncidentSuggestion.key == key))
            return [f"T-{n}" for n in (found.ticket_ids.get("ids", []) if found else [])]
