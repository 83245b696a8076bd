"""Recurring jobs in every app process (APScheduler 3.x); per-ticket state lives in the database, never here.

The SLA sweep runs every second and also wakes at the nearest timer's due time; the outbox drain runs every second
on its own, so a slow Slack never delays the sweep.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler

from bot.housekeeping import forget_old_requests
from bot.services import Services

log = logging.getLogger(__name__)


DRAIN_EVERY = 1.0


def build_scheduler(
    services: Services, *, drain_every: float = DRAIN_EVERY, sweep_every: float = 1.0
) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(
        timezone="UTC",
        # A late run is still worth running (the default 1 s grace silently drops it); runs never pile up.
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300},
    )
    scheduler.add_job(
        _drain, "interval", seconds=drain_every, args=[services], id="outbox-drain", replace_existing=True
    )
    scheduler.add_job(
        _sweep,
        "interval",
        seconds=sweep_every,
        args=[services, scheduler],
        id="sla-sweep",
        replace_existing=True,
    )
    scheduler.add_job(_provision, "interval", seconds=1, args=[services], id="incident-channels", replace_existing=True)
    scheduler.add_job(_suggest, "interval", seconds=30, args=[services], id="incident-patterns", replace_existing=True)
    # Each feed has its own refresh period; this only looks for feeds that are due (one query per feed). The first
    # run is at start-up, so a new deployment knows its iCalendar schedules at once.
    scheduler.add_job(
        _sync_feeds,
        "interval",
        minutes=1,
        args=[services],
        id="schedule-feeds",
        replace_existing=True,
        next_run_time=datetime.now(UTC),
    )
    # Digests fall due at whole minutes; every process looks, and the run row lets one of them send each period.
    scheduler.add_job(
        _digests,
        "interval",
        seconds=20,
        args=[services],
        id="digests",
        replace_existing=True,
        next_run_time=datetime.now(UTC),
    )
    scheduler.add_job(_route, "interval", seconds=5, args=[services], id="routing", replace_existing=True)
    scheduler.add_job(_housekeeping, "interval", hours=1, args=[services], id="housekeeping", replace_existing=True)
    return scheduler


def _provision(services: Services) -> None:
    created = services.channels.run()
    if created:
        log.info("incidents: %s channel(s) created", created)


def _suggest(services: Services) -> None:
    suggested = services.patterns.run()
    if suggested:
        log.info("incidents: %s group(s) of similar tickets suggested", suggested)


def _sync_feeds(services: Services) -> None:
    services.feeds.run()


def _digests(services: Services) -> None:
    queued = services.digests.run()
    if queued:
        log.info("digests: %s queued", queued)


def _route(services: Services) -> None:
    offered = services.routing.run()
    if offered:
        log.info("routing: %s ticket(s) offered", offered)


def _housekeeping(services: Services) -> None:
    forgotten = forget_old_requests(services.database, services.clock)
    if forgotten:
        log.info("housekeeping: forgot %s applied request keys", forgotten)


def _sweep(services: Services, scheduler: BackgroundScheduler) -> None:
    """Fire what is due, then wake again at the nearest due time if that comes before the next regular run."""
    fired = services.sweep.run()
    if fired:
        log.info("sla sweep: %s timers handled", fired)
    next_due = services.sweep.next_due()
    job = scheduler.get_job("sla-sweep")
    if next_due is not None and job is not None and job.next_run_time is not None and next_due < job.next_run_time:
        job.modify(next_run_time=next_due)


def _drain(services: Services) -> None:
    # Bounded to most of the interval, so a long backlog is drained run after run instead of one run overlapping
    # the next (which APScheduler would skip with a warning every second).
    result = services.dispatcher.drain(budget_seconds=0.8 * DRAIN_EVERY)
    if result.handled:
        log.info("outbox: %s delivered, %s retried, %s parked", result.delivered, result.retried, result.parked)
