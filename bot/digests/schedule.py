"""Digest schedules: when a subscription's digests are sent, the period each covers, and `/ticket stats` ranges.

Every instant in and out is a timezone-aware datetime; results are in UTC. Nothing here reads the database or talks
to Slack.

Rules a manager relies on, decided here:

- A cadence sends at one local wall-clock time in its own IANA zone: ``daily`` every day, ``weekdays`` Monday to
  Friday, ``weekly`` on one weekday. 09:00 local stays 09:00 local on both sides of a DST change.
- A digest covers the period from the previous send instant to its own, half-open ``[previous, send)`` so an event
  at a send instant is counted once: daily 09:00 covers yesterday 09:00 to today 09:00, weekly the week since the
  same weekday and time, weekdays the time since the previous weekday's send (Monday's digest covers Friday 09:00 to
  Monday 09:00). A period spanning a DST change is as long as the clocks say: 23 h or 25 h for a daily digest.
- A send time that does not exist on a spring-forward day (02:30) happens at the first instant after the gap; one
  that happens twice on a fall-back day (01:30) happens once, at the first occurrence
  (`bot.sla.calendar_days.wall_to_utc`).
- A bot that was down catches up with at most ``limit`` digests, the newest: a bot down for a month does not post
  30 digests.
- `/ticket stats` ranges: ``Nd`` (and no range, which is ``7d``) is a rolling window from the same local clock time
  N local days ago to now; ``today`` is local midnight to now; ``yesterday`` and dates are whole local days, midnight
  to midnight, so a DST day is 23 h or 25 h long. Dates are inclusive and not clipped to now.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import islice, takewhile
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.errors import UsageError
from bot.sla.calendar_days import wall_to_utc
from bot.text import code

EVERY = ("daily", "weekdays", "weekly")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# Labels are English whatever the server's locale, so months are spelled here rather than by strftime.
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MAX_RANGE_DAYS = 366
DEFAULT_RANGE = "7d"
_ONE_DAY = timedelta(days=1)
_TICK = timedelta(microseconds=1)
# Searches for sends start this many local days beyond the instant's own date: a clock that jumps back across
# midnight can read an earlier date after a later date's send already happened.
_MARGIN_DAYS = 2
_CLOCK = re.compile(r"([0-9]{1,2}):([0-9]{2})")
_DAYS = re.compile(r"([0-9]{1,6})d")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_RANGE_FORMS = (
    "use `today`, `yesterday`, a number of days such as `30d` (1 to 366), or dates such as `2026-11-01..2026-11-30`"
)


@dataclass(frozen=True)
class Cadence:
    """When digests are sent: ``every`` day, weekday or week (on ``weekday``, 0 = Monday) at local time ``at``."""

    every: str
    at: time
    tz: str
    weekday: int | None = None

    def __post_init__(self) -> None:
        # Cadences are also rebuilt from stored rows; a bad one there is a programming error, not a user's.
        if self.every not in EVERY:
            raise ValueError(f"unknown cadence {self.every!r}")
        if (self.every == "weekly") != (self.weekday is not None) or self.weekday not in (None, *range(7)):
            raise ValueError("weekday is 0..6 for a weekly cadence and None otherwise")
        if self.at.tzinfo is not None or self.at.second or self.at.microsecond:
            raise ValueError("at is a naive time of whole minutes")
        if _known_zone(self.tz) != self.tz:
            raise ValueError(f"unknown time zone {self.tz!r}")

    def describe(self) -> str:
        """For people: "daily at 09:00 (Europe/Paris)", "weekly on Monday at 08:30 (America/New_York)"."""
        if self.weekday is not None:
            when = f"weekly on {WEEKDAYS[self.weekday]}"
        else:
            when = "every weekday" if self.every == "weekdays" else "daily"
        return f"{when} at {self.at:%H:%M} ({self.tz})"

    def spec(self) -> str:
        """Canonical text that `parse_cadence` reads back: "weekly mon 08:30 America/New_York"."""
        day = "" if self.weekday is None else f" {WEEKDAYS[self.weekday][:3].lower()}"
        return f"{self.every}{day} {self.at:%H:%M} {self.tz}"

    def sends_on(self, day: date) -> bool:
        """Whether a digest is sent on local date `day`."""
        if self.every == "weekdays":
            return day.weekday() < 5
        return self.weekday in (None, day.weekday())


def parse_cadence(text: str, default_tz: str) -> Cadence:
    """Read "daily 09:00 Europe/Paris", "weekly mon 08:30", "weekdays 17:00"; the zone defaults to `default_tz`."""
    words = text.split()
    if not words:
        raise UsageError("Say when to send the digest, for example `daily 09:00 Europe/Paris`.")
    every, rest = words[0].lower(), words[1:]
    if every not in EVERY:
        raise UsageError(
            f"`{code(words[0])}` is not a digest schedule; start with `daily`, `weekdays` or `weekly`, "
            "for example `weekly mon 08:30 America/New_York`."
        )
    weekday = None
    if every == "weekly":
        if not rest:
            raise UsageError("Say the weekday and the time, for example `weekly mon 08:30`.")
        weekday = _weekday(rest[0])
        if weekday is None:
            raise UsageError(
                f"`{code(rest[0])}` is not a weekday; use `mon` or `monday`, for example `weekly mon 08:30`."
            )
        rest = rest[1:]
    elif rest and _weekday(rest[0]) is not None:
        raise UsageError(f"`{every}` takes no weekday; for one day a week write for example `weekly mon 08:30`.")
    example = f"{every}{'' if weekday is None else ' ' + WEEKDAYS[weekday][:3].lower()} 09:00"
    if not rest:
        raise UsageError(f"Say the time of day, for example `{example}`.")
    match = _CLOCK.fullmatch(rest[0])
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise UsageError(f"`{code(rest[0])}` is not a time of day; use 24-hour HH:MM, for example `{example}`.")
    if len(rest) > 2:
        raise UsageError(
            f"`{code(' '.join(rest[2:]))}` is not part of a digest schedule; write it like `{example} Europe/Paris`."
        )
    zone = _zone_name(rest[1] if len(rest) == 2 else default_tz)
    return Cadence(every, time(int(match[1]), int(match[2])), zone, weekday)


def send_at_or_before(cadence: Cadence, instant: datetime) -> datetime:
    """The latest send instant at or before `instant`."""
    return next(send for send in _sends(cadence, instant, -1) if send <= instant)


def send_after(cadence: Cadence, instant: datetime) -> datetime:
    """The first send instant after `instant`."""
    return next(send for send in _sends(cadence, instant, 1) if send > instant)


def period_before(cadence: Cadence, send: datetime) -> tuple[datetime, datetime]:
    """``(previous send, send)``: what a digest sent at `send` covers. For any other instant, the time since the last
    send before it (a "so far" preview)."""
    return send_at_or_before(cadence, send - _TICK), _utc(send)


def due_sends(cadence: Cadence, after: datetime, now: datetime, *, limit: int) -> list[datetime]:
    """Send instants in ``(after, now]``, oldest first; only the newest `limit` when more are due."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    after, now = _utc(after), _utc(now)
    # Walking back from now touches only the sends that are kept, however long the bot was down.
    back = (send for send in _sends(cadence, now, -1) if send <= now)
    return list(islice(takewhile(lambda send: send > after, back), limit))[::-1]


