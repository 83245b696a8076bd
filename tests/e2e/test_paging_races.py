"""Acknowledging a page while the sweep fires that page's level timeout, on PostgreSQL: the two wait for each other
in one order (the page's timeout first) and never deadlock; the acknowledgement then applies to the moved-on page.

The interleaving is forced at `bot.paging.notices.touch_card`, the point where both transactions queue the ticket's
card update: the sweep holds the timeout and has queued the card's update; the acknowledgement arrives then. Before
both took the timeout first, the acknowledgement wrote the page row and queued the same card key, and PostgreSQL
aborted one of the two as a deadlock (five in a row made `acknowledge` fail).
"""

from __future__ import annotations

import logging
import threading
import time
import tomllib
from datetime import timedelta

import pytest
from slack_sdk import WebClient
from sqlalchemy import select

from bot.clock import MovableClock
from bot.config import LiaisonConfig
from bot.db import Database
from bot.local.standin import SlackStandIn
from bot.local.workspace import seed
from bot.paging import notices
from bot.services import Services
from bot.tickets.service import Actor, TicketDraft
from models import Page, Timer
from tests.e2e.test_paging_processes import ALICE, BOB, DAVE, ERIN, PAGERS, POLICY_FILE


def test_acknowledging_while_the_sweep_fires_the_timeout_does_not_deadlock(
    database: Database, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    if database.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serializes writers: no deadlock there")
    slack = SlackStandIn()
    seed(slack)
    slack.add_user(ERIN, "erin")
    slack.add_usergroup(PAGERS, "pagers", [BOB, DAVE])
    slack.start()
    try:
        clock = MovableClock()
        config = LiaisonConfig.from_dict(tomllib.loads(POLICY_FILE))
        client = WebClient(token=slack.bot_token, base_url=slack.api_url)
        services = Services.build(config=config, clock=clock, database=database, client=client)
        alice = Actor(user_id=ALICE, is_agent=True)
        ticket = services.tickets.open(alice, TicketDraft(subject="Checkout down", new_customer="Acme")).ticket
        page = services.paging.escalate(alice, ticket.key).page
        clock.advance(timedelta(seconds=5))  # level 1 times out now

        swept, acknowledging = threading.Event(), threading.Event()
        original = notices.touch_card

        def touch_card(session, page, now):  # noqa: ANN001, ANN202
            if threading.current_thread().name == "sweep" and not swept.is_set():
                original(session, page, now)
                swept.set()
                acknowledging.wait(5)
                time.sleep(0.3)  # the acknowledgement now waits on the card update's key
                return
            acknowledging.set()
            original(session, page, now)

        monkeypatch.setattr(notices, "touch_card", touch_card)
        sweep = threading.Thread(target=services.sweep.run, name="sweep")
        with caplog.at_level(logging.INFO, logger="bot.db"):
            sweep.start()
            assert swept.wait(5)
            started = time.monotonic()
            answer = services.paging.acknowledge(ALICE, page.id)
            took = time.monotonic() - started
            sweep.join(10)
        assert answer.applied
        assert "deadlock" not in caplog.text, f"deadlock; acknowledging took {took:.1f}s"
        with database.session() as session:
            state = session.execute(select(Page.state, Page.acked_by, Page.level).where(Page.id == page.id)).one()
            pending = session.scalars(select(Timer.dedupe_key).where(Timer.state == "pending")).all()
        assert tuple(state) == ("acknowledged", ALICE, 1), "acknowledged on the level the sweep moved it to"
        assert pending == [], "the new level's timeout is cancelled"
    finally:
        slack.stop()
