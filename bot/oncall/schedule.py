"""On-call schedules: who is on call at an instant, from layers (rotations, imported feeds) and overrides.

Every instant in and out is a timezone-aware datetime; results are in UTC. A schedule is built from plain values and
only answers questions about time: nothing here reads the database or talks to Slack.

Rules a support team relies on, decided here:

- Every span is half-open: a shift or an override covers its start and not its end, so at a hand-off instant the
  incoming person is on call.
- Layers are listed lowest first. At any instant the highest layer (the last in the tuple) that has someone on call
  decides; a higher layer with nobody on call at that instant lets the layers below show through. A layer may have
  several people on call at once (an imported feed with overlapping shifts): they are all on call, in the layer's
  order.
- An override puts one person on call for its span and beats every layer, whoever they have. When overrides
  overlap, the one listed last wins (a later override is the newer decision).
- Rotations hand off at local wall-clock times in their own zone: a daily 09:00 hand-off is 09:00 local on every
  day, DST or not. A hand-off in a spring-forward gap happens at the end of the gap, in a fall-back overlap at the
  first occurrence (`bot.sla.calendar_days.wall_to_utc`).
- "Nobody" is the empty tuple: no override runs and no layer has anyone. It is an answer, never an error; callers
  decide what it means for them (page a fallback, say so in the channel).
- Segments are cut only at the instants where a layer or an override can change hands (the union of their
  boundaries), never by stepping through time, and adjacent equal segments are merged.
- `current_and_next` looks at most LOOK_LIMIT (60 days) behind and ahead, so a schedule where nothing changes
  cannot make it search forever: a segment reaching that horizon is cut there.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Protocol
from zoneinfo import ZoneInfo

# Slack user ids: U... for ordinary workspaces, W... for Enterprise Grid.
SLACK_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
LOOK_LIMIT = timedelta(days=60)
_FIRST_LOOK = timedelta(days=1)


class ScheduleError(ValueError):
    """A schedule, rotation or override that cannot work; the message names the problem."""


def as_utc(value: datetime, what: str) -> datetime:
    """`value` in UTC; a naive datetime or anything else is refused with a sentence naming `what`."""
    if not isinstance(value, datetime):
        raise TypeError(f"{what} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got naive {value.isoformat()}")
    return value.astimezone(UTC)


def check_user(user: object, what: str) -> str:
    """`user` when it is a Slack user id (``U0ALICE1``, ``W...``), otherwise ScheduleError naming `what`."""
    if not isinstance(user, str) or not SLACK_USER_ID.match(user):
        raise ScheduleError(f"{what}: {user!r} is not a Slack user id (like U0ALICE1)")
    return user


@dataclass(frozen=True)
class Shift:
    """One person on call over [start, end), in UTC: a rotation's turn or a feed's event."""

    user: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Override:
    """`user` is on call over [start, end) whatever the layers say; instants are kept in UTC."""

    user: str
    start: datetime
    end: datetime
    id: int | None = None

    def __post_init__(self) -> None:
        check_user(self.user, f"override {self.id}" if self.id is not None else "override")
        start, end = as_utc(self.start, "override start"), as_utc(self.end, "override end")
        if end <= start:
            raise ScheduleError(f"override for {self.user} ends at {end.isoformat()}, not after its start")
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)

    def covers(self, instant: datetime) -> bool:
        """Whether the override runs at `instant` (a UTC datetime)."""
        return self.start <= instant < self.end


@dataclass(frozen=True)
class Segment:
    """Who is on call over [start, end), in UTC; `overridden` when an override decides it, not a layer."""

    start: datetime
    end: datetime
    users: tuple[str, ...]
    overridden: bool = False


class Layer(Protocol):
    """A source of on-call people over time: a `Rotation` or an imported `FeedLayer`."""

    @property
    def name(self) -> str: ...

    def at(self, instant: datetime) -> tuple[str, ...]:
        """Who is on call at `instant`, in the layer's order; empty for nobody."""
        ...

    def shifts(self, start: datetime, end: datetime) -> list[Shift]:
        """The shifts overlapping [start, end), in order."""
        ...

    def boundaries(self, start: datetime, end: datetime) -> list[datetime]:
        """The instants in (start, end] where who is on call changes, in UTC, in order."""
        ...


