"""The one source of "now": a system clock in production, a movable clock in tests, the console and benchmarks."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    """Wall-clock time, timezone-aware UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class MovableClock:
    """Starts at the system time (or a given instant) and moves only forward, when told; thread-safe."""

    def __init__(self, start: datetime | None = None) -> None:
        self._offset = timedelta(0)
        self._frozen = start
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            base = self._frozen if self._frozen is not None else datetime.now(UTC)
            return base + self._offset

    def advance(self, delta: timedelta) -> None:
        if delta < timedelta(0):
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._offset += delta
