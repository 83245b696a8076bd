"""`/ticket stats …` and `/ticket digest …`: text as Slack sent it in, an ephemeral answer out."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from bot.digests.filters import FILTER_KEYS, parse_filter
from bot.digests.schedule import parse_range, period_before
from bot.digests.service import DigestService
from bot.errors import UsageError
from bot.messages.common import slack_date
from bot.messages.digests import period_label
from bot.text import escape
from bot.tickets.service import Actor

Reply = tuple[str, list[dict[str, Any]] | None]
CHANNEL = re.compile(r"^<#([CG][A-Z0-9]{2,})(?:\|[^>]*)?>$")
FILTER_WORD = re.compile(rf"^({'|'.join(FILTER_KEYS)}):", re.IGNORECASE)
PREVIEW_PERIOD = timedelta(days=1)
DIGEST_USAGE = (
    "Digests: `/ticket digest subscribe #channel daily 09:00 Europe/Paris [filter]` (or `weekly mon 08:30`, "
    "`weekdays 09:00`), `/ticket digest unsubscribe #channel`, `/ticket digest list`, "
    "`/ticket digest preview [filter]`."
)


def stats(digests: DigestService, text: str) -> Reply:
    """SLA figures for a range (default: the last 7 days) and filter, for whoever asks."""
    when, wanted = _split(text)
    now = digests.clock.now()
    start, end, label = parse_range("".join(when), digests.settings.timezone, now)
    with digests.database.session() as session:
        figures = digests.figures(session, start, end, now, parse_filter(" ".join(wanted)))
    return digests.message(figures, title=f"SLA figures · {label}", period=period_label(start, end))


def digest(digests: DigestService, actor: Actor, text: str, here: str, request: str | None) -> Reply:
    words = text.split()
    action = words[0].lower() if words else "list"
    rest = words[1:]
    if action == "list":
        return _list(digests), None
    if action in ("subscribe", "unsubscribe", "preview"):
        channel = here
        if rest and (mention := CHANNEL.match(rest[0])):
            channel, rest = mention.group(1), rest[1:]
        if action == "subscribe":
            cadence, wanted = _split(" ".join(rest))
            if not cadence:
                raise UsageError(f"When should it come? {DIGEST_USAGE}")
            row = digests.subscribe(actor, channel, " ".join(cadence), " ".join(wanted))
            when = digests.cadence(row).describe()
            return f"<#{channel}> gets the SLA digest {when}; the first one {slack_date(digests.next_send(row))}.", None
        if action == "unsubscribe":
            stopped = digests.unsubscribe(actor, channel)
            if not stopped:
                return f"<#{channel}> has no digest subscribed from Slack. `/ticket digest list` shows them all.", None
            return f"<#{channel}> no longer gets {stopped} digest{'s' if stopped > 1 else ''}.", None
        return _preview(digests, actor, channel, " ".join(rest), request)
    raise UsageError(f"I don't know `/ticket digest {action[:20]}`. {DIGEST_USAGE}")


def _list(digests: DigestService) -> str:
    rows = digests.subscriptions()
    if not rows:
        return f"No digests yet. {DIGEST_USAGE}"
    lines = [
        f"• <#{row.channel_id}> {digests.cadence(row).describe()}"
        f"{f' · `{escape(row.filter)}`' if row.filter else ''}"
        f"{' · from the policy file' if row.name else ''} · next {slack_date(digests.next_send(row))}"
        for row in rows
    ]
    return "*SLA digests*\n" + "\n".join(lines)


def _preview(digests: DigestService, actor: Actor, channel: str, filter_text: str, request: str | None) -> Reply:
    """What the channel's next digest holds so far (or the last day, without one); the chart comes by DM."""
    now = digests.clock.now()
    mine = next((row for row in digests.subscriptions() if row.channel_id == channel), None)
    cadence = digests.cadence(mine) if mine is not None else None
    start = period_before(cadence, now)[0] if cadence is not None else now - PREVIEW_PERIOD
    wanted = parse_filter(filter_text or (mine.filter if mine is not None else ""))
    with digests.database.session() as session:
        figures = digests.figures(session, start, now, now, wanted)
    title = f"Digest preview · {cadence.describe()}" if cadence is not None else "Digest preview · the last day"
    text, blocks = digests.message(figures, title=title)
    digests.preview_chart(actor.user_id, now, cadence.tz if cadence else digests.settings.timezone, wanted, request)
    return text, blocks


def _split(text: str) -> tuple[list[str], list[str]]:
    """Filter terms (`tier:premium`) apart from the other words."""
    words = text.split()
    return [w for w in words if not FILTER_WORD.match(w)], [w for w in words if FILTER_WORD.match(w)]
