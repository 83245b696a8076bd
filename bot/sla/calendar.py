"""Business-time arithmetic: deadlines and elapsed working time over calendars of weekly windows and closures.

Every instant in and out is a timezone-aware datetime; results are in UTC. Arithmetic is exact to the microsecond
(microseconds of the inputs are kept, never rounded), while window and closure boundaries are whole seconds.
Deadlines walk whole open intervals, built per local date and cached, so a call costs O(days spanned) whatever the
duration's minute count.

Rules a support desk relies on, decided here:

- Windows are local wall-clock times. A boundary is the first instant the clock reads that time or later: in a
  spring-forward gap that is the end of the gap, in a fall-back overlap the first occurrence. A 01:00-05:00 window
  is 3 real hours on a spring-forward night and 5 on a fall-back night.
- An overnight window belongs to the weekday it starts on. A holiday or listed closed date closes the windows that
  start on that date ("closed on Christmas" means the Christmas night shift does not start, while the shift that
  began on Christmas Eve still runs into Christmas morning).
- A partial closure is a wall-clock span on its date and closes whatever is open during it, including the tail of
  the previous night's overnight window.
- ``add(start, 0)`` is ``start`` itself, even outside working hours; a positive duration starts counting at
  ``next_open(start)``, and a deadline that uses up an interval exactly is that interval's end.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import NamedTuple, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.sla.calendar_days import Interval, holiday_dates, holiday_region_problem, merge, subtract, wall_to_utc

MIDNIGHT = time(0)
_ONE_DAY = timedelta(days=1)
_ZERO = timedelta(0)
# Searching forward for working time gives up after this long, so a calendar closed by holidays and closures
# raises instead of looping forever.
SEARCH_LIMIT = timedelta(days=2 * 366)


class CalendarError(ValueError):
    """A calendar that cannot work; the message names the problem."""


def _clock(value: time) -> str:
    return value.isoformat(timespec="seconds" if value.second else "minutes")


@dataclass(frozen=True)
class Window:
    """A working window in local wall-clock time; ``end=time(0)`` means midnight at the end of the day (24:00)."""

    start: time
    end: time
    overnight: bool = False

    def __post_init__(self) -> None:
        for value in (self.start, self.end):
            if not isinstance(value, time):
                raise CalendarError(f"window {self!r}: start and end must be datetime.time values")
            if value.tzinfo is not None:
                raise CalendarError(f"window {self.label}: times are local wall-clock times, without a time zone")
            if value.microsecond:
                raise CalendarError(f"window {self.label}: boundaries must be whole seconds")
        if self.overnight and self.end >= self.start:
            raise CalendarError(f"overnight window {self.label} must end on the next day, earlier than it starts")
        if not self.overnight and self.end <= self.start and self.end != MIDNIGHT:
            raise CalendarError(
                f"window {self.label} ends before it starts; mark it overnight=True if it runs into the next day"
            )

    @property
    def label(self) -> str:
        """The window as people write it, e.g. ``09:00-17:00`` or ``22:00-06:00 (overnight)``."""
        end = "24:00" if self.end == MIDNIGHT and not self.overnight else _clock(self.end)
        return f"{_clock(self.start)}-{end}" + (" (overnight)" if self.overnight else "")


class Calendar(Protocol):
    """Working time for SLA clocks: deadlines, elapsed time and opening hours over UTC instants."""

    name: str

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The deadline: `duration` of working time after `start`."""
        ...

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Working time between two instants (zero when `end` is not after `start`)."""
        ...

    def is_open(self, at: datetime) -> bool:
        """Whether `at` is working time."""
        ...

    def next_open(self, at: datetime) -> datetime:
        """`at` when open, else the start of the next working period."""
        ...

    def open_intervals(self, start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Working intervals within [start, end), in UTC, merged, in order."""
        ...


def _utc(value: datetime, what: str) -> datetime:
    if not isinstance(value, datetime):
        raise TypeError(f"{what} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got naive {value.isoformat()}")
    return value.astimezone(UTC)


def _duration(value: timedelta) -> timedelta:
    if not isinstance(value, timedelta):
        raise TypeError(f"duration must be a timedelta, not {type(value).__name__}")
    if value < _ZERO:
        raise ValueError(f"duration must not be negative, got {value}")
    return value


