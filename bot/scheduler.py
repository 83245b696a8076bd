"""Recurring jobs in every app process (APScheduler 3.x); per-ticket state lives in the database, never here.

The SLA sweep wakes at the nearest timer's due time (and at least every 30 s); the outbox drain runs every second
and also sweeps when a timer fell due in between, so reminders are late by at most about a second.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from apscheduler.schedulers.background import BackgroundScheduler

from bot.services import Services

log = logging.getLogger(__name__)
SWEEP_AT_LEAST_EVERY = timedelta(seconds=30)


def build_scheduler(services: Services, *, drain_every: float = 1.0) -> BackgroundScheduler:
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
        seconds=SWEEP_AT_LEAST_EVERY.total_seconds(),
        args=[services, scheduler],
        id="sla-sweep",
        replace_existing=True,
    )
    return scheduler


def _sweep(services: Services, scheduler: BackgroundScheduler) -> None:
    fired = services.sweep.run()
    if fired:
        log.info("sla sweep: %s timers handled", fired)
        services.dispatcher.drain()
    next_due = services.sweep.next_due()
    job = scheduler.get_job("sla-sweep")
    if next_due is not None and job is not None and job.next_run_time is not None and next_due < job.next_run_time:
        job.modify(next_run_time=next_due)


def _drain(services: Services) -> None:
    next_due = services.sweep.next_due()
    if next_due is not None and next_due <= services.clock.now():
        services.sweep.run()
    result = services.dispatcher.drain()
    if result.handled:
        log.info("outbox: %s delivered, %s retried, %s parked", result.delivered, result.retried, result.parked)
