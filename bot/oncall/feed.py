"""An on-call layer imported from an iCalendar feed (PagerDuty and Opsgenie export schedules as iCal).

icalendar parses the feed; the expansion of recurring events is our own, with dateutil.rrule over local wall-clock
times. Rules, decided here:

- The layer knows only its `window`: occurrences are expanded where they overlap it and clipped to it, so outside
  the window nobody is on call (``at`` returns ``()``) and no shift is listed. Re-import to look further.
- Times: a TZID is resolved by icalendar (IANA and Windows zone names, the feed's VTIMEZONE blocks); a TZID it
  cannot resolve is an error. UTC times are exact. Floating times (no TZID, no Z) and all-day DATE events are in
  the layer's `timezone`: an all-day event runs from midnight to midnight there.
- Recurrence is wall-clock in the event's zone, so a weekly 09:00 event stays 09:00 across DST. An instance in a
  spring-forward gap starts at the end of the gap, in a fall-back overlap at the first occurrence. DTSTART is
  always an instance (RFC 5545); RRULE (COUNT, UNTIL, BYDAY...), RDATE (dates or periods) and EXDATE are honoured.
- Length: DTEND - DTSTART, or DURATION, added to the wall clock, so a 21:00-09:00 shift ends at 09:00 on a DST
  night too (as calendar apps do); when DTEND is in another zone than DTSTART the exact elapsed time is used. A
  DATE event without DTEND lasts a day; a DATE-TIME event without DTEND or DURATION lasts no time and is ignored.
- A VEVENT with RECURRENCE-ID replaces that instance of the event with the same UID: it may move it, change its
  length or its person (it keeps the master's person when it names nobody). RANGE=THISANDFUTURE is treated as
  replacing that one instance only. When several replace one instance, the last in the feed wins; a replacement of
  an EXDATE'd instance is dropped with it. STATUS:CANCELLED drops an instance, or on a master the whole series.
- The person: each ATTENDEE's mailto email, else the SUMMARY, looked up case-insensitively in `people` (email or
  name -> Slack user id): the email, then the attendee's CN, then the summary, then the middle part of a PagerDuty
  summary ("On Call - Alice Smith - Primary"). A candidate that is itself a Slack user id is used as is. Anyone
  found nowhere stays as a raw name (the email, else the summary's middle part or the summary): shown but cannot
  be paged, and listed in `unmapped`.
- A feed expanding to more than MAX_OCCURRENCES occurrences in the window is refused rather than eating memory.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.rrule import rruleset, rrulestr
from icalendar import Calendar, Component, vRecur

from bot.oncall.schedule import SLACK_USER_ID, ScheduleError, Shift, as_utc
from bot.sla.calendar_days import wall_to_utc

MAX_OCCURRENCES = 200_000
_ZERO = timedelta(0)
_ONE_DAY = timedelta(days=1)
# Wall-clock and real time drift apart by at most a DST shift (2 hours anywhere), so expanding this much beyond the
# window in wall-clock time cannot miss an occurrence that overlaps it in real time.
_SLOP = timedelta(hours=3)
_DATE_PROPERTIES = ("DTSTART", "DTEND", "RECURRENCE-ID", "EXDATE", "RDATE")

Occurrence = tuple[datetime, datetime, str]  # UTC start, UTC end, person


class FeedError(ScheduleError):
    """A feed that cannot be imported; the message names the problem and the event."""


def _listed(value: Any) -> list[Any]:
    return [] if value is None else list(value) if isinstance(value, list) else [value]


def _wall(value: date | datetime, zone: tzinfo) -> datetime:
    """A DATE, floating or zoned value as a naive wall-clock time in `zone` (a DATE is its midnight)."""
    if not isinstance(value, datetime):
        return datetime.combine(value, time(0))
    return value if value.tzinfo is None else value.astimezone(zone).replace(tzinfo=None)


def _instant(value: datetime, zone: tzinfo) -> datetime:
    return wall_to_utc(value, zone) if value.tzinfo is None else value.astimezone(UTC)


@dataclass
class _Event:
    """One VEVENT, checked: when it starts (wall clock in `zone`), for how long, and who it puts on call."""

    label: str
    component: Component
    uid: str | None
    zone: tzinfo
    start: datetime
    length: timedelta
    wall_length: bool  # the length is added to the wall clock (False: it is exact elapsed time)
    people: tuple[str, ...]
    cancelled: bool
    recurrence_id: date | None  # a DATE or DATE-TIME, as the feed gives it

    def occurrence_end(self, wall: datetime, begins: datetime) -> datetime:
        return wall_to_utc(wall + self.length, self.zone) if self.wall_length else begins + self.length


class _Reader:
    """Turns the feed's VEVENTs into occurrences inside the window."""

    def __init__(self, name: str, people: Mapping[str, str], window: tuple[datetime, datetime], zone: ZoneInfo):
        self.name, self.zone = name, zone
        self.low, self.high = as_utc(window[0], "window start"), as_utc(window[1], "window end")
        if self.high <= self.low:
            raise FeedError(f"feed {name!r}: the window ends at {self.high.isoformat()}, not after its start")
        self.directory: dict[str, str] = {}
        for key, user in people.items():
            if not isinstance(user, str) or not SLACK_USER_ID.match(user):
                raise FeedError(f"feed {name!r}: people maps {key!r} to {user!r}, which is not a Slack user id")
            self.directory[str(key).strip().casefold()] = user
        self.unmapped: set[str] = set()
        self.found: list[Occurrence] = []

    def fail(self, problem: str) -> FeedError:
        return FeedError(f"feed {self.name!r}: {problem}")

    def read(self, text: str | bytes) -> list[Occurrence]:
        try:
            calendar = Calendar.from_ical(text)
        except ValueError as error:
            raise self.fail(f"not iCalendar ({str(error)[:200]})") from None
        if calendar.name != "VCALENDAR":
            raise self.fail(f"not iCalendar: it holds a {calendar.name} where a VCALENDAR should be")
        components = calendar.walk("VEVENT")
        if not components:
            raise self.fail("no VEVENT: the calendar schedules nobody")
        events = [self.event(component, number) for number, component in enumerate(components, 1)]
        masters: dict[str, _Event] = {}
        for event in events:
            if event.recurrence_id is None and event.uid is not None:
                if event.uid in masters:
                    raise self.fail(f"{event.label}: two events share this UID and neither has a RECURRENCE-ID")
                masters[event.uid] = event
        replacements: dict[str, dict[datetime, _Event]] = defaultdict(dict)
        for event in events:
            if event.recurrence_id is not None and event.uid is not None:
                master = masters.get(event.uid)
                replaced = _wall(event.recurrence_id, master.zone if master else event.zone)
                replacements[event.uid][replaced] = event
        for event in events:
            if event.recurrence_id is None:
                self.expand(event, replacements.get(event.uid, {}) if event.uid else {})
            elif event.uid is None or event.uid not in masters:
                self.single(event)  # a replacement of nothing we know stands on its own
        return self.found

    def event(self, component: Component, number: int) -> _Event:
        uid = str(component["UID"]) if "UID" in component else None
        summary = str(component.get("SUMMARY", "")).strip()
        label = f"event {uid!r}" if uid else f"VEVENT #{number}"
        label += f" ({summary})" if summary else ""
        if component.errors:
            prop, problem = component.errors[0]
            raise self.fail(f"{label}: {prop} cannot be read: {problem}")
        if "DTSTART" not in component:
            raise self.fail(f"{label} has no DTSTART, so it does not say when the shift starts")
        self.check_zones(component, label)
        start = component.decoded("DTSTART")
        all_day = not isinstance(start, datetime)
        zone = self.zone if all_day or start.tzinfo is None else start.tzinfo
        length, wall_length = self.length(component, label, start, zone)
        rid = component.decoded("RECURRENCE-ID") if "RECURRENCE-ID" in component else None
        cancelled = str(component.get("STATUS", "")).strip().upper() == "CANCELLED"
        people = self.people(component, summary)
        if not people and rid is None:
            raise self.fail(f"{label} names nobody: it has no ATTENDEE and no SUMMARY")
        return _Event(label, component, uid, zone, _wall(start, zone), length, wall_length, people, cancelled, rid)

    def check_zones(self, component: Component, label: str) -> None:
        # icalendar leaves a time naive when it cannot resolve its TZID; naive would silently mean floating.
        for prop in _DATE_PROPERTIES:
            for value in _listed(component.get(prop)):
                tzid = value.params.get("TZID")
                values = [item.dt for item in value.dts] if hasattr(value, "dts") else [value.dt]
                firsts = [item[0] if isinstance(item, tuple) else item for item in values]
                if tzid and any(isinstance(item, datetime) and item.tzinfo is None for item in firsts):
                    raise self.fail(
                        f"{label}: unknown time zone {tzid!r} in {prop} (not an IANA or Windows zone name, "
                        "and no VTIMEZONE in the feed defines it)"
                    )

    def length(self, component: Component, label: str, start: date, zone: tzinfo) -> tuple[timedelta, bool]:
        if "DTEND" in component and "DURATION" in component:
            raise self.fail(f"{label} has both DTEND and DURATION; it may have one")
        if "DURATION" in component:
            length = component.decoded("DURATION")
            if not isinstance(length, timedelta) or length < _ZERO:
                raise self.fail(f"{label}: DURATION must not be negative, got {length!r}")
            return length, True
        if "DTEND" not in component:
            return (_ONE_DAY if not isinstance(start, datetime) else _ZERO), True
        end = component.decoded("DTEND")
        if isinstance(start, datetime) != isinstance(end, datetime):
            raise self.fail(f"{label}: DTSTART and DTEND must both be dates or both be date-times")
        if not isinstance(start, datetime):
            length, wall_length = end - start, True
        else:
            end_zone = self.zone if end.tzinfo is None else end.tzinfo
            wall_length = end_zone == zone
            if wall_length:
                length = _wall(end, zone) - _wall(start, zone)
            else:
                length = _instant(end, end_zone) - _instant(start, zone)
        if length < _ZERO:
            raise self.fail(f"{label} ends before it starts (DTEND {end} is before DTSTART {start})")
        return length, wall_length

    def people(self, component: Component, summary: str) -> tuple[str, ...]:
        parts = [part.strip() for part in summary.split(" - ")]
        middle = parts[1] if len(parts) >= 3 else ""
        found = []
        for attendee in _listed(component.get("ATTENDEE")):
            address = str(attendee).strip()
            email = address[7:] if address.lower().startswith("mailto:") else address
            found.append(self.person((email, attendee.params.get("CN", ""), summary, middle), email))
        if not found and summary:
            found.append(self.person((summary, middle), middle or summary))
        return tuple(dict.fromkeys(found))

    def person(self, candidates: tuple[str, ...], raw: str) -> str:
        names = [name.strip() for name in candidates if name and name.strip()]
        for name in names:
            user = self.directory.get(name.casefold())
            if user is not None:
                return user
        for name in names:
            if SLACK_USER_ID.match(name):
                return name
        self.unmapped.add(raw)
        return raw

    def keep(self, begins: datetime, ends: datetime, people: tuple[str, ...]) -> None:
        if ends > begins and ends > self.low and begins < self.high:
            self.found.extend((begins, ends, person) for person in people)
            if len(self.found) > MAX_OCCURRENCES:
                raise self.fail(f"more than {MAX_OCCURRENCES} occurrences in the window; import a shorter window")

    def single(self, event: _Event, people: tuple[str, ...] = ()) -> None:
        if event.cancelled:
            return
        if not (event.people or people):
            raise self.fail(f"{event.label} names nobody: it has no ATTENDEE and no SUMMARY")
        begins = wall_to_utc(event.start, event.zone)
        self.keep(begins, event.occurrence_end(event.start, begins), event.people or people)

    def expand(self, master: _Event, replacements: dict[datetime, _Event]) -> None:
        if master.cancelled:
            return
        component, zone = master.component, master.zone
        excluded = {_wall(value, zone) for value in component.exdates}
        excluded_days = {value for value in component.exdates if not isinstance(value, datetime)}
        periods: dict[datetime, datetime] = {}
        rules = rruleset()
        rules.rdate(master.start)
        for value, period_end in component.rdates:
            wall = _wall(value, zone)
            rules.rdate(wall)
            if isinstance(period_end, datetime):
                periods[wall] = _instant(period_end, zone)
        for rule in _listed(component.get("RRULE")):
            rules.rrule(self.rule(master, rule))
        longest = max([master.length, *(end - _instant(wall, zone) for wall, end in periods.items())])
        first = self.low.astimezone(zone).replace(tzinfo=None) - longest - _SLOP
        last = self.high.astimezone(zone).replace(tzinfo=None) + _SLOP
        for wall in self.walls(rules, first, last, master.label):
            # A DATE in EXDATE drops every instance on that day, also of a DATE-TIME event.
            if wall in excluded or wall.date() in excluded_days or wall in replacements:
                continue
            begins = wall_to_utc(wall, zone)
            ends = periods[wall] if wall in periods else master.occurrence_end(wall, begins)
            self.keep(begins, ends, master.people)
        for replaced, event in replacements.items():
            if replaced not in excluded and replaced.date() not in excluded_days:
                self.single(event, master.people)

    def walls(self, rules: rruleset, first: datetime, last: datetime, label: str) -> Iterator[datetime]:
        """The instances' wall-clock starts from `first` to `last`; an endless rule stops at `last`."""
        instances = rules.xafter(first, inc=True)
        for _ in range(MAX_OCCURRENCES + 1):
            try:
                wall = next(instances, None)
            except (ValueError, TypeError) as error:
                raise self.fail(f"{label}: its recurrence cannot be expanded ({error})") from None
            if wall is None or wall > last:
                return
            yield wall
        raise self.fail(f"{label} repeats more than {MAX_OCCURRENCES} times in the window")

    def rule(self, master: _Event, rule: vRecur) -> Any:
        # dateutil wants UNTIL naive like our wall-clock DTSTART, while the feed gives it in UTC: convert it here.
        text = vRecur({key: value for key, value in rule.items() if key != "UNTIL"}).to_ical().decode()
        try:
            parsed = rrulestr(text, dtstart=master.start)
        except (ValueError, TypeError) as error:
            raise self.fail(f"{master.label}: RRULE {text!r} cannot be read ({error})") from None
        until = rule.get("UNTIL")
        if not until:
            return parsed
        if rule.get("COUNT"):
            raise self.fail(f"{master.label}: its RRULE has both COUNT and UNTIL; it may have one")
        value = until[0]
        if isinstance(value, datetime):
            wall = _wall(value, master.zone)
        else:
            wall = datetime.combine(value, time.max)  # a DATE UNTIL includes instances on that day
        return parsed.replace(until=wall)


