"""Digest figures against a hand-computed day: five tickets on Monday 30 Nov 2026, read on Tuesday at 07:30 UTC.

Policies: premium (24/7) P1 first response 1h, resolution 4h; P2 4h and 8h. standard P3 on an office calendar
(Europe/Paris, 09:00-17:00, i.e. 08:00-16:00 UTC in winter): first response 2h, resolution 16h.

- T-1 standard P3, 07:00 (before opening hours): replied 09:00 (1h of working time, met), pending since 10:00.
- T-2 premium P1, 08:00: replied 08:30 (first response met, 30m), solved 10:00 (resolution met, 2h).
- T-3 premium P1, 08:00: replied 09:30 (first response breached at 09:00; 1h30m), solved 11:00, reopened 13:00,
  resolution breached 14:00, solved 15:00 (5h counted; paused 2h while solved). Assigned to agent 2.
- T-4 premium P2, 08:00: priority P1 at 09:30 (first response already over its new 1h: breached at the change),
  replied 10:00 (2h), resolution breached at 12:00 and still open. Assigned to agent 1.
- T-5 standard P3, 15:00: first response due Tuesday 09:00 UTC, one working hour after 07:30: at risk.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert

from bot.clock import MovableClock
from bot.config import LiaisonConfig
from bot.db import Database
from bot.digests.figures import Count, Figures, Thresholds, compute, daily
from bot.digests.filters import Filter, parse_filter
from bot.errors import UsageError
from bot.sla.sweep import SlaTimers
from bot.tickets.service import Actor, TicketDraft, TicketService
from bot.timers import TimerRegistry, TimerSweep
from models import Incident, IncidentTicket

MONDAY = datetime(2026, 11, 30, tzinfo=UTC)
AGENT_1, AGENT_2 = Actor("U0AGENT01", is_agent=True), Actor("U0AGENT02", is_agent=True)
CONFIG = LiaisonConfig.from_dict(
    {
        "tickets": {"queue_channel": "C0QUEUE01"},
        "calendars": {"office": {"timezone": "Europe/Paris", "weekdays": ["09:00-17:00"]}},
        "sla": {
            "policies": [
                {
                    "name": "premium",
                    "match": {"tiers": ["premium"]},
                    "targets": {
                        "P1": {"first_response": {"duration": "1h"}, "resolution": {"duration": "4h"}},
                        "P2": {"first_response": {"duration": "4h"}, "resolution": {"duration": "8h"}},
                    },
                },
                {
                    "name": "standard",
                    "targets": {
                        "P3": {
                            "first_response": {"duration": "2h", "calendar": "office"},
                            "resolution": {"duration": "16h", "calendar": "office"},
                        }
                    },
                },
            ]
        },
    }
)
START, END, NOW = MONDAY, MONDAY + timedelta(days=1), MONDAY + timedelta(days=1, hours=7, minutes=30)
LIMITS = Thresholds(at_risk=timedelta(hours=2), unusual_pause=timedelta(hours=1), listed=10)


def at(hours: float) -> datetime:
    return MONDAY + timedelta(hours=hours)


def move_to(clock: MovableClock, instant: datetime) -> None:
    clock.advance(instant - clock.now())


@pytest.fixture
def day(database: Database) -> Database:
    clock = MovableClock(at(7))
    tickets = TicketService(database, clock, CONFIG)

    def open_(customer: str, tier: str, priority: str) -> str:
        draft = TicketDraft(f"{customer} issue", priority, new_customer=customer, new_customer_tier=tier)
        return tickets.open(AGENT_1, draft).ticket.key

    t1 = open_("Initech", "standard", "P3")
    move_to(clock, at(8))
    t2, t3, t4 = (open_(name, "premium", p) for name, p in (("Acme", "P1"), ("Acme", "P1"), ("Globex", "P2")))
    tickets.assign(AGENT_1, t3, AGENT_2.user_id)
    tickets.assign(AGENT_1, t4, AGENT_1.user_id)
    for hours, change in (
        (8.5, lambda: tickets.reply(AGENT_1, t2, "On it")),
        (9, lambda: tickets.reply(AGENT_1, t1, "Looking")),
        (9.5, lambda: tickets.reply(AGENT_2, t3, "Sorry for the wait")),
        (9.5, lambda: tickets.set_priority(AGENT_1, t4, "P1")),
        (10, lambda: tickets.reply(AGENT_1, t4, "Investigating")),
        (10, lambda: tickets.set_status(AGENT_1, t2, "solved")),
        (10, lambda: tickets.set_status(AGENT_1, t1, "pending")),
        (11, lambda: tickets.set_status(AGENT_2, t3, "solved")),
        (13, lambda: tickets.set_status(AGENT_2, t3, "open")),
        (15, lambda: tickets.set_status(AGENT_2, t3, "solved")),
        (15, lambda: open_("Initech", "standard", "P3")),
    ):
        move_to(clock, at(hours))
        change()
    move_to(clock, NOW)
    registry = TimerRegistry()
    SlaTimers(tickets).register(registry)
    TimerSweep(database, clock, registry).run()  # the breaches nobody touched (T-4's resolution at 12:00)
    with database.session() as session:
        session.execute(
            insert(Incident),
            [
                {"title": "Checkout down", "severity": "SEV2", "status": "resolved", "declared_by": "U0AGENT01",
                 "created_at": at(12), "updated_at": at(16), "resolved_at": at(16)},
                {"title": "Old outage", "severity": "SEV1", "status": "resolved", "declared_by": "U0AGENT01",
                 "created_at": at(-48), "updated_at": at(-40), "resolved_at": at(-40)},
            ],
        )  # fmt: skip
        session.execute(
            insert(IncidentTicket),
            [{"incident_id": 1, "ticket_id": n, "linked_by": "U0AGENT01", "linked_at": at(12)} for n in (3, 4)],
        )
    return database


def figures_for(database: Database, wanted: Filter | None = None) -> Figures:
    with database.session() as session:
        return compute(session, CONFIG.sla, START, END, NOW, wanted or Filter(), LIMITS)


def test_breaches_of_the_day_are_counted_by_policy_priority_tier_and_agent(day: Database) -> None:
    figures = figures_for(day)
    assert figures.breaches == 4
    assert figures.breaches_by["policy"] == [Count("premium", 4)]
    assert figures.breaches_by["priority"] == [Count("P1", 4)]
    assert figures.breaches_by["tier"] == [Count("premium", 4)]
    assert figures.breaches_by["agent"] == [Count("U0AGENT01", 2), Count("U0AGENT02", 2)]
    assert (figures.created, figures.solved, figures.reopened) == (5, 2, 1)


def test_achievement_is_met_against_met_plus_breached_per_metric(day: Database) -> None:
    figures = figures_for(day)
    got = {a.metric: (a.met, a.breached, round(a.percent or 0, 1)) for a in figures.achievement}
    assert got == {"first_response": (2, 2, 50.0), "resolution": (1, 2, 33.3)}


def test_response_times_are_nearest_rank_median_and_p90_of_working_time(day: Database) -> None:
    timings = {t.metric: (t.count, t.median, t.p90) for t in figures_for(day).timings}
    # First response: 30m, 1h (T-1, working time only), 1h30m, 2h. Resolution: 2h, 5h.
    assert timings["first_response"] == (4, timedelta(hours=1), timedelta(hours=2))
    assert timings["resolution"] == (2, timedelta(hours=2), timedelta(hours=5))


def test_lists_describe_now_breached_open_at_risk_and_long_pauses(day: Database) -> None:
    figures = figures_for(day)
    assert figures.breached_open_count == 1
    [breached] = figures.breached_open
    assert (breached.key, breached.metric, breached.at) == ("T-4", "resolution", at(12))
    assert figures.at_risk_count == 1
    [risky] = figures.at_risk
    assert (risky.key, risky.at) == ("T-5", MONDAY + timedelta(days=1, hours=9))
    assert [(t.key, t.paused) for t in figures.paused] == [
        ("T-1", timedelta(hours=21, minutes=30)),
        ("T-3", timedelta(hours=2)),
    ]
    assert not figures.all_clear


def test_incidents_open_during_the_period_come_with_their_linked_ticket_counts(day: Database) -> None:
    assert [(i.key, i.tickets) for i in figures_for(day).incidents] == [("INC-1", 2)]


def test_a_filter_narrows_every_figure(day: Database) -> None:
    standard = figures_for(day, parse_filter("tier:standard"))
    assert (standard.breaches, standard.created, standard.at_risk_count, standard.breached_open_count) == (0, 2, 1, 0)
    assert [a.metric for a in standard.achievement] == ["first_response"]
    assert standard.all_clear is False  # T-5 is at risk
    agent = figures_for(day, parse_filter("agent:&lt;@U0AGENT02|bob&gt;"))
    assert (agent.breaches, agent.reopened) == (2, 1)
    assert figures_for(day, parse_filter("customer:ACME policy:premium")).created == 2


def test_a_quiet_period_is_all_clear_only_when_nothing_is_still_breached(day: Database) -> None:
    week_before = (START - timedelta(days=7), START - timedelta(days=6))
    with day.session() as session:
        quiet = compute(session, CONFIG.sla, *week_before, NOW, parse_filter("customer:initech"), LIMITS)
        still_breached = compute(session, CONFIG.sla, *week_before, NOW, parse_filter("customer:globex"), LIMITS)
    assert quiet.breaches == 0 and quiet.achievement == [] and quiet.at_risk_count == 1 and not quiet.all_clear
    assert still_breached.breaches == 0 and still_breached.breached_open_count == 1 and not still_breached.all_clear
    with day.session() as session:
        assert compute(session, CONFIG.sla, *week_before, START, parse_filter("customer:initech"), LIMITS).all_clear


def test_daily_series_follow_the_given_day_bounds(day: Database) -> None:
    with day.session() as session:
        series = daily(session, [MONDAY - timedelta(days=1), MONDAY, END])
    # Monday: four breaches; met: T-2's two clocks and T-1's first response.
    assert series == [(0, 0), (4, 3)]


@pytest.mark.parametrize(
    "text, problem",
    [("colour:red", "not a filter"), ("priority:P9", "not a priority"), ("agent:bob", "not a person")],
)
def test_a_bad_filter_says_what_is_wrong(text: str, problem: str) -> None:
    with pytest.raises(UsageError, match=problem):
        parse_filter(text)


def test_without_sla_policies_there_is_nothing_to_measure(day: Database) -> None:
    with day.session() as session:
        figures = compute(session, LiaisonConfig(queue_channel="C0QUEUE01").sla, START, END, NOW, Filter(), LIMITS)
    assert figures.at_risk_count == 0 and figures.created == 5
