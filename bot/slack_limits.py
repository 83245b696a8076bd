"""Slack's documented rate limits, and a token bucket to keep under them.

Web API methods are limited per workspace by tier (Tier 1: 1+/min, Tier 2: 20+/min, Tier 3: 50+/min, Tier 4:
100+/min); `chat.postMessage` is "special": about one message per second per channel, short bursts allowed. The
outbox paces itself to these instead of learning them from 429s, and the local stand-in enforces them when asked,
so both read the same table. Methods Liaison does not call are not listed and are not paced.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

PER_MINUTE = {1: 1, 2: 20, 3: 50, 4: 100}
METHOD_TIERS = {
    "chat.update": 3,
    "chat.postEphemeral": 4,
    "chat.getPermalink": 4,
    "chat.delete": 3,
    "conversations.history": 3,
    "conversations.replies": 3,
    "conversations.info": 3,
    "conversations.open": 3,
    "conversations.join": 3,
    "conversations.invite": 3,
    "conversations.members": 4,
    "conversations.create": 2,
    "conversations.archive": 2,
    "conversations.setTopic": 2,
    "pins.add": 2,
    "pins.list": 2,
    "pins.remove": 2,
    "usergroups.users.list": 2,
    "users.info": 4,
    "views.open": 4,
    "views.update": 4,
    "views.push": 4,
    "views.publish": 4,
}
POST = "chat.postMessage"
# One message a second in a channel, with a short burst: what Slack documents for chat.postMessage.
CHANNEL_RATE, CHANNEL_BURST = 1.0, 4


@dataclass
class TokenBucket:
    """`burst` calls at once, then `rate` calls a second."""

    rate: float
    burst: float
    tokens: float
    at: datetime

    @classmethod
    def full(cls, rate: float, burst: float, now: datetime) -> TokenBucket:
        return cls(rate, burst, burst, now)

    def ready(self, now: datetime) -> bool:
        """Would a call be allowed now? (Spends nothing.)"""
        elapsed = max((now - self.at).total_seconds(), 0.0)
        return min(self.burst, self.tokens + elapsed * self.rate) >= 1

    def take(self, now: datetime) -> timedelta:
        """Spend one call: zero when allowed now, else how long until it would be (nothing spent)."""
        elapsed = max((now - self.at).total_seconds(), 0.0)
        self.tokens, self.at = min(self.burst, self.tokens + elapsed * self.rate), max(now, self.at)
        if self.tokens >= 1:
            self.tokens -= 1
            return timedelta(0)
        return timedelta(seconds=(1 - self.tokens) / self.rate)


def bucket_for(method: str, channel: str | None, now: datetime) -> tuple[str, TokenBucket] | None:
    """The bucket a call spends from, keyed; None for calls Slack does not limit in a way we pace."""
    if method == POST:
        return (f"{POST}:{channel}", TokenBucket.full(CHANNEL_RATE, CHANNEL_BURST, now)) if channel else None
    tier = METHOD_TIERS.get(method)
    if tier is None:
        return None
    per_minute = PER_MINUTE[tier]
    # A sixth of a minute's allowance at once, then the tier's sustained rate.
    return method, TokenBucket.full(per_minute / 60, max(per_minute / 6, 1), now)
