"""Creating each incident's Slack channel, once, from any number of processes.

A job (every second in the scheduler; at once in local mode and the tests) takes incidents without a channel by a
lease on the incident row (bot/leases.py's rule: a conditional UPDATE that commits before Slack is called), then
creates the channel `inc-<n>-<short-title>`; a name already taken (by any channel, archived ones too) gets `-2`, `-3`,
…; then, in one transaction, it stores the channel and writes the channel's anchor row in the outbox, which
releases everything queued for the channel (the summary, its pin, role lines, invites, the topic), and the
announcement in the incidents channel. Slack being down leaves the lease to expire and the next run tries again.

A process that dies after Slack created the channel and before storing it leaves that name taken: the next attempt
creates the next name, and the orphan channel is left empty (at most one per crash).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from datetime import timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from bot import outbox
from bot.clock import Clock
from bot.db import Database
from bot.gateway import SlackError, SlackGateway
from bot.incidents import notices, queries
from bot.incidents.config import COMMANDER, IncidentConfig
from bot.incidents.notices import channel_anchor
from bot.incidents.service import IncidentService
from bot.leases import new_owner
from bot.messages import incidents as msg
from models import Incident, OutboxMessage

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)
RETRY_AFTER = timedelta(seconds=30)
MAX_NAME = 80
NAME_TRIES = 20


def channel_name(number: int, title: str, suffix: int = 1) -> str:
    """`inc-7-checkout-down`: Slack's rules (lower case letters, digits, hyphens; at most 80 characters)."""
    folded = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", folded).strip("-")
    tail = f"-{suffix}" if suffix > 1 else ""
    head = f"inc-{number}"
    room = MAX_NAME - len(head) - len(tail) - 1
    short = slug[: min(room, 40)].rstrip("-")
    return f"{head}-{short}{tail}" if short else f"{head}{tail}"


class ChannelProvisioner:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        gateway: SlackGateway,
        config: IncidentConfig,
        incidents: IncidentService,
    ) -> None:
        self.database = database
        self.clock = clock
        self.gateway = gateway
        self.config = config
        self.incidents = incidents

    def run(self) -> int:
        """Create the channels of incidents that have none yet; how many were created."""
        created = 0
        while (taken := self._take()) is not None:
            outcome = self._provision(*taken)
            if outcome is None:
                break  # Slack is in trouble: the next run tries again
            created += outcome
        return created

    def _take(self) -> tuple[int, str] | None:
        owner, now = new_owner(), self.clock.now()

        def work(session: Session) -> int | None:
            candidate = session.scalar(
                select(Incident.id)
                .where(
                    Incident.channel_id.is_(None),
                    Incident.status != "resolved",
                    or_(Incident.provision_until.is_(None), Incident.provision_until < now),
                )
                .order_by(Incident.id)
                .limit(1)
            )
            if candidate is None:
                return None
            won = session.execute(
                update(Incident)
                .where(
                    Incident.id == candidate,
                    Incident.channel_id.is_(None),
                    or_(Incident.provision_until.is_(None), Incident.provision_until < now),
                )
                .values(provision_owner=owner, provision_until=now + LEASE)
                .execution_options(synchronize_session=False)
            ).rowcount
            return candidate if won == 1 else -1

        while True:
            found = self.database.transaction(work)
            if found is None:
                return None
            if found != -1:
                return found, owner

    def _provision(self, incident_id: int, owner: str) -> int | None:
        """1 when the channel was created, 0 when Slack refused it (retried later), None when Slack is in trouble."""
        with self.database.session() as session:
            incident = session.get(Incident, incident_id)
            assert incident is not None
            number, title = incident.id, incident.title
        try:
            channel = self._create(number, title)
        except SlackError as error:
            self._failed(incident_id, owner, error)
            return None if error.transient else 0
        self._store(incident_id, owner, channel["id"], channel["name"])
        return 1

    def _create(self, number: int, title: str) -> dict:
        for suffix in range(1, NAME_TRIES + 1):
            name = channel_name(number, title, suffix)
            try:
                return self.gateway.call("conversations.create", name=name)["channel"]
            except SlackError as error:
                if error.error != "name_taken":
                    raise
        return self.gateway.call("conversations.create", name=channel_name(number, f"{title}-{new_owner()[-6:]}"))[
            "channel"
        ]

    def _failed(self, incident_id: int, owner: str, error: SlackError) -> None:
        log.warning("incident %s: could not create its channel: %s", incident_id, error.error)
        with self.database.session() as session:
            session.execute(
                update(Incident)
                .where(Incident.id == incident_id, Incident.provision_owner == owner)
                .values(provision_until=self.clock.now() + RETRY_AFTER, provision_error=error.error)
            )

    def _store(self, incident_id: int, owner: str, channel_id: str, name: str) -> None:
        def work(session: Session) -> None:
            incident = session.get(Incident, incident_id)
            if incident is None or incident.provision_owner != owner or incident.channel_id is not None:
                log.warning("incident %s: lost its channel lease; channel %s stays unused", incident_id, channel_id)
                return
            now = self.clock.now()
            incident.channel_id, incident.channel_name, incident.provision_error = channel_id, name, None
            incident.provision_owner = incident.provision_until = None
            # The anchor: a delivered row whose posted_channel is the new channel, which releases every follow-up
            # queued for the channel (posted_ts carries the id too, for follow-ups that take it as `channel`).
            session.add(
                OutboxMessage(
                    dedupe_key=channel_anchor(incident.id),
                    ordering_key=f"incident:{incident.id}:anchor",
                    method="conversations.create",
                    channel=channel_id,
                    payload={"name": name},
                    role=outbox.PLAIN,
                    state=outbox.DELIVERED,
                    attempts=1,
                    next_attempt_at=now,
                    created_at=now,
                    delivered_at=now,
                    posted_channel=channel_id,
                    posted_ts=channel_id,
                )
            )
            notices.post_summary(session, incident, now)
            if self.config.channel:
                commander = queries.roles(session, incident.id).get(COMMANDER)
                outbox.enqueue(
                    session,
                    now=now,
                    dedupe_key=f"incident:{incident.id}:declared:announce",
                    method=outbox.POST,
                    payload={
                        "channel": self.config.channel,
                        "text": msg.declared_announcement(incident, channel_id, commander),
                    },
                    ordering_key=f"incident:{incident.id}:announce",
                )

        self.database.transaction(work)
