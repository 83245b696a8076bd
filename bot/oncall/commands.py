"""The `/oncall` and `/page` command languages: text as Slack sends it in, a parsed request out, or usage help."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.errors import UsageError
from bot.sla.config import parse_duration
from bot.text import code, from_slack, unescape
from bot.tickets.commands import MENTION

# Slack sends a user group mention as <!subteam^S123> or <!subteam^S123|@handle>.
GROUP_MENTION = re.compile(r"^<!subteam\^(S[A-Z0-9]+)(?:\|[^>]*)?>$")
UNTIL = re.compile(r"^until\s+(?:(\d{4}-\d{2}-\d{2})[ T])?(\d{1,2}):(\d{2})$", re.IGNORECASE)
LONGEST_OVERRIDE = timedelta(days=31)

ONCALL_USAGE = (
    "*`/oncall`* shows who is on call now and next on every schedule.\n"
    "• `/oncall primary` — the next 7 days of schedule `primary`\n"
    "• `/oncall override primary @bob 4h` — @bob takes `primary` for 4 hours from now\n"
    "• `/oncall override primary @bob until 18:00` — … until 18:00 (or `until 2026-12-24 09:00`) in the "
    "schedule's time zone\n"
    "• `/oncall override` — the same with a form"
)
PAGE_USAGE = (
    "*`/page <who> <message>`* pages someone and waits for an acknowledgement.\n"
    "• `/page @alice The checkout is down for Acme` — one person\n"
    "• `/page primary Database failover needed` — whoever is on call for a schedule\n"
    "• `/page support Major outage, all hands` — walk an escalation policy\n"
    "• `/page @support-leads …` — every member of a user group"
)


@dataclass(frozen=True)
class OnCallRequest:
    name: str  # "overview", "schedule", "override", "override_form", "help"
    schedule: str | None = None
    user: str | None = None
    length: timedelta | None = None
    until: tuple[str | None, int, int] | None = None  # (date or None, hour, minute) in the schedule's zone


def parse_oncall(text: str, schedules: list[str]) -> OnCallRequest:
    words = unescape(text).split()
    if not words:
        return OnCallRequest("overview")
    first = words[0].lower()
    if first in ("help", "?"):
        return OnCallRequest("help")
    if first == "override":
        return _override(words[1:], schedules)
    if len(words) == 1:
        return OnCallRequest("schedule", schedule=_schedule(words[0], schedules))
    raise UsageError(f"I don't understand `/oncall {code(from_slack(text), 60)}`.\n{ONCALL_USAGE}")


def _override(words: list[str], schedules: list[str]) -> OnCallRequest:
    example = "for example `/oncall override primary @bob 4h`"
    if len(words) < 3:
        # `/oncall override [schedule]`: the form asks for the rest.
        return OnCallRequest("override_form", _schedule(words[0], schedules) if words else None)
    schedule = _schedule(words[0], schedules)
    mention = MENTION.match(words[1])
    if not mention:
        raise UsageError(f"Name the person as a mention, {example}.")
    length, until = parse_length(" ".join(words[2:]), example)
    return OnCallRequest("override", schedule, mention.group(1), length=length, until=until)


def parse_length(text: str, example: str) -> tuple[timedelta | None, tuple[str | None, int, int] | None]:
    """How long an override lasts: a length ('4h', '1d') or `until 18:00` / `until 2026-12-24 09:00`."""
    text = text.strip()
    until = UNTIL.match(text)
    if until:
        day, hour, minute = until.group(1), int(until.group(2)), int(until.group(3))
        if hour > 23 or minute > 59:
            raise UsageError(f"{hour}:{minute:02d} is not a time of day.")
        return None, (day, hour, minute)
    try:
        length = parse_duration(text, "the length")
    except ValueError:
        raise UsageError(f"`{code(text)}` is not a length like `4h` or `1d`, nor `until 18:00`; {example}.") from None
    if length > LONGEST_OVERRIDE:
        raise UsageError("An override lasts at most 31 days; change the schedule itself for longer.")
    return length, None


def _schedule(word: str, schedules: list[str]) -> str:
    name = word.lower()
    if name not in schedules:
        known = ", ".join(f"`{s}`" for s in schedules) or "none are configured"
        raise UsageError(f"There is no schedule `{code(from_slack(word))}`. The schedules are: {known}.")
    return name


def override_span(request: OnCallRequest, now: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """When an override starts and ends: from now, for its length or until its local time (the next such time)."""
    if request.length is not None:
        return now, now + request.length
    assert request.until is not None
    day, hour, minute = request.until
    local = now.astimezone(zone)
    if day is None:
        end = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
        if end <= local:
            end = (local + timedelta(days=1)).replace(hour=hour, minute=minute, second=0, microsecond=0)
    else:
        try:
            end = datetime.fromisoformat(f"{day}T{hour:02d}:{minute:02d}").replace(tzinfo=zone)
        except ValueError:
            raise UsageError(f"{day} is not a date; write it as YYYY-MM-DD.") from None
    end = end.astimezone(now.tzinfo)
    if end <= now:
        raise UsageError("That time has already passed; an override runs from now until a time still to come.")
    if end - now > LONGEST_OVERRIDE:
        raise UsageError("An override lasts at most 31 days; change the schedule itself for longer.")
    return now, end


@dataclass(frozen=True)
class PageRequest:
    target: str  # a user id, a user group id, or a schedule or policy name
    message: str


def parse_page(text: str) -> PageRequest:
    words = text.strip().split(maxsplit=1)
    if not words or words[0].lower() in ("help", "?"):
        raise UsageError(PAGE_USAGE)
    first = unescape(words[0])
    if mention := MENTION.match(first):
        target = mention.group(1)
    elif group := GROUP_MENTION.match(first):
        target = group.group(1)
    else:
        target = from_slack(words[0]).lower()
    message = from_slack(words[1]).strip() if len(words) > 1 else ""
    if not message:
        raise UsageError(
            f"Say what the page is about, for example `/page {code(from_slack(words[0]))} Checkout is down`."
        )
    return PageRequest(target, message)
