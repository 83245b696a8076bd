"""Table tests for the SLA clocks: every rule of how they start, pause, stop and breach, read from the event log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.sla.clocks import BREACHED, MET, PAUSED, RUNNING, ClockState, Happening, TicketFacts, clocks
from bot.sla.policy import Match, Policy, PolicyBook, Target
from bot.tickets import rules

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
H = timedelta(hours=1)


class TwentyFourSeven:
    """A calendar where every second counts, so the arithmetic in these tables is plain subtraction."""

    name = "24/7"

    def add(self, start: datetime, duration: timedelta) -> datetime:
        return start + duration

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        return max(end - start, timedelta(0))

    def next_open(self, at: datetime) -> datetime:
        return at

    def is_open(self, at: datetime) -> bool:
        return True


ALWAYS = TwentyFourSeven()


def targets(first: float, nxt: float, resolution: float) -> dict[str, Target]:
    return {
        "first_response": Target("first_response", first * H, ALWAYS, False),
        "next_response": Target("next_response", nxt * H, ALWAYS, False),
        "resolution": Target(
            "resolution", resolution * H, ALWAYS, False, pause_statuses=frozenset({"pending", "on-hold"})
        ),
    }


BOOK = PolicyBook(
    (
        Policy("premium", Match(tiers=frozenset({"premium"})), {"P1": targets(1, 2, 4), "P2": targets(4, 8, 24)}),
        Policy("default", Match(), {p: targets(8, 8, 72) for p in rules.PRIORITIES}),
    )
)


def at(hours: float) -> datetime:
    return T0 + hours * H


def reply(hours: float) -> Happening:
    return Happening(rules.PUBLIC_REPLY, at(hours))


def note(hours: float) -> Happening:
    return Happening(rules.INTERNAL_NOTE, at(hours))


def customer(hours: float) -> Happening:
    return Happening(rules.CUSTOMER_MESSAGE, at(hours))


def status(hours: float, old: str, new: str) -> Happening:
    return Happening(rules.STATUS_CHANGE, at(hours), {"old": old, "new": new})


def priority(hours: float, old: str, new: str) -> Happening:
    return Happening(rules.PRIORITY_CHANGE, at(hours), {"old": old, "new": new})


def facts(*events: Happening, tier: str = "premium", prio: str = "P2", current: str = "open") -> TicketFacts:
    created = Happening(
        rules.CREATED,
        T0,
        {"priority": "P2" if prio != "P2" and any(e.kind == rules.PRIORITY_CHANGE for e in events) else prio},
    )
    return TicketFacts(T0, prio, current, tier, "command", "Acme", [created, *events])


def clock(f: TicketFacts, metric: str, now_hours: float) -> ClockState:
    found = [c for c in clocks(f, BOOK, at(now_hours)) if c.metric == metric]
    assert len(found) == 1, found
    return found[0]


def test_first_response_runs_from_creation_to_the_first_public_reply() -> None:
    c = clock(facts(reply(3)), "first_response", 5)
    assert (c.state, c.elapsed, c.stopped_at) == (MET, 3 * H, at(3))


def test_first_response_ignores_internal_notes_and_customer_messages() -> None:
    c = clock(facts(note(1), customer(2)), "first_response", 3)
    assert (c.state, c.deadline_at, c.elapsed) == (RUNNING, at(4), 3 * H)


def test_first_response_breaches_when_the_reply_is_late() -> None:
    c = clock(facts(reply(5)), "first_response", 6)
    assert (c.state, c.breached_at, c.stopped_at) == (BREACHED, at(4), at(5))


def test_first_response_never_restarts_on_reopen() -> None:
    f = facts(reply(1), status(2, "open", "solved"), status(3, "solved", "open"), customer(3.5))
    assert clock(f, "first_response", 4).state == MET


def test_first_response_pauses_nothing_while_pending() -> None:
    f = facts(status(1, "new", "pending"))
    c = clock(
        f,
        "first_response",
        2,
    )
    assert (c.state, c.deadline_at) == (RUNNING, at(4))


def test_next_response_runs_from_the_oldest_unanswered_customer_message() -> None:
    f = facts(reply(1), customer(2), customer(3))
    c = clock(f, "next_response", 4)
    assert (c.state, c.cycle, c.started_at, c.deadline_at) == (RUNNING, 1, at(2), at(10))


def test_each_wait_for_a_next_response_is_its_own_cycle() -> None:
    f = facts(reply(1), customer(2), reply(3), customer(5))
    c = clock(f, "next_response", 6)
    assert (c.cycle, c.started_at, c.elapsed) == (2, at(5), 1 * H)
    answered = clock(facts(reply(1), customer(2), reply(3)), "next_response", 6)
    assert (answered.state, answered.cycle, answered.elapsed) == (MET, 1, 1 * H)


def test_no_next_response_clock_before_the_first_reply() -> None:
    assert [c for c in clocks(facts(customer(1)), BOOK, at(2)) if c.metric == "next_response"] == []


def test_resolution_pauses_while_pending_and_on_hold() -> None:
    f = facts(status(1, "open", "pending"), status(3, "pending", "open"), status(5, "open", "on-hold"))
    paused = clock(f, "resolution", 6)
    assert (paused.state, paused.elapsed, paused.deadline_at) == (PAUSED, 3 * H, None)
    resumed = clock(facts(status(1, "open", "pending"), status(3, "pending", "open")), "resolution", 4)
    assert (resumed.state, resumed.deadline_at) == (RUNNING, at(24 + 2))


def test_resolution_survives_reopen_and_time_solved_counts_as_paused() -> None:
    f = facts(status(2, "open", "solved"), status(10, "solved", "open"))
    c = clock(f, "resolution", 11)
    assert (c.state, c.elapsed, c.deadline_at) == (RUNNING, 3 * H, at(10 + 22))
    solved = clock(
        facts(status(2, "open", "solved")),
        "resolution",
        30,
    )
    assert (solved.state, solved.stopped_at) == (MET, at(2))


def test_solved_stops_the_resolution_clock_with_the_solved_status() -> None:
    f = facts(status(2, "open", "solved"), current="solved")
    assert clock(f, "resolution", 3).state == MET


def test_priority_change_keeps_the_start_and_the_pauses() -> None:
    f = facts(status(1, "open", "pending"), status(2, "pending", "open"), priority(3, "P2", "P1"), prio="P1")
    c = clock(f, "resolution", 3)
    assert c.started_at == T0 and c.elapsed == 2 * H
    assert c.deadline_at == at(3 + 2)  # 4h target, 2h already counted


def test_priority_change_past_the_new_target_breaches_at_the_change() -> None:
    f = facts(priority(2, "P2", "P1"), prio="P1")
    c = clock(f, "first_response", 2.5)
    assert (c.state, c.breached_at) == (BREACHED, at(2))
    assert c.breach_reason == "the priority changed and the new target was already exceeded"


def test_policy_follows_the_tier_and_the_default_catches_the_rest() -> None:
    standard = clock(facts(tier="standard"), "first_response", 1)
    assert (standard.policy, standard.deadline_at) == ("default", at(8))
    premium = clock(facts(), "first_response", 1)
    assert (premium.policy, premium.deadline_at) == ("premium", at(4))


@pytest.mark.parametrize("metric", ["first_response", "resolution"])
def test_no_policy_means_no_clocks(metric: str) -> None:
    assert clocks(facts(), PolicyBook(()), at(1)) == []
