"""When Slack may be called again: back-off per destination (Slack as a whole, one method), not per message.

A 5xx or a connection failure says Slack is in trouble, not that a message is bad: every message waits the same
short, jittered probe interval, and the first call after it is the probe. When it succeeds the backlog drains at
full speed, in order, with no message still sitting out a long personal back-off. A 429 closes only its method, for
the Retry-After Slack gave. The knowledge is per process: it is a hint about Slack's state, never something that
must survive a restart (a new process simply probes).
"""

from __future__ import annotations

import random
import threading
from datetime import datetime, timedelta

from bot.clock import Clock

# Slack being down is probed at most this often; jittered so several processes do not probe in lockstep.
PROBE_EVERY = (timedelta(seconds=1), timedelta(seconds=2))
EVERYTHING = "*"


class SlackGates:
    def __init__(self, clock: Clock, *, rng: random.Random | None = None) -> None:
        self.clock = clock
        self._rng = rng or random.Random()
        self._closed: dict[str, datetime] = {}
        self._lock = threading.Lock()

    def open_for(self, method: str) -> bool:
        """May `method` be called now?"""
        now = self.clock.now()
        with self._lock:
            return all(self._closed.get(key, now) <= now for key in (EVERYTHING, method))

    def closed_methods(self) -> list[str]:
        """The methods rate limited right now (Slack as a whole aside)."""
        now = self.clock.now()
        with self._lock:
            return [key for key, until in self._closed.items() if key != EVERYTHING and until > now]

    def reopens_at(self) -> datetime | None:
        """When Slack as a whole may be tried again, if it is closed now."""
        with self._lock:
            until = self._closed.get(EVERYTHING)
        return until if until is not None and until > self.clock.now() else None

    def unavailable(self) -> datetime:
        """Slack answered 5xx or could not be reached: close everything until the next probe."""
        low, high = PROBE_EVERY
        until = self.clock.now() + low + (high - low) * self._rng.random()
        self._close(EVERYTHING, until)
        return until

    def rate_limited(self, method: str, retry_after: float | None) -> datetime:
        """A 429 for `method`: close that method for Retry-After (1 s when Slack gave none)."""
        until = self.clock.now() + timedelta(seconds=retry_after or 1)
        self._close(method, until)
        return until

    def _close(self, key: str, until: datetime) -> None:
        with self._lock:
            self._closed[key] = max(until, self._closed.get(key, until))
