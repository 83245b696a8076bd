"""Schedules: the highest layer with someone wins, overrides beat layers, and segments say who is on when."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.oncall.feed import FeedLayer
from bot.oncall.rotation import Rotation
from bot.oncall.schedule import LOOK_LIMIT, Override, Schedule, ScheduleError, Segment

NEW_YORK = ZoneInfo("America/New_York")
ALICE, BOB, CAROL, DAVE, ERIN = "U0ALICE1", "U0BOB1", "U0CAROL1", "U0DAVE1", "W0ERIN1"
WINDOW = (datetime(2027, 1, 1, tzinfo=UTC), datetime(2028, 1, 1, tzinfo=UTC))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def daily(*users: str, hour: int = 9) -> Rotation:
    """Users taking daily turns at `hour` New York time, the first from Monday 4 January 2027."""
    return Rotation(
        name="primary", users=users, timezone=NEW_YORK, start=datetime(2027, 1, 4, hour), length=timedelta(days=1)
    )


def fixed(*shifts: tuple[str, datetime, datetime], name: str = "cover") -> FeedLayer:
    """A layer with exactly these shifts, as an imported feed would have them."""
    return FeedLayer(name, [(start, end, user) for user, start, end in shifts], window=WINDOW, timezone=NEW_YORK)


def schedule(*layers, overrides: tuple[Override, ...] = ()) -> Schedule:
    return Schedule(name="support", timezone=NEW_YORK, layers=layers, overrides=overrides)


def test_the_highest_layer_with_someone_on_call_wins() -> None:
    cover = fixed((CAROL, utc(2027, 1, 5, 16), utc(2027, 1, 5, 18)))
    both = schedule(daily(ALICE, BOB), cover)
    assert both.on_call(utc(2027, 1, 5, 15)) == (BOB,)
    assert both.on_call(utc(2027, 1, 5, 16)) == (CAROL,)
    assert both.on_call(utc(2027, 1, 5, 18)) == (BOB,)


def test_an_empty_higher_layer_lets_the_lower_ones_show_through() -> None:
    assert schedule(daily(ALICE, BOB), fixed()).on_call(utc(2027, 1, 4, 15)) == (ALICE,)


def test_a_layer_with_two_people_on_call_puts_both_on_call() -> None:
    pair = fixed((CAROL, utc(2027, 1, 5, 16), utc(2027, 1, 5, 18)), (DAVE, utc(2027, 1, 5, 17), utc(2027, 1, 5, 19)))
    assert schedule(daily(ALICE), pair).on_call(utc(2027, 1, 5, 17, 30)) == (CAROL, DAVE)


def test_nobody_on_call_is_the_empty_tuple() -> None:
    assert schedule(fixed()).on_call(utc(2027, 6, 1)) == ()
    assert schedule(fixed()).segments(utc(2027, 6, 1), utc(2027, 6, 2)) == [
        Segment(utc(2027, 6, 1), utc(2027, 6, 2), (), False)
    ]


def test_an_override_beats_every_layer_while_it_lasts() -> None:
    cover = fixed((CAROL, utc(2027, 1, 5, 16), utc(2027, 1, 5, 18)))
    swap = Override(DAVE, utc(2027, 1, 5, 17), utc(2027, 1, 5, 20), id=7)
    plan = schedule(daily(ALICE, BOB), cover, overrides=(swap,))
    assert [plan.on_call(utc(2027, 1, 5, hour)) for hour in (16, 17, 19, 20)] == [(CAROL,), (DAVE,), (DAVE,), (BOB,)]


def test_of_overlapping_overrides_the_one_listed_last_wins() -> None:
    first = Override(CAROL, utc(2027, 1, 5, 10), utc(2027, 1, 5, 20))
    second = Override(DAVE, utc(2027, 1, 5, 12), utc(2027, 1, 5, 14))
    plan = schedule(daily(ALICE), overrides=(first, second))
    assert [plan.on_call(utc(2027, 1, 5, hour)) for hour in (11, 12, 13, 14)] == [(CAROL,), (DAVE,), (DAVE,), (CAROL,)]
    assert schedule(daily(ALICE), overrides=(second, first)).on_call(utc(2027, 1, 5, 13)) == (CAROL,)


def test_segments_are_cut_at_hand_offs_and_overrides_and_merge_when_nothing_changes() -> None:
    # Alice and Alice again across the daily hand-off (one person) merge; Bob's cover and the override do not.
    cover = fixed((BOB, utc(2027, 1, 5, 16), utc(2027, 1, 5, 18)), (BOB, utc(2027, 1, 5, 18), utc(2027, 1, 5, 19)))
    swap = Override(ALICE, utc(2027, 1, 5, 20), utc(2027, 1, 5, 21))
    plan = schedule(daily(ALICE), cover, overrides=(swap,))
    assert plan.segments(utc(2027, 1, 4, 12), utc(2027, 1, 6, 12)) == [
        Segment(utc(2027, 1, 4, 12), utc(2027, 1, 5, 16), (ALICE,), False),
        Segment(utc(2027, 1, 5, 16), utc(2027, 1, 5, 19), (BOB,), False),
        Segment(utc(2027, 1, 5, 19), utc(2027, 1, 5, 20), (ALICE,), False),
        Segment(utc(2027, 1, 5, 20), utc(2027, 1, 5, 21), (ALICE,), True),
        Segment(utc(2027, 1, 5, 21), utc(2027, 1, 6, 12), (ALICE,), False),
    ]
    assert plan.segments(utc(2027, 1, 5), utc(2027, 1, 5)) == []


def test_current_and_next_give_the_whole_current_segment_and_the_one_after() -> None:
    plan = schedule(daily(ALICE, BOB), fixed((CAROL, utc(2027, 1, 5, 16), utc(2027, 1, 5, 18))))
    current, following = plan.current_and_next(utc(2027, 1, 5, 15))
    assert current == Segment(utc(2027, 1, 5, 14), utc(2027, 1, 5, 16), (BOB,), False)
    assert following == Segment(utc(2027, 1, 5, 16), utc(2027, 1, 5, 18), (CAROL,), False)
    # At a hand-off instant the incoming segment is the current one.
    current, following = plan.current_and_next(utc(2027, 1, 5, 18))
    assert current == Segment(utc(2027, 1, 5, 18), utc(2027, 1, 6, 14), (BOB,), False)
    assert following == Segment(utc(2027, 1, 6, 14), utc(2027, 1, 7, 14), (ALICE,), False)


def test_current_and_next_look_no_further_than_the_limit() -> None:
    at = utc(2027, 6, 1)
    current, following = schedule(daily(ALICE)).current_and_next(at)
    assert (current, following) == (Segment(at - LOOK_LIMIT, at + LOOK_LIMIT, (ALICE,), False), None)
    # A change 50 days ahead is found, and the segment after it is cut at the horizon.
    far = fixed((BOB, at + timedelta(days=50), at + timedelta(days=100)))
    current, following = schedule(daily(ALICE), far).current_and_next(at)
    assert current.end == at + timedelta(days=50)
    assert following == Segment(at + timedelta(days=50), at + LOOK_LIMIT, (BOB,), False)


def test_with_overrides_gives_a_new_schedule_and_leaves_the_old_one_alone() -> None:
    plan = schedule(daily(ALICE))
    swap = Override(BOB, utc(2027, 1, 5), utc(2027, 1, 6))
    changed = plan.with_overrides([swap])
    assert changed.overrides == (swap,) and plan.overrides == ()
    assert (changed.on_call(utc(2027, 1, 5, 12)), plan.on_call(utc(2027, 1, 5, 12))) == ((BOB,), (ALICE,))


def test_overrides_keep_their_instants_in_utc_and_refuse_what_cannot_work() -> None:
    swap = Override(BOB, datetime(2027, 1, 5, 9, tzinfo=NEW_YORK), datetime(2027, 1, 5, 17, tzinfo=NEW_YORK))
    assert (swap.start, swap.end) == (utc(2027, 1, 5, 14), utc(2027, 1, 5, 22))
    with pytest.raises(ScheduleError, match="override 3: 'bob' is not a Slack user id"):
        Override("bob", utc(2027, 1, 5), utc(2027, 1, 6), id=3)
    with pytest.raises(ScheduleError, match="ends at 2027-01-05T00:00:00\\+00:00, not after its start"):
        Override(BOB, utc(2027, 1, 5), utc(2027, 1, 5))
    with pytest.raises(ValueError, match="override start must be timezone-aware"):
        Override(BOB, datetime(2027, 1, 5), utc(2027, 1, 6))


def test_a_schedule_needs_a_layer_a_zone_and_real_overrides() -> None:
    with pytest.raises(ScheduleError, match="schedule 'support' has no layer"):
        schedule()
    with pytest.raises(ScheduleError, match="timezone must be a ZoneInfo"):
        Schedule(name="support", timezone="UTC", layers=(daily(ALICE),))  # type: ignore[arg-type]
    with pytest.raises(ScheduleError, match="is not an Override"):
        schedule(daily(ALICE), overrides=("U0BOB1",))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at must be timezone-aware"):
        schedule(daily(ALICE)).on_call(datetime(2027, 1, 5))


INSTANTS = st.datetimes(min_value=datetime(2027, 1, 1), max_value=datetime(2027, 12, 1), timezones=st.just(UTC))


@settings(max_examples=100, deadline=None)
@given(
    start=INSTANTS,
    hours=st.integers(min_value=1, max_value=24 * 20),
    covers=st.lists(st.tuples(INSTANTS, st.integers(1, 72)), max_size=6),
    swaps=st.lists(st.tuples(INSTANTS, st.integers(1, 48)), max_size=4),
    probes=st.lists(st.floats(min_value=0, max_value=1, exclude_max=True), min_size=1, max_size=10),
)
def test_segments_tile_the_span_and_agree_with_on_call_everywhere(start, hours, covers, swaps, probes) -> None:
    layer = fixed(*((CAROL if i % 2 else DAVE, s, s + timedelta(hours=h)) for i, (s, h) in enumerate(covers)))
    overrides = tuple(Override(ERIN if i % 2 else BOB, s, s + timedelta(hours=h)) for i, (s, h) in enumerate(swaps))
    plan = schedule(
        Rotation("night", (ALICE, BOB), NEW_YORK, datetime(2027, 1, 1, 21), timedelta(hours=12)),
        layer,
        overrides=overrides,
    )
    end = start + timedelta(hours=hours)
    segments = plan.segments(start, end)
    assert segments[0].start == start and segments[-1].end == end
    for before, after in zip(segments, segments[1:], strict=False):
        assert before.end == after.start and (before.users, before.overridden) != (after.users, after.overridden)
    for fraction in probes:
        total = (end - start) // timedelta(microseconds=1)
        # Floats near 1 round up to the whole span; the span is half-open, so stay inside it.
        instant = start + timedelta(microseconds=min(int(total * fraction), total - 1))
        [segment] = [s for s in segments if s.start <= instant < s.end]
        assert segment.users == plan.on_call(instant)