@dataclass(frozen=True)
class Schedule:
    """Layers (lowest first) and overrides (later ones win) that together say who is on call."""

    name: str
    timezone: ZoneInfo
    layers: tuple[Layer, ...]
    overrides: tuple[Override, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.timezone, ZoneInfo):
            raise ScheduleError(f"schedule {self.name!r}: timezone must be a ZoneInfo, not {self.timezone!r}")
        layers, overrides = tuple(self.layers), tuple(self.overrides)
        if not layers:
            raise ScheduleError(f"schedule {self.name!r} has no layer: add a rotation or an imported feed")
        for layer in layers:
            if not all(callable(getattr(layer, method, None)) for method in ("at", "shifts", "boundaries")):
                raise ScheduleError(f"schedule {self.name!r}: {layer!r} is not a layer (no at/shifts/boundaries)")
        for override in overrides:
            if not isinstance(override, Override):
                raise ScheduleError(f"schedule {self.name!r}: {override!r} is not an Override")
        object.__setattr__(self, "layers", layers)
        object.__setattr__(self, "overrides", overrides)

    def with_overrides(self, overrides: Iterable[Override]) -> Schedule:
        """The same schedule with `overrides` instead of its own."""
        return replace(self, overrides=tuple(overrides))

    def _decide(self, instant: datetime) -> tuple[tuple[str, ...], bool]:
        for override in reversed(self.overrides):
            if override.covers(instant):
                return (override.user,), True
        for layer in reversed(self.layers):
            users = layer.at(instant)
            if users:
                return users, False
        return (), False

    def on_call(self, at: datetime) -> tuple[str, ...]:
        """Who is on call at `at`: the last running override's user, else the highest layer with anyone."""
        return self._decide(as_utc(at, "at"))[0]

    def segments(self, start: datetime, end: datetime) -> list[Segment]:
        """Who is on call over [start, end), as segments in order with adjacent equal ones merged."""
        low, high = as_utc(start, "start"), as_utc(end, "end")
        if high <= low:
            return []
        cuts = {low, high}
        for layer in self.layers:
            cuts.update(instant for instant in layer.boundaries(low, high) if instant < high)
        for override in self.overrides:
            cuts.update(instant for instant in (override.start, override.end) if low < instant < high)
        merged: list[Segment] = []
        for piece_start, piece_end in pairwise(sorted(cuts)):
            users, overridden = self._decide(piece_start)
            if merged and merged[-1].users == users and merged[-1].overridden == overridden:
                merged[-1] = replace(merged[-1], end=piece_end)
            else:
                merged.append(Segment(piece_start, piece_end, users, overridden))
        return merged

    def current_and_next(self, at: datetime) -> tuple[Segment, Segment | None]:
        """The segment containing `at` and the one after it (None when nothing changes within LOOK_LIMIT).

        Both look at most LOOK_LIMIT away from `at`; a segment reaching that horizon starts or ends there.
        """
        now = as_utc(at, "at")
        # Widen the look from a day up to the limit, so a schedule with frequent hand-offs stays cheap.
        span = _FIRST_LOOK
        while True:
            ahead = self.segments(now, now + span)
            if len(ahead) >= 3 or span >= LOOK_LIMIT:
                break
            span = min(span * 2, LOOK_LIMIT)
        current = ahead[0]
        span = _FIRST_LOOK
        while True:
            behind = self.segments(now - span, now)[-1]
            if (behind.users, behind.overridden) != (current.users, current.overridden):
                break
            if behind.start > now - span or span >= LOOK_LIMIT:
                current = replace(current, start=behind.start)
                break
            span = min(span * 2, LOOK_LIMIT)
        return current, ahead[1] if len(ahead) > 1 else None