def parse_range(text: str, tz: str, now: datetime) -> tuple[datetime, datetime, str]:
    """Read a `/ticket stats` range in zone `tz`: ``(start, end, label)``; see the module docstring for the forms."""
    zone, now = ZoneInfo(_zone_name(tz)), _utc(now)
    local = now.astimezone(zone)
    word = "".join(text.split()).lower() or DEFAULT_RANGE
    if word == "today":
        return _midnight(local.date(), zone), now, "today"
    if word == "yesterday":
        return _midnight(local.date() - _ONE_DAY, zone), _midnight(local.date(), zone), "yesterday"
    if match := _DAYS.fullmatch(word):
        days = int(match[1])
        if not 1 <= days <= MAX_RANGE_DAYS:
            raise UsageError(f"`{code(text)}` is out of range; count 1 to {MAX_RANGE_DAYS} days, for example `30d`.")
        start = wall_to_utc(local.replace(tzinfo=None) - days * _ONE_DAY, zone)
        return start, now, "the last day" if days == 1 else f"the last {days} days"
    first_text, dots, last_text = word.partition("..")
    first = _date(first_text, text)
    last = _date(last_text, text) if dots else first
    if last < first:
        raise UsageError(
            f"`{code(text)}` ends before it starts; put the earlier date first, for example `2026-11-01..2026-11-30`."
        )
    if (last - first).days + 1 > MAX_RANGE_DAYS:
        raise UsageError(
            f"`{code(text)}` covers {(last - first).days + 1} days; a range can cover at most {MAX_RANGE_DAYS}, "
            "for example `2026-01-01..2026-12-31`."
        )
    return _midnight(first, zone), _midnight(last + _ONE_DAY, zone), _dates_label(first, last)


