"""Failure injection for the local Slack stand-in: one-off errors, outages and rate limits."""

from __future__ import annotations

from dataclasses import dataclass

from bot.local.standin_blocks import Record
from bot.local.standin_state import WorkspaceState

_Answer = tuple[int, dict[str, str], Record]


@dataclass
class _Failure:
    method: str
    error: str | None
    status: int
    retry_after: int | None
    times: int


class FailureInjection(WorkspaceState):
    """Makes Web API calls fail on purpose, as Slack's errors, 5xx answers and 429 rate limits would."""

    _failures: list[_Failure]
    _outage: tuple[float, int] | None  # (until, status)
    _rate_limit: tuple[float, int] | None  # (until, retry_after)

    def fail(
        self,
        method: str = "*",
        *,
        error: str | None = None,
        status: int = 200,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Make the next `times` calls of method ("*": any) fail: 429 with retry_after, HTTP status >= 500, or error."""
        with self._lock:
            self._failures.append(_Failure(method, error, status, retry_after, times))

    def outage(self, seconds: float, *, status: int = 503) -> None:
        """Answer every API call with HTTP status until the clock passes now + seconds."""
        with self._lock:
            self._outage = (self._clock() + seconds, status)

    def rate_limit(self, seconds: float, retry_after: int = 1) -> None:
        """Answer every API call with 429 and Retry-After until the clock passes now + seconds."""
        with self._lock:
            self._rate_limit = (self._clock() + seconds, retry_after)

    def clear_failures(self) -> None:
        """Drop all injected failures, outages and rate limits."""
        with self._lock:
            self._failures.clear()
            self._outage = self._rate_limit = None

    def _injected(self, method: str) -> _Answer | None:
        now = self._clock()
        if self._outage and now < self._outage[0]:
            return _failure_answer(None, self._outage[1], None)
        if self._rate_limit and now < self._rate_limit[0]:
            return _failure_answer(None, 429, self._rate_limit[1])
        failure = next((f for f in self._failures if f.method in ("*", method) and f.times > 0), None)
        if failure is None:
            return None
        failure.times -= 1
        return _failure_answer(failure.error, failure.status, failure.retry_after)


def _failure_answer(error: str | None, status: int, retry_after: int | None) -> _Answer:
    if retry_after is not None or status == 429:
        return 429, {"Retry-After": str(retry_after or 1)}, {"ok": False, "error": "ratelimited"}
    default = "service_unavailable" if status == 503 else "fatal_error"
    return status, {}, {"ok": False, "error": error or default}
