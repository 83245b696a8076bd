"""Building blocks for business calendars: wall-clock to UTC across DST, interval merging, cached holiday lookups."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

Interval = tuple[datetime, datetime]

_ONE_SECOND = timedelta(seconds=1)


def wall_to_utc(wall: datetime, tz: ZoneInfo) -> datetime:
    """The first instant at which the zone's clock reads `wall` or later, in UTC.

    An ordinary wall time is its one instant; in a fall-back overlap it is the first occurrence (fold=0); in a
    spring-forward gap it is the first valid instant after the gap, i.e. the transition itself.
    """
    first = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if first.astimezone(tz).replace(tzinfo=None) == wall:
        return first
    # A gap: the two fold readings land on either side of the transition, so bisect between them by whole seconds
    # (tz offsets and transitions are whole seconds). This runs only for boundaries inside a gap, and days are cached.
    other = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)
    lo, hi = min(first, other), max(first, other)
    low, high = 0, int((hi - lo) / _ONE_SECOND)
    while high - low > 1:
        mid = (low + high) // 2
        if (lo + mid * _ONE_SECOND).astimezone(tz).replace(tzinfo=None) >= wall:
            high = mid
        else:
            low = mid
    return lo + high * _ONE_SECOND


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sort intervals and merge the overlapping and touching ones; empty intervals are dropped."""
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def subtract(intervals: Sequence[Interval], cut: Interval) -> list[Interval]:
    """The parts of `intervals` (sorted, disjoint) outside `cut`."""
    cut_start, cut_end = cut
    if cut_end <= cut_start:
        return list(intervals)
    kept: list[Interval] = []
    for start, end in intervals:
        if end <= cut_start or start >= cut_end:
            kept.append((start, end))
            continue
        if start < cut_start:
            kept.append((start, cut_start))
        if end > cut_end:
            kept.append((cut_end, end))
    return kept


@lru_cache(maxsize=256)
def holiday_region_problem(country: str, subdivision: str | None) -> str | None:
    """What is wrong with a country/subdivision for the `holidays` package, or None; cached as lookups are slow."""
    if country not in holidays.list_supported_countries():
        return f"unknown holiday country {country!r}"
    if subdivision is not None:
        try:
            holidays.country_holidays(country, subdiv=subdivision)
        except NotImplementedError:
            return f"unknown holiday subdivision {subdivision!r} for country {country!r}"
    return None


@lru_cache(maxsize=1024)
def holiday_dates(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    """Public holidays (observed days included) of one year; cached process-wide since calendars share regions."""
    return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=year).keys())
