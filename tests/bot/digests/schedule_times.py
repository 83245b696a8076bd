"""Time zones and instants shared by the digest schedule tests: zone names, an hour, and UTC or wall-clock instants."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

PARIS, NY, TOKYO = "Europe/Paris", "America/New_York", "Asia/Tokyo"
H = timedelta(hours=1)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def local(zone: str, *parts: int, fold: int = 0) -> datetime:
    """A wall-clock time in `zone` as a UTC instant (first occurrence unless `fold=1`)."""
    return datetime(*parts, tzinfo=ZoneInfo(zone), fold=fold).astimezone(UTC)
