"""Time SLA deadline arithmetic: BusinessCalendar (whole intervals) against a minute-stepping calendar, one process.

`run(report)` prints one line per target (per-call mean and p50 in µs for both, and the mean ratio) and returns the
figures keyed like ``calendar.8h.liaison_mean_us``. Both calendars get the same configuration and the same starts,
and every naive deadline is checked against Liaison's, so a fast wrong answer cannot pass for a speed-up.
"""

from __future__ import annotations

import random
import statistics
import time as clock
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from bench.naive_calendar import NaiveCalendar
from bot.sla.calendar import BusinessCalendar, Window

CONFIG: dict[str, Any] = {
    "name": "bench desk",
    "tz": "America/New_York",
    "weekly": {day: [Window(time(9), time(12)), Window(time(13), time(17))] for day in range(5)},
    "country": "US",
    "partial_closures": {date(2026, 12, 24): [(time(13), time(0))], date(2026, 12, 31): [(time(13), time(0))]},
}
# (label, working time, starts timed for Liaison, starts timed for the naive walker). The naive walker costs
# roughly a minute check per calendar minute spanned, so its sample is kept small to stay within seconds.
TARGETS: Sequence[tuple[str, timedelta, int, int]] = (
    ("1h", timedelta(hours=1), 3000, 60),
    ("8h", timedelta(hours=8), 3000, 20),
    ("3 business days", timedelta(hours=3 * 7), 3000, 8),
    ("10 business days", timedelta(hours=10 * 7), 3000, 4),
)
SEED = 20260101


def _starts(count: int, rng: random.Random) -> list[datetime]:
    """Whole-minute starts spread over 2026, so DST, holidays and weekends are all in the mix."""
    year = datetime(2026, 1, 1, tzinfo=UTC)
    return [year + timedelta(minutes=rng.randrange(365 * 24 * 60)) for _ in range(count)]


def _time_calls(
    add: Callable[[datetime, timedelta], datetime], starts: list[datetime], duration: timedelta
) -> tuple[list[float], list[datetime]]:
    """Per-call wall time in µs, and the deadlines."""
    timings, deadlines = [], []
    for start in starts:
        began = clock.perf_counter_ns()
        deadline = add(start, duration)
        timings.append((clock.perf_counter_ns() - began) / 1000)
        deadlines.append(deadline)
    return timings, deadlines


def run(report: Callable[[str], None] = print) -> dict[str, float]:
    """Run every target for both calendars, report a line each and return the figures."""
    rng = random.Random(SEED)
    liaison, naive = BusinessCalendar(**CONFIG), NaiveCalendar(**CONFIG)
    figures: dict[str, float] = {}
    report(f"calendar: {CONFIG['name']} ({CONFIG['tz']}, Mon-Fri 9-12 and 13-17, US holidays), per-call µs")
    for label, duration, fast_count, naive_count in TARGETS:
        fast_starts = _starts(fast_count, rng)
        naive_starts = fast_starts[:naive_count]
        # Warm-up over the same starts fills the per-day cache, as a long-running process has it.
        _time_calls(liaison.add, fast_starts, duration)
        fast, deadlines = _time_calls(liaison.add, fast_starts, duration)
        slow, naive_deadlines = _time_calls(naive.add, naive_starts, duration)
        for start, expected, got in zip(naive_starts, deadlines, naive_deadlines, strict=False):
            if got != expected:
                raise AssertionError(f"calendars disagree on {start.isoformat()} + {duration}: {expected} != {got}")
        key = f"calendar.{label.replace(' business days', 'bd')}"
        figures.update(
            {
                f"{key}.liaison_mean_us": statistics.fmean(fast),
                f"{key}.liaison_p50_us": statistics.median(fast),
                f"{key}.naive_mean_us": statistics.fmean(slow),
                f"{key}.naive_p50_us": statistics.median(slow),
                f"{key}.ratio": statistics.fmean(slow) / statistics.fmean(fast),
            }
        )
        report(
            f"  {label:>16}: liaison mean {figures[f'{key}.liaison_mean_us']:8.1f} p50 "
            f"{figures[f'{key}.liaison_p50_us']:8.1f} (n={fast_count}) | naive mean "
            f"{figures[f'{key}.naive_mean_us']:10.0f} p50 {figures[f'{key}.naive_p50_us']:10.0f} (n={naive_count}) "
            f"| {figures[f'{key}.ratio']:7.0f}x"
        )
    # Cold: a new calendar per call, so every day is built from scratch; the cost a first request pays.
    cold_starts = _starts(300, rng)
    duration = TARGETS[-1][1]
    cold, _ = _time_calls(lambda start, d: BusinessCalendar(**CONFIG).add(start, d), cold_starts, duration)
    figures["calendar.10bd.liaison_cold_mean_us"] = statistics.fmean(cold)
    figures["calendar.10bd.liaison_cold_p50_us"] = statistics.median(cold)
    report(
        f"  {'10 business days':>16}: liaison cold (new calendar per call) mean {statistics.fmean(cold):.1f} "
        f"p50 {statistics.median(cold):.1f} (n={len(cold)})"
    )
    return figures


if __name__ == "__main__":
    run()
