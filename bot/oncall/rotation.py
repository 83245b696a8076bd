"""Rotations: people taking turns of a fixed wall-clock length, handing off at local times that DST never moves.

Rules, decided here:

- Turn k (any integer: the rotation also runs backwards before `start`, so it is defined at every instant) starts
  at the local wall-clock time ``start + k * length`` in the rotation's zone and ends where turn k + 1 starts; its
  person is ``users[k % len(users)]``.
- A hand-off is placed with `wall_to_utc`: in a spring-forward gap it happens at the end of the gap, in a fall-back
  overlap at the first occurrence. So a daily 09:00 hand-off is 09:00 local every day, a night turn from 21:00 to
  09:00 lasts 11 or 13 real hours on DST nights, and a turn whose start and end both fall in one gap lasts no
  time (it is skipped: nobody holds it).
- `at` is O(1): the turn is computed from the local wall time and corrected by comparing real hand-off instants,
  which settles the hour a fall-back night repeats.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.oncall.schedule import ScheduleError, Shift, as_utc, check_user
from bot.sla.calendar_days import wall_to_utc

_ZERO = timedelta(0)


@dataclass(frozen=True)
class Rotation:
    """`users` take turns of `length` (wall clock) in `timezone`, the first turn starting at the naive `start`."""

    name: str
    users: tuple[str, ...]
    timezone: ZoneInfo
    start: datetime
    length: timedelta

    def __post_init__(self) -> None:
        users = tuple(self.users) if isinstance(self.users, list | tuple) else self.users
        if not isinstance(users, tuple) or not users:
            raise ScheduleError(f"rotation {self.name!r} has nobody: users must be a non-empty tuple of Slack ids")
        for user in users:
            check_user(user, f"rotation {self.name!r}")
        object.__setattr__(self, "users", users)
        if not isinstance(self.timezone, ZoneInfo):
            raise ScheduleError(f"rotation {self.name!r}: timezone must be a ZoneInfo, not {self.timezone!r}")
        if not isinstance(self.start, datetime):
            raise ScheduleError(f"rotation {self.name!r}: start must be a datetime, not {self.start!r}")
        if self.start.tzinfo is not None:
            raise ScheduleError(
                f"rotation {self.name!r}: start is a local wall-clock time in {self.timezone.key} and must be "
                f"naive, got {self.start.isoformat()}"
            )
        if not isinstance(self.length, timedelta) or self.length <= _ZERO:
            raise ScheduleError(f"rotation {self.name!r}: turn length must be a positive timedelta, not {self.length}")

    def turn_start(self, turn: int) -> datetime:
        """The UTC instant turn number `turn` begins (turn 0 at `start`, negative turns before it)."""
        return wall_to_utc(self.start + turn * self.length, self.timezone)

    def user_of(self, turn: int) -> str:
        """The person holding turn number `turn`."""
        return self.users[turn % len(self.users)]

    def turn_at(self, instant: datetime) -> int:
        """The number of the turn running at `instant`."""
        now = as_utc(instant, "instant")
        wall = now.astimezone(self.timezone).replace(tzinfo=None)
        turn = (wall - self.start) // self.length
        # The wall-clock estimate is off by at most a turn around DST changes; real instants settle it.
        while self.turn_start(turn) > now:
            turn -= 1
        while self.turn_start(turn + 1) <= now:
            turn += 1
        return turn

    def at(self, instant: datetime) -> tuple[str, ...]:
        """The one person on call at `instant`."""
        return (self.user_of(self.turn_at(instant)),)

    def shifts(self, start: datetime, end: datetime) -> list[Shift]:
        """The turns overlapping [start, end), whole (not clipped), in order; turns lasting no time are left out."""
        low, high = as_utc(start, "start"), as_utc(end, "end")
        if high <= low:
            return []
        turn = self.turn_at(low)
        begins = self.turn_start(turn)
        found = []
        while begins < high:
            ends = self.turn_start(turn + 1)
            if ends > begins:
                found.append(Shift(self.user_of(turn), begins, ends))
            turn, begins = turn + 1, ends
        return found

    def boundaries(self, start: datetime, end: datetime) -> list[datetime]:
        """The hand-offs in (start, end] where the person on call changes, in UTC."""
        low, high = as_utc(start, "start"), as_utc(end, "end")
        turn = self.turn_at(low)
        holder = self.user_of(turn)
        turn += 1
        begins = self.turn_start(turn)
        found = []
        while begins <= high:
            ends = self.turn_start(turn + 1)
            if ends > begins and self.user_of(turn) != holder:
                found.append(begins)
                holder = self.user_of(turn)
            turn, begins = turn + 1, ends
        return found
