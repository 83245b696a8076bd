"""Who is on call: schedules from the policy file, with their iCalendar layers' last good copy and the overrides
made from Slack, both read from the database so every process answers alike; user groups from Slack, cached.

A feed layer that has never been fetched successfully has nobody on it (its schedule shows its other layers), and
`/oncall` says so. User groups are looked up in Slack at most once a minute per process; after the first look-up
a request never waits on Slack (the stale list answers while a background thread refreshes it).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.db import Database
from bot.gateway import SlackError, SlackGateway
from bot.oncall.config import GROUP, SCHEDULE, USER, FeedSpec, OnCallBook, ScheduleSpec, target_kind
from bot.oncall.feed import FeedError, FeedLayer
from bot.oncall.schedule import Layer, Override, Schedule, Segment, Shift
from models import OnCallOverride, ScheduleFeed

log = logging.getLogger(__name__)

# A feed is expanded for this span around now, and again once now has moved on by REEXPAND.
BEHIND, AHEAD, REEXPAND = timedelta(days=2), timedelta(days=400), timedelta(days=7)
GROUP_CACHE_FOR = timedelta(seconds=60)


@dataclass(frozen=True)
class Paged:
    """A person a page reaches, and through what (a schedule's name, a user group id, or 'user')."""

    user_id: str
    via: str


@dataclass(frozen=True)
class FeedState:
    schedule: str
    layer: str
    fetched_at: datetime | None
    last_error: str | None


class OnCallDirectory:
    def __init__(self, database: Database, clock: Clock, book: OnCallBook, gateway: SlackGateway) -> None:
        self.database = database
        self.clock = clock
        self.book = book
        self.gateway = gateway
        self._feeds: dict[tuple[str, str], tuple[datetime | None, datetime, Layer]] = {}
        self._groups: dict[str, tuple[datetime, frozenset[str]]] = {}
        self._refreshing: set[str] = set()
        self._lock = threading.Lock()

    # Schedules

    def names(self) -> list[str]:
        return sorted(self.book.schedules)

    def spec(self, name: str) -> ScheduleSpec | None:
        return self.book.schedules.get(name)

    def schedule(self, name: str, session: Session | None = None) -> Schedule:
        """The schedule as it stands now: its layers, feed copies and the overrides that are not over yet."""
        spec = self.book.schedules[name]
        if session is None:
            with self.database.session() as own:
                return self.schedule(name, own)
        now = self.clock.now()
        layers = tuple(
            self._feed_layer(session, spec, layer, now) if isinstance(layer, FeedSpec) else layer
            for layer in spec.layers
        )
        rows = session.scalars(
            select(OnCallOverride)
            .where(OnCallOverride.schedule == name, OnCallOverride.ends_at > now - BEHIND)
            .order_by(OnCallOverride.id)
        )
        overrides = tuple(Override(r.user_id, r.starts_at, r.ends_at, r.id) for r in rows)
        return Schedule(name=name, timezone=spec.timezone, layers=layers, overrides=overrides)

    def on_call(self, name: str, at: datetime | None = None, session: Session | None = None) -> tuple[str, ...]:
        return self.schedule(name, session).on_call(at or self.clock.now())

    def now_and_next(self) -> list[tuple[str, Segment, Segment | None, list[tuple[str, str]]]]:
        """Every schedule: who is on call now, who is next, and the problems of its feed layers."""
        now = self.clock.now()
        problems: dict[str, list[tuple[str, str]]] = {}
        states = {(f.schedule, f.layer): f for f in self.feed_states()}
        for schedule, feed in self.book.feeds():
            state = states.get((schedule, feed.name))
            if state is None or state.fetched_at is None:
                why = state.last_error if state is not None and state.last_error else "not fetched yet"
                problems.setdefault(schedule, []).append((feed.name, f"no copy yet ({why})"))
            elif state.last_error:
                problems.setdefault(schedule, []).append(
                    (
                        feed.name,
                        f"refresh failed, showing the copy of {state.fetched_at:%Y-%m-%d %H:%M} UTC: "
                        f"{state.last_error}",
                    )
                )
        rows = []
        with self.database.session() as session:
            for name in self.names():
                current, following = self.schedule(name, session).current_and_next(now)
                rows.append((name, current, following, problems.get(name, [])))
        return rows

    def week(self, name: str) -> list[Segment]:
        now = self.clock.now()
        return self.schedule(name).segments(now, now + timedelta(days=7))

    def shifts_of(self, user_id: str, days: int = 7) -> list[tuple[str, Segment]]:
        """A person's own on-call spans over the coming days, on every schedule, soonest first."""
        now = self.clock.now()
        found = []
        with self.database.session() as session:
            for name in self.names():
                for segment in self.schedule(name, session).segments(now, now + timedelta(days=days)):
                    if user_id in segment.users:
                        found.append((name, segment))
        return sorted(found, key=lambda item: item[1].start)

    def feed_states(self) -> list[FeedState]:
        with self.database.session() as session:
            rows = session.scalars(select(ScheduleFeed).order_by(ScheduleFeed.schedule, ScheduleFeed.layer))
            return [FeedState(r.schedule, r.layer, r.fetched_at, r.last_error) for r in rows]

    def _feed_layer(self, session: Session, spec: ScheduleSpec, feed: FeedSpec, now: datetime) -> Layer:
        row = session.execute(
            select(ScheduleFeed.fetched_at, ScheduleFeed.body).where(
                ScheduleFeed.schedule == spec.name, ScheduleFeed.layer == feed.name
            )
        ).first()
        fetched_at = row.fetched_at if row is not None else None
        key = (spec.name, feed.name)
        cached = self._feeds.get(key)
        if cached is not None and cached[0] == fetched_at and now - cached[1] < REEXPAND:
            return cached[2]
        layer: Layer = Nobody(feed.name)
        if row is not None and row.body:
            window = (now - BEHIND, now + AHEAD)
            try:
                layer = FeedLayer.parse(
                    feed.name, row.body, people=self.book.people, window=window, timezone=spec.timezone
                )
            except FeedError:  # a stored copy was checked when fetched; this guards against a changed parser
                log.exception("schedule %s: the stored copy of feed %s no longer parses", spec.name, feed.name)
        self._feeds[key] = (fetched_at, now, layer)
        return layer

    # Overrides

    def add_override(
        self, schedule: str, user_id: str, starts_at: datetime, ends_at: datetime, *, by: str, request: str | None
    ) -> OnCallOverride:
        def work(session: Session) -> OnCallOverride:
            if request is not None:
                existing = session.scalar(select(OnCallOverride).where(OnCallOverride.request == request))
                if existing is not None:
                    return existing
            row = OnCallOverride(
                schedule=schedule,
                user_id=user_id,
                starts_at=starts_at,
                ends_at=ends_at,
                created_by=by,
                created_at=self.clock.now(),
                request=request,
            )
            session.add(row)
            session.flush()
            return row

        return self.database.transaction(work)

    # Targets of an escalation level

    def resolve(self, targets: Iterable[str], session: Session, at: datetime | None = None) -> list[Paged]:
        """Everyone the targets reach now, each person once (the first target naming them says how)."""
        at = at or self.clock.now()
        people: dict[str, Paged] = {}
        for target in targets:
            kind = target_kind(target)
            if kind == USER:
                found: Iterable[str] = (target,)
                via = USER
            elif kind == GROUP:
                found, via = sorted(self.group_members(target)), target
            elif kind == SCHEDULE and target in self.book.schedules:
                found, via = self.schedule(target, session).on_call(at), target
            else:
                found, via = (), target
            for user in found:
                if _is_user(user):  # a feed's person with no Slack account can be shown, not paged
                    people.setdefault(user, Paged(user, via))
        return list(people.values())

    def group_members(self, group: str) -> frozenset[str]:
        """A user group's members; only the first look-up in a process waits on Slack."""
        now = self.clock.now()
        with self._lock:
            cached = self._groups.get(group)
            if cached is not None:
                fetched_at, members = cached
                if now - fetched_at >= GROUP_CACHE_FOR and group not in self._refreshing:
                    self._refreshing.add(group)
                    threading.Thread(target=self._refresh_group, args=(group,), daemon=True).start()
                return members
        members = self._fetch_group(group) or frozenset()
        with self._lock:
            self._groups[group] = (now, members)
        return members

    def _refresh_group(self, group: str) -> None:
        try:
            members = self._fetch_group(group)
            if members is not None:
                with self._lock:
                    self._groups[group] = (self.clock.now(), members)
        finally:
            with self._lock:
                self._refreshing.discard(group)

    def _fetch_group(self, group: str) -> frozenset[str] | None:
        try:
            return frozenset(self.gateway.usergroup_members(group))
        except SlackError as error:
            log.warning("could not read the members of user group %s: %s", group, error)
            return None


def _is_user(user: str) -> bool:
    return target_kind(user) == USER


@dataclass(frozen=True)
class Nobody:
    """A feed layer with no good copy yet: nobody on it, so the schedule's other layers show through."""

    name: str

    def at(self, instant: datetime) -> tuple[str, ...]:
        return ()

    def shifts(self, start: datetime, end: datetime) -> list[Shift]:
        return []

    def boundaries(self, start: datetime, end: datetime) -> list[datetime]:
        return []
