"""The optional PagerDuty Events API v2 adapter: pages also trigger, acknowledge and resolve a PagerDuty alert, so
real phones ring.

Events are outbox rows (method `pagerduty.enqueue`), written in the same transaction as the page's change and
delivered in order per `dedup_key` (the ticket's key, or the page's key for a page without a ticket) by the outbox
dispatcher. PagerDuty deduplicates on `dedup_key`, and acknowledge and resolve are idempotent, so an event sent
again after a crash is harmless. A 429 or 5xx or a connection failure is tried again later (the row waits, it is
never dropped); a 400 (a bad routing key, an invalid event) parks the row with PagerDuty's message.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot import outbox
from bot.errors import ConfigError
from bot.outbox import Rejected, RetryLater

METHOD = "pagerduty.enqueue"
EVENTS_URL = "https://events.pagerduty.com/v2/enqueue"
ROUTING_KEY = re.compile(r"^[A-Za-z0-9]{32}$")
TIMEOUT = 10.0
SEVERITY = {"P1": "critical", "P2": "error", "P3": "warning", "P4": "info"}


@dataclass(frozen=True)
class PagerDutyConfig:
    routing_key: str
    events_url: str = EVENTS_URL

    @classmethod
    def parse(cls, table: dict[str, Any]) -> PagerDutyConfig | None:
        if not table:
            return None
        key = table.get("routing_key")
        if not isinstance(key, str) or not ROUTING_KEY.match(key):
            raise ConfigError(
                "pagerduty.routing_key: the 32-character integration key of a PagerDuty service's Events API v2 "
                "integration."
            )
        url = table.get("events_url", EVENTS_URL)
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise ConfigError("pagerduty.events_url: an http(s) URL (default: PagerDuty's Events API v2).")
        return cls(key, url)


def queue_event(
    session: Session,
    config: PagerDutyConfig,
    *,
    now: datetime,
    action: str,
    dedup_key: str,
    event_key: str,
    summary: str = "",
    severity: str = "error",
    details: dict[str, Any] | None = None,
) -> None:
    """Queue a trigger, acknowledge or resolve event in the caller's transaction; `event_key` makes it once."""
    event: dict[str, Any] = {"routing_key": config.routing_key, "event_action": action, "dedup_key": dedup_key}
    if action == "trigger":
        event["payload"] = {
            "summary": summary[:1024],
            "source": "liaison",
            "severity": severity,
            "custom_details": details or {},
        }
    outbox.enqueue(
        session,
        now=now,
        dedupe_key=f"pagerduty:{event_key}",
        method=METHOD,
        payload={"url": config.events_url, "event": event},
        ordering_key=f"pagerduty:{dedup_key}",
    )


def send(args: dict[str, Any]) -> dict[str, Any]:
    """Deliver one queued event (the outbox dispatcher's adapter for METHOD)."""
    body = json.dumps(args["event"]).encode()
    request = urllib.request.Request(
        args["url"], data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310 - the configured endpoint
            answer = json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        text = error.read()[:500].decode("utf-8", "replace")
        if error.code == 429 or error.code >= 500:
            raise RetryLater(f"PagerDuty answered {error.code}: {text}") from None
        raise Rejected(f"PagerDuty refused the event ({error.code}): {text}") from None
    except (OSError, ValueError) as error:  # URLError, timeouts, a reset connection, a body that is not JSON
        raise RetryLater(f"{type(error).__name__}: {error}") from None
    return answer if isinstance(answer, dict) else {}