class AlwaysOpen:
    """A 24/7 clock: every instant is working time."""

    def __init__(self, name: str = "24/7") -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"AlwaysOpen({self.name!r})"

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The instant `duration` after `start`."""
        return _utc(start, "start") + _duration(duration)

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """The time between the instants, or zero when `end` is not after `start`."""
        return max(_utc(end, "end") - _utc(start, "start"), _ZERO)

    def is_open(self, at: datetime) -> bool:
        """Always true."""
        _utc(at, "at")
        return True

    def next_open(self, at: datetime) -> datetime:
        """`at` itself, in UTC."""
        return _utc(at, "at")

    def open_intervals(self, start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
        """The whole span as one interval (nothing when it is empty)."""
        low, high = _utc(start, "start"), _utc(end, "end")
        if high > low:
            yield low, high


class _Day(NamedTuple):
    midnight: datetime  # UTC instant the local date begins; every interval of the day starts at or after it
    intervals: tuple[Interval, ...]  # UTC, sorted, disjoint, from the windows that start on this date


class BusinessCalendar:
    """Weekly working windows in one IANA time zone, minus public holidays, closed dates and partial closures."""

    def __init__(
        self,
        name: str,
        tz: str,
        weekly: Mapping[int, Sequence[Window]],
        *,
        country: str | None = None,
        subdivision: str | None = None,
        closed_dates: Iterable[date] = (),
        partial_closures: Mapping[date, Sequence[tuple[time, time]]] | None = None,
    ) -> None:
        self.name = name
        self.tz = tz
        try:
            self._zone = ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise CalendarError(f"calendar {name!r}: unknown time zone {tz!r}") from None
        self._weekly = self._check_weekly(weekly)
        if not any(self._weekly):
            raise CalendarError(f"calendar {name!r} has no working time: no working window on any weekday")
        if subdivision is not None and country is None:
            raise CalendarError(f"calendar {name!r}: subdivision {subdivision!r} needs a country")
        if country is not None:
            problem = holiday_region_problem(country, subdivision)
            if problem is not None:
                raise CalendarError(f"calendar {name!r}: {problem}")
        self.country = country
        self.subdivision = subdivision
        self._closed = frozenset(self._check_date(day, "closed date") for day in closed_dates)
        self._closures = {
            self._check_date(day, "partial closure"): tuple(self._check_span(day, span) for span in spans)
            for day, spans in (partial_closures or {}).items()
        }
        # Per instance, so a calendar's days are dropped with it; the same days are asked for again and again.
        self._day: Callable[[date], _Day] = lru_cache(maxsize=4096)(self._build_day)

    def __repr__(self) -> str:
        return f"BusinessCalendar({self.name!r}, {self.tz!r})"

    def _check_weekly(self, weekly: Mapping[int, Sequence[Window]]) -> tuple[tuple[Window, ...], ...]:
        days: list[tuple[Window, ...]] = [() for _ in range(7)]
        for weekday, windows in weekly.items():
            if not isinstance(weekday, int) or not 0 <= weekday <= 6:
                raise CalendarError(f"calendar {self.name!r}: weekday {weekday!r} is not 0 (Monday) to 6 (Sunday)")
            for window in windows:
                if not isinstance(window, Window):
                    raise CalendarError(f"calendar {self.name!r}: {window!r} on weekday {weekday} is not a Window")
            days[weekday] = tuple(windows)
        return tuple(days)

    def _check_date(self, day: date, what: str) -> date:
        # datetime is a subclass of date; a datetime here would silently compare unequal to every date.
        if not isinstance(day, date) or isinstance(day, datetime):
            raise CalendarError(f"calendar {self.name!r}: {what} {day!r} must be a datetime.date")
        return day

    def _check_span(self, day: date, span: tuple[time, time]) -> tuple[time, time]:
        start, end = span
        for value in span:
            if not isinstance(value, time) or value.tzinfo is not None or value.microsecond:
                raise CalendarError(
                    f"calendar {self.name!r}: partial closure on {day}: {value!r} must be a whole-second local time"
                )
        if end <= start and end != MIDNIGHT:
            raise CalendarError(
                f"calendar {self.name!r}: partial closure on {day} from {_clock(start)} to {_clock(end)} "
                "ends before it starts (use time(0) for the end of the day)"
            )
        return start, end

    def _at(self, day: date, wall: time) -> datetime:
        return wall_to_utc(datetime.combine(day, wall), self._zone)

    def _is_closed(self, day: date) -> bool:
        if day in self._closed:
            return True
        return self.country is not None and day in holiday_dates(self.country, self.subdivision, day.year)

    def _build_day(self, day: date) -> _Day:
        midnight = self._at(day, MIDNIGHT)
        windows = self._weekly[day.weekday()]
        if not windows or self._is_closed(day):
            return _Day(midnight, ())
        raw = []
        for window in windows:
            end_day = day + _ONE_DAY if window.overnight or window.end == MIDNIGHT else day
            raw.append((self._at(day, window.start), self._at(end_day, window.end)))
        intervals = merge(raw)
        # This day's windows reach into the next date at most, so closures of both dates may cut them.
        for closure_day in (day, day + _ONE_DAY):
            for start, end in self._closures.get(closure_day, ()):
                end_day = closure_day + _ONE_DAY if end == MIDNIGHT else closure_day
                intervals = subtract(intervals, (self._at(closure_day, start), self._at(end_day, end)))
        return _Day(midnight, tuple(intervals))

    def _pieces(self, since: datetime, until: datetime | None = None) -> Iterator[Interval]:
        """Disjoint open pieces in time order, clipped to start at `since`; touching pieces are not merged.

        Without `until` the walk is open-ended, and raises CalendarError after SEARCH_LIMIT with nothing open.
        """
        # The day before may own an overnight window still open at `since`.
        day = since.astimezone(self._zone).date() - _ONE_DAY
        frontier = last_open = since
        while True:
            record = self._day(day)
            if until is not None and record.midnight >= until:
                return
            if until is None and record.midnight - last_open > SEARCH_LIMIT:
                raise CalendarError(
                    f"calendar {self.name!r} has no working time within {SEARCH_LIMIT.days} days "
                    f"after {since.isoformat()} (everything is closed)"
                )
            for start, end in record.intervals:
                # Windows of consecutive days may overlap (an overnight shift and an early one); skip what is done.
                if end <= frontier:
                    continue
                yield max(start, frontier), end
                frontier = last_open = end
            day += _ONE_DAY

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The deadline: `duration` of working time after `start` (`start` itself for a zero duration)."""
        since, remaining = _utc(start, "start"), _duration(duration)
        if not remaining:
            return since
        for low, high in self._pieces(since):
            if remaining <= high - low:
                return low + remaining
            remaining -= high - low
        raise AssertionError("unreachable: the open-ended walk either finds time or raises")  # pragma: no cover

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Working time between two instants; zero when `end` is not after `start`."""
        low, high = _utc(start, "start"), _utc(end, "end")
        total = _ZERO
        if high <= low:
            return total
        for piece_start, piece_end in self._pieces(low, high):
            if piece_start >= high:
                break
            total += min(piece_end, high) - piece_start
        return total

    def is_open(self, at: datetime) -> bool:
        """Whether `at` is working time; a window includes its start and excludes its end."""
        instant = _utc(at, "at")
        day = instant.astimezone(self._zone).date()
        # Only this date's windows and the previous date's overnight ones can cover the instant.
        for owner in (day - _ONE_DAY, day):
            for low, high in self._day(owner).intervals:
                if low <= instant < high:
                    return True
        return False

    def next_open(self, at: datetime) -> datetime:
        """`at` when it is working time, otherwise the start of the next working period (UTC)."""
        for low, _high in self._pieces(_utc(at, "at")):
            return low
        raise AssertionError("unreachable: the open-ended walk either finds time or raises")  # pragma: no cover

    def open_intervals(self, start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
        """The working intervals within [start, end), in UTC, in order, touching ones merged."""
        low, high = _utc(start, "start"), _utc(end, "end")
        current: Interval | None = None
        for piece_start, piece_end in self._pieces(low, high):
            if piece_start >= high:
                break
            piece_end = min(piece_end, high)
            if current is not None and piece_start == current[1]:
                current = (current[0], piece_end)
                continue
            if current is not None:
                yield current
            current = (piece_start, piece_end)
        if current is not None:
            yield current
