"""Recurring jobs in every app process (APScheduler 3.x); per-ticket state lives in the database, never here.

The SLA sweep runs every second and also wakes at the nearest timer's due time; the outbox drain runs every second
on its own, so a slow Slack never delays the sweep.
"""

from __future__ import annotations

import logging

from apscheduler.schedulers.background import BackgroundScheduler

from bot.services import Services

log = logging.getLogger(__name__)


def build_scheduler(services: Services, *, drain_every: float = 1.0, sweep_every: float = 1.0) -> BackgroundScheduler:
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
    return scheduler


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
    result = services.dispatcher.drain()
    if result.handled:
        log.info("outbox: %s delivered, %s retried, %s parked", result.delivered, result.retried, result.parked)
