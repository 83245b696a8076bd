"""Who is a support agent: the members of a configured user group and/or channel, looked up at most once a minute."""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.config import LiaisonConfig
from bot.gateway import SlackError, SlackGateway

log = logging.getLogger(__name__)
CACHE_FOR = timedelta(seconds=60)


class AgentDirectory:
    def __init__(self, gateway: SlackGateway, config: LiaisonConfig, clock: Clock) -> None:
        self.gateway = gateway
        self.config = config
        self.clock = clock
        self._members: frozenset[str] = frozenset()
        self._fetched_at: datetime | None = None
        self._lock = threading.Lock()

    def is_agent(self, user_id: str) -> bool:
        if self.config.agent_usergroup is None and self.config.agent_channel is None:
            return True
        return user_id in self.members() or user_id in self.config.admins

    def members(self) -> frozenset[str]:
        with self._lock:
            now = self.clock.now()
            if self._fetched_at is not None and now - self._fetched_at < CACHE_FOR:
                return self._members
            members: set[str] = set()
            try:
                if self.config.agent_usergroup:
                    members.update(self.gateway.usergroup_members(self.config.agent_usergroup))
                if self.config.agent_channel:
                    members.update(self.gateway.channel_members(self.config.agent_channel))
            except SlackError as error:
                # Keep the last known members rather than locking every agent out during a Slack hiccup.
                log.warning("could not refresh the agent list: %s", error)
                return self._members
            self._members, self._fetched_at = frozenset(members), now
            return self._members

    def forget(self) -> None:
        with self._lock:
            self._fetched_at = None