class FeedLayer:
    """The people an iCalendar feed puts on call, known over its import window.

    Built by `parse`; the constructor takes occurrences already expanded, as (UTC start, UTC end, person).
    """

    def __init__(
        self,
        name: str,
        occurrences: list[Occurrence],
        *,
        window: tuple[datetime, datetime],
        timezone: ZoneInfo,
        unmapped: frozenset[str] = frozenset(),
    ) -> None:
        self.name = name
        self.window = window
        self.timezone = timezone
        self.unmapped = unmapped
        low, high = as_utc(window[0], "window start"), as_utc(window[1], "window end")
        self._low, self._high = low, high
        # Sorted by start then person, which is the order at() lists people in; clipped only when answering.
        kept = [(start, end, who) for start, end, who in occurrences if start < high and end > low and end > start]
        self._occurrences = sorted(kept, key=lambda item: (item[0], item[2], item[1]))
        self._starts = [start for start, _end, _person in self._occurrences]
        self._longest = max((end - start for start, end, _ in self._occurrences), default=_ZERO)
        self._cuts, self._who = self._table(self._occurrences, low, high)

    def __repr__(self) -> str:
        return f"FeedLayer({self.name!r}, {len(self._occurrences)} shifts)"

    @classmethod
    def parse(
        cls,
        name: str,
        text: str | bytes,
        *,
        people: Mapping[str, str],
        window: tuple[datetime, datetime],
        timezone: ZoneInfo,
    ) -> FeedLayer:
        """Import `text` (an iCalendar feed), expanding the occurrences that overlap `window`; FeedError if not."""
        if not isinstance(timezone, ZoneInfo):
            raise FeedError(f"feed {name!r}: timezone must be a ZoneInfo, not {timezone!r}")
        reader = _Reader(name, people, window, timezone)
        occurrences = reader.read(text)
        return cls(name, occurrences, window=window, timezone=timezone, unmapped=frozenset(reader.unmapped))

    @staticmethod
    def _table(
        occurrences: list[Occurrence], low: datetime, high: datetime
    ) -> tuple[list[datetime], list[tuple[str, ...]]]:
        """Every instant in the window who is on call changes, and who is on call from it until the next one."""
        starting: dict[datetime, list[int]] = defaultdict(list)
        ending: dict[datetime, list[int]] = defaultdict(list)
        for index, (start, end, _person) in enumerate(occurrences):
            starting[max(start, low)].append(index)
            ending[min(end, high)].append(index)
        active: set[int] = set()
        cuts: list[datetime] = []
        who: list[tuple[str, ...]] = []
        previous: tuple[str, ...] = ()
        for instant in sorted(starting.keys() | ending.keys()):
            active.difference_update(ending.get(instant, ()))
            active.update(starting.get(instant, ()))
            people = tuple(dict.fromkeys(occurrences[index][2] for index in sorted(active)))
            if people != previous:
                cuts.append(instant)
                who.append(people)
                previous = people
        return cuts, who

    def at(self, instant: datetime) -> tuple[str, ...]:
        """Everyone whose shift covers `instant`, by shift start then person; nobody outside the window."""
        index = bisect_right(self._cuts, as_utc(instant, "instant")) - 1
        return self._who[index] if index >= 0 else ()

    def shifts(self, start: datetime, end: datetime) -> list[Shift]:
        """The shifts overlapping [start, end), clipped to the window, by start then person."""
        low, high = as_utc(start, "start"), as_utc(end, "end")
        found = []
        # Shifts starting before `high`, walking back until none can still be running at `low`.
        for index in range(bisect_left(self._starts, high) - 1, -1, -1):
            begins, ends, person = self._occurrences[index]
            if begins + self._longest <= low:
                break
            begins, ends = max(begins, self._low), min(ends, self._high)
            if ends > low and begins < high:
                found.append(Shift(person, begins, ends))
        return found[::-1]

    def boundaries(self, start: datetime, end: datetime) -> list[datetime]:
        """The instants in (start, end] where who is on call changes, in UTC."""
        low, high = as_utc(start, "start"), as_utc(end, "end")
        return self._cuts[bisect_right(self._cuts, low) : bisect_right(self._cuts, high)]
