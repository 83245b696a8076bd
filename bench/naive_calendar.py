"""A deliberately naive business calendar that steps minute by minute: the baseline for the calendar benchmark.

It takes the same configuration as `bot.sla.calendar.BusinessCalendar` and asks "is this minute working time?" for
every minute it walks over, rebuilding the windows around each minute from the configuration. It is exact only when
instants, durations and every window, closure and DST boundary fall on whole minutes, which is what the property
tests feed it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

from bot.sla.calendar import SEARCH_LIMIT, CalendarError, Window

_MINUTE = timedelta(minutes=1)
_DAY = timedelta(days=1)


class NaiveCalendar:
    """Minute-stepping business calendar with the semantics of BusinessCalendar (see bot/sla/calendar.py)."""

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
        self.zone = ZoneInfo(tz)
        self.weekly = {weekday: list(windows) for weekday, windows in weekly.items()}
        self.country = country
        self.subdivision = subdivision
        self.closed_dates = set(closed_dates)
        self.partial_closures = {day: list(spans) for day, spans in (partial_closures or {}).items()}
        # Without this the holidays package would be rebuilt for every minute and the baseline would measure that.
        self._holidays: dict[int, set[date]] = {}

    def _instant(self, day: date, wall: time) -> datetime:
        """The first instant the wall clock reads `wall` on `day` or later (midnight end handled by the caller)."""
        naive = datetime.combine(day, wall)
        readings = [naive.replace(tzinfo=self.zone, fold=fold).astimezone(UTC) for fold in (0, 1)]
        valid = [r for r in readings if r.astimezone(self.zone).replace(tzinfo=None) == naive]
        if valid:
            return min(valid)
        instant = min(readings)
        while instant.astimezone(self.zone).replace(tzinfo=None) < naive:
            instant += _MINUTE
        return instant

    def _closed(self, day: date) -> bool:
        if day in self.closed_dates:
            return True
        if self.country is None:
            return False
        if day.year not in self._holidays:
            found = holidays.country_holidays(self.country, subdiv=self.subdivision, years=day.year)
            self._holidays[day.year] = set(found)
        return day in self._holidays[day.year]

    def _in_closure(self, at: datetime, local_day: date) -> bool:
        for day in (local_day - _DAY, local_day, local_day + _DAY):
            for start, end in self.partial_closures.get(day, ()):
                end_day = day + _DAY if end == time(0) else day
                if self._instant(day, start) <= at < self._instant(end_day, end):
                    return True
        return False

    def is_open(self, at: datetime) -> bool:
        """Whether the minute starting at `at` is working time."""
        at = at.astimezone(UTC)
        local_day = at.astimezone(self.zone).date()
        if self._in_closure(at, local_day):
            return False
        for owner in (local_day - _DAY, local_day):
            if self._closed(owner):
                continue
            for window in self.weekly.get(owner.weekday(), ()):
                end_day = owner + _DAY if window.overnight or window.end == time(0) else owner
                if self._instant(owner, window.start) <= at < self._instant(end_day, window.end):
                    return True
        return False

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The deadline `duration` (whole minutes) of working time after `start`, walking one minute at a time."""
        at = start.astimezone(UTC)
        remaining = duration // _MINUTE
        if remaining == 0:
            return at
        while True:
            if self.is_open(at):
                remaining -= 1
                if remaining == 0:
                    return at + _MINUTE
            at += _MINUTE
            if at - start > SEARCH_LIMIT:
                raise CalendarError(f"calendar {self.name!r} has no working time")

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Working time between two whole-minute instants, counting one minute at a time."""
        at, end = start.astimezone(UTC), end.astimezone(UTC)
        total = timedelta(0)
        while at < end:
            if self.is_open(at):
                total += _MINUTE
            at += _MINUTE
        return total
