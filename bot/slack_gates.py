"""When Slack may be called: paced to its limits, and backed off per destination (Slack, a method, a channel).

A 5xx or a connection failure says Slack is in trouble, not that a message is bad: every message waits the same
short, jittered probe interval, and the first call after it is the probe. When it succeeds the backlog drains at
full speed, in order, with no message still sitting out a long personal back-off. A 429 closes only its method, for
the Retry-After Slack gave (for chat.postMessage, only that channel). Before each call the outbox spends from
token buckets sized to Slack's documented limits (bot/slack_limits.py), so it keeps Slack's pace instead of
learning it from 429s. The knowledge is per process: it is a hint about Slack's state, never something that must
survive a restart (a new process simply probes). Several processes each keep the pace, so together they may go
faster; the 429s that follow close the same gates, and nothing is lost.
"""

from __future__ import annotations

import random
import threading
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.slack_limits import POST, TokenBucket, bucket_for

# Slack being down is probed at most this often; jittered so several processes do not probe in lockstep.
PROBE_EVERY = (timedelta(seconds=1), timedelta(seconds=2))
EVERYTHING = "*"


class SlackGates:
    def __init__(self, clock: Clock, *, rng: random.Random | None = None, pace: bool = True) -> None:
        self.clock = clock
        self.pace = pace
        self._rng = rng or random.Random()
        self._closed: dict[str, datetime] = {}
        self._buckets: dict[str, TokenBucket] = {}
        self._lock = threading.Lock()

    def open_for(self, method: str, channel: str | None = None) -> bool:
        """May `method` (to `channel`) be called now, as far as outages and 429s go?"""
        now = self.clock.now()
        keys = (EVERYTHING, method, _channel_key(method, channel))
        with self._lock:
            return all(self._closed.get(key, now) <= now for key in keys if key)

    def spend(self, method: str, channel: str | None = None) -> bool:
        """Take one call of `method` (to `channel`) from Slack's limits; False, taking nothing, when it must wait."""
        if not self.pace:
            return True
        now = self.clock.now()
        with self._lock:
            found = bucket_for(method, channel, now)
            if found is None:
                return True
            key, fresh = found
            return self._buckets.setdefault(key, fresh).take(now).total_seconds() == 0

    def closed_methods(self) -> list[str]:
        """The methods rate limited right now (Slack as a whole aside)."""
        now = self.clock.now()
        with self._lock:
            return [key for key, until in self._closed.items() if key != EVERYTHING and ":" not in key and until > now]

    def held_channels(self) -> list[str]:
        """Channels where a message must wait now: their pace is spent, or Slack answered 429 for them."""
        now = self.clock.now()
        prefix = f"{POST}:"
        with self._lock:
            closed = {key for key, until in self._closed.items() if key.startswith(prefix) and until > now}
            spent = {key for key, bucket in self._buckets.items() if key.startswith(prefix) and not bucket.ready(now)}
        return [key.removeprefix(prefix) for key in closed | (spent if self.pace else set())]

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

    def rate_limited(self, method: str, retry_after: float | None, channel: str | None = None) -> datetime:
        """A 429: close the method (for chat.postMessage, the channel) for Retry-After (1 s when Slack gave none)."""
        until = self.clock.now() + timedelta(seconds=retry_after or 1)
        self._close(_channel_key(method, channel) or method, until)
        return until

    def _close(self, key: str, until: datetime) -> None:
        with self._lock:
            self._closed[key] = max(until, self._closed.get(key, until))


def _channel_key(method: str, channel: str | None) -> str | None:
    # chat.postMessage is limited per channel: a 429 there says nothing about other channels.
    return f"{method}:{channel}" if method == POST and channel else None
