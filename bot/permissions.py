"""Who is a support agent: the members of a configured user group and/or channel, looked up at most once a minute.

Only the first look-up waits on Slack. Afterwards a request never does: once the list is a minute old, requests
keep using it while one background thread fetches the new one (a Slack call on the ack path would put a Slack
round trip, or a timeout during an outage, into the answer of whichever request came first).
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.config import LiaisonConfig
from bot.gateway import SlackError, SlackGateway

log = logging.getLogger(__name__)
CACHE_FOR = timedelta(seconds=60)
RETRY_AFTER = timedelta(seconds=10)  # after a failed refresh, how long the stale list is kept before trying again


class AgentDirectory:
    def __init__(self, gateway: SlackGateway, config: LiaisonConfig, clock: Clock) -> None:
        self.gateway = gateway
        self.config = config
        self.clock = clock
        self._members: frozenset[str] = frozenset()
        self._fetched_at: datetime | None = None
        self._failed_at: datetime | None = None
        self._refreshing = False
        self._lock = threading.Lock()

    def is_agent(self, user_id: str) -> bool:
        if self.config.agent_usergroup is None and self.config.agent_channel is None:
            return True
        return user_id in self.config.admins or user_id in self.members()

    def members(self) -> frozenset[str]:
        with self._lock:
            if self._fetched_at is None:
                # Nothing known yet: wait for Slack (under the lock, so concurrent first requests fetch once).
                self._store(self._fetch())
                return self._members
            if not self._due(self.clock.now()):
                return self._members
            self._refreshing = True
            current = self._members  # this request answers with the list as it is, whenever the refresh lands
        threading.Thread(target=self._refresh, name="agent-directory", daemon=True).start()
        return current

    def forget(self) -> None:
        """Drop the list: the next look-up waits for a fresh one."""
        with self._lock:
            self._fetched_at = None

    def _due(self, now: datetime) -> bool:
        fetched_at = self._fetched_at
        if self._refreshing or fetched_at is None or now - fetched_at < CACHE_FOR:
            return False
        return self._failed_at is None or now - self._failed_at >= RETRY_AFTER

    def _refresh(self) -> None:
        try:
            members = self._fetch()  # no lock held: requests keep reading the current list meanwhile
            with self._lock:
                self._store(members)
        finally:
            self._refreshing = False

    def _fetch(self) -> frozenset[str] | None:
        """The members as Slack lists them now, or None when Slack could not say."""
        members: set[str] = set()
        try:
            if self.config.agent_usergroup:
                members.update(self.gateway.usergroup_members(self.config.agent_usergroup))
            if self.config.agent_channel:
                members.update(self.gateway.channel_members(self.config.agent_channel))
        except SlackError as error:
            # Keep the last known members rather than locking every agent out during a Slack hiccup.
            log.warning("could not refresh the agent list: %s", error)
            return None
        return frozenset(members)

    def _store(self, members: frozenset[str] | None) -> None:
        """Record a fetch's outcome (the caller holds the lock); a failed one keeps the list and waits to retry."""
        now = self.clock.now()
        if members is None:
            self._failed_at = now
        else:
            self._members, self._fetched_at, self._failed_at = members, now, None
