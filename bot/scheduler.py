"""Recurring jobs in every app process (APScheduler 3.x); per-ticket state lives in the database, never here."""

from __future__ import annotations

import logging

from apscheduler.schedulers.background import BackgroundScheduler

from bot.services import Services

log = logging.getLogger(__name__)


def build_scheduler(services: Services, *, drain_every: float = 1.0) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(
        timezone="UTC",
        # A late run is still worth running (the default 1 s grace silently drops it); runs never pile up.
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300},
    )
    scheduler.add_job(
        _drain,
        "interval",
        seconds=drain_every,
        args=[services],
        id="outbox-drain",
        replace_existing=True,
    )
    return scheduler


def _drain(services: Services) -> None:
    result = services.dispatcher.drain()
    if result.handled:
        log.info("outbox: %s delivered, %s retried, %s parked", result.delivered, result.retried, result.parked)