def _sends(cadence: Cadence, instant: datetime, step: int) -> Iterator[datetime]:
    """Send instants in time order (step 1) or reverse order (step -1), from a little beyond `instant`'s local date.

    wall_to_utc never goes backwards as the wall time grows, so sends on later dates are never earlier instants.
    """
    zone = ZoneInfo(cadence.tz)
    day = _utc(instant).astimezone(zone).date() - step * _MARGIN_DAYS * _ONE_DAY
    while True:
        if cadence.sends_on(day):
            yield wall_to_utc(datetime.combine(day, cadence.at), zone)
        day += step * _ONE_DAY


def _utc(instant: datetime) -> datetime:
    if instant.utcoffset() is None:
        raise ValueError(f"{instant!r} is naive; instants must be timezone-aware")
    return instant.astimezone(UTC)


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return wall_to_utc(datetime.combine(day, time(0)), zone)


def _weekday(word: str) -> int | None:
    word = word.lower()
    if len(word) < 3:
        return None
    return next((index for index, name in enumerate(WEEKDAYS) if name.lower().startswith(word)), None)


def _zone_name(name: str) -> str:
    known = _known_zone(name)
    if known is None:
        raise UsageError(
            f"`{code(name)}` is not a time zone; use an IANA name such as `Europe/Paris` or `America/New_York`."
        )
    return known


def _known_zone(name: str) -> str | None:
    """The IANA name for `name`, matched case-insensitively ("europe/paris" is Europe/Paris), or None."""
    try:
        ZoneInfo(name)
        return name
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return _zone_names().get(name.lower())


@lru_cache(maxsize=1)
def _zone_names() -> dict[str, str]:
    # Listing the zones reads the tz database from disk, so it is done once, and only when a name needs help.
    return {name.lower(): name for name in available_timezones()}


def _date(word: str, text: str) -> date:
    if not _DATE.fullmatch(word):
        raise UsageError(f"`{code(text)}` is not a range; {_RANGE_FORMS}.")
    try:
        return date.fromisoformat(word)
    except ValueError:
        raise UsageError(
            f"`{code(word)}` is not a date; write dates as YYYY-MM-DD, for example `2026-11-01`."
        ) from None


def _dates_label(first: date, last: date) -> str:
    """Dates as people write them: 5 Nov 2026, 1–30 Nov 2026, 28 Oct – 3 Nov 2026, 28 Dec 2026 – 3 Jan 2027."""
    end = f"{last.day} {MONTHS[last.month - 1]} {last.year}"
    if first == last:
        return end
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}–{end}"
    if first.year == last.year:
        return f"{first.day} {MONTHS[first.month - 1]} – {end}"
    return f"{first.day} {MONTHS[first.month - 1]} {first.year} – {end}"
