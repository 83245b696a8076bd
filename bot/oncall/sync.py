"""Fetching iCalendar feeds (PagerDuty and Opsgenie export schedules this way) into the database, on a schedule.

A fetch is checked by parsing it before it replaces the stored copy, so a refresh that fails (the URL is down, the
file is gone, the body is not iCalendar) keeps the last good copy and records why. Each feed is fetched by one
process per refresh period: the process that moves its `attempted_at` forward (a conditional UPDATE) fetches it.
"""

from __future__ import annotations

import logging
import urllib.request
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.db import Database
from bot.oncall.config import FeedSpec, OnCallBook
from bot.oncall.feed import FeedError, FeedLayer
from models import ScheduleFeed

log = logging.getLogger(__name__)

MAX_BYTES = 5 * 1024 * 1024
TIMEOUT = 20.0
# A failed fetch is tried again after this long, or after the feed's refresh period if that is shorter.
RETRY_AFTER = timedelta(minutes=5)

Fetch = Callable[[str], str]


def fetch_source(source: str) -> str:
    """The feed's text: an http(s) URL, or a file path (relative to the working directory)."""
    if source.startswith(("http://", "https://")):
        request = urllib.request.Request(source, headers={"User-Agent": "Liaison schedule sync"})
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310 - the operator's own URL
            body = response.read(MAX_BYTES + 1)
    else:
        path = Path(source.removeprefix("file://"))
        body = path.read_bytes()[: MAX_BYTES + 1]
    if len(body) > MAX_BYTES:
        raise FeedError(f"the feed is larger than {MAX_BYTES // (1024 * 1024)} MB")
    return body.decode("utf-8", errors="replace")


class FeedSync:
    def __init__(self, database: Database, clock: Clock, book: OnCallBook, fetch: Fetch = fetch_source) -> None:
        self.database = database
        self.clock = clock
        self.book = book
        self.fetch = fetch

    def run(self, *, force: bool = False) -> dict[tuple[str, str], str | None]:
        """Fetch every feed that is due (or all of them); (schedule, layer) → None when stored, or the problem."""
        outcomes: dict[tuple[str, str], str | None] = {}
        for schedule, feed in self.book.feeds():
            if self._take(schedule, feed, force):
                outcomes[(schedule, feed.name)] = self._refresh(schedule, feed)
        return outcomes

    def _take(self, schedule: str, feed: FeedSpec, force: bool) -> bool:
        """Whether this process fetches the feed now; marks the attempt so other processes leave it."""
        now = self.clock.now()
        due_before = now - (timedelta(0) if force else min(feed.refresh, RETRY_AFTER))

        same = (ScheduleFeed.schedule == schedule, ScheduleFeed.layer == feed.name)

        def work(session: Session) -> bool:
            if session.scalar(select(ScheduleFeed.id).where(*same)) is None:
                session.add(ScheduleFeed(schedule=schedule, layer=feed.name, source=feed.source))
                session.flush()
            row = session.execute(select(ScheduleFeed.fetched_at, ScheduleFeed.last_error).where(*same)).one()
            # A good copy is kept for its whole refresh period; a failed one is tried again sooner.
            if not force and row.fetched_at is not None and row.last_error is None:
                due_before_good = now - feed.refresh
                if row.fetched_at > due_before_good:
                    return False
            taken = session.execute(
                update(ScheduleFeed)
                .where(*same, or_(ScheduleFeed.attempted_at.is_(None), ScheduleFeed.attempted_at <= due_before))
                .values(attempted_at=now, source=feed.source)
            )
            return taken.rowcount == 1

        try:
            return self.database.transaction(work)
        except IntegrityError:  # another process added the feed's row at the same moment; it fetches this time
            return False

    def _refresh(self, schedule: str, feed: FeedSpec) -> str | None:
        spec = self.book.schedules[schedule]
        now = self.clock.now()
        try:
            text = self.fetch(feed.source)
            FeedLayer.parse(
                feed.name, text, people=self.book.people, window=(now, now + timedelta(days=1)), timezone=spec.timezone
            )
        except (OSError, ValueError) as error:  # FeedError is a ValueError; URLError and HTTPError are OSErrors
            problem = f"{type(error).__name__}: {error}"[:1000]
            self._store(schedule, feed, now, last_error=problem)
            log.warning(
                "schedule %s: feed %s not refreshed, keeping the last good copy: %s", schedule, feed.name, problem
            )
            return problem
        self._store(schedule, feed, now, body=text, fetched_at=now, last_error=None)
        log.info("schedule %s: feed %s refreshed (%s bytes)", schedule, feed.name, len(text))
        return None

    def _store(self, schedule: str, feed: FeedSpec, now: datetime, **values: object) -> None:
        def work(session: Session) -> None:
            session.execute(
                update(ScheduleFeed)
                .where(ScheduleFeed.schedule == schedule, ScheduleFeed.layer == feed.name)
                .values(**values)
            )

        self.database.transaction(work)
