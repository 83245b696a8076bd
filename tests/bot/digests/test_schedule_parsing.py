"""Digest cadences and `/ticket stats` ranges as managers type them: parsing, describing, and the errors they say."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.digests.schedule import Cadence, parse_cadence, parse_range
from bot.errors import UsageError
from tests.bot.digests.schedule_times import NY, PARIS, TOKYO, H, local, utc

# --- parse_cadence ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cadence",
    [
        Cadence("daily", time(9), PARIS),
        Cadence("weekdays", time(17, 5), TOKYO),
        Cadence("weekly", time(8, 30), NY, weekday=0),
        Cadence("weekly", time(0), "UTC", weekday=6),
        Cadence("daily", time(23, 59), "America/Argentina/Buenos_Aires"),
    ],
)
def test_spec_parses_back_to_the_same_cadence(cadence: Cadence) -> None:
    assert parse_cadence(cadence.spec(), default_tz="Asia/Kolkata") == cadence


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("daily 09:00 Europe/Paris", Cadence("daily", time(9), PARIS)),
        ("weekly mon 08:30", Cadence("weekly", time(8, 30), "UTC", weekday=0)),
        ("weekly monday 8:30 America/New_York", Cadence("weekly", time(8, 30), NY, weekday=0)),
        ("  WEEKLY   Fri 17:00  ", Cadence("weekly", time(17), "UTC", weekday=4)),
        ("weekly thurs 07:15 Asia/Tokyo", Cadence("weekly", time(7, 15), TOKYO, weekday=3)),
        ("weekdays 17:00", Cadence("weekdays", time(17), "UTC")),
        ("daily 00:00 europe/paris", Cadence("daily", time(0), PARIS)),
    ],
)
def test_parse_cadence_reads_the_forms_managers_type(text: str, expected: Cadence) -> None:
    assert parse_cadence(text, default_tz="UTC") == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Say when to send the digest, for example `daily 09:00 Europe/Paris`."),
        (
            "hourly 09:00",
            "`hourly` is not a digest schedule; start with `daily`, `weekdays` or `weekly`, "
            "for example `weekly mon 08:30 America/New_York`.",
        ),
        ("weekly", "Say the weekday and the time, for example `weekly mon 08:30`."),
        ("weekly funday 08:30", "`funday` is not a weekday; use `mon` or `monday`, for example `weekly mon 08:30`."),
        ("weekly 08:30", "`08:30` is not a weekday; use `mon` or `monday`, for example `weekly mon 08:30`."),
        ("daily mon 09:00", "`daily` takes no weekday; for one day a week write for example `weekly mon 08:30`."),
        ("daily", "Say the time of day, for example `daily 09:00`."),
        ("weekly tue", "Say the time of day, for example `weekly tue 09:00`."),
        ("daily 25:00", "`25:00` is not a time of day; use 24-hour HH:MM, for example `daily 09:00`."),
        ("weekdays 9am", "`9am` is not a time of day; use 24-hour HH:MM, for example `weekdays 09:00`."),
        ("daily 09:60", "`09:60` is not a time of day; use 24-hour HH:MM, for example `daily 09:00`."),
        (
            "daily 09:00 Mars/Base",
            "`Mars/Base` is not a time zone; use an IANA name such as `Europe/Paris` or `America/New_York`.",
        ),
        (
            "daily 09:00 ../etc/passwd",
            "`../etc/passwd` is not a time zone; use an IANA name such as `Europe/Paris` or `America/New_York`.",
        ),
        (
            "daily 09:00 Europe/Paris please",
            "`please` is not part of a digest schedule; write it like `daily 09:00 Europe/Paris`.",
        ),
        (
            "daily <b>:00",
            "`&lt;b&gt;:00` is not a time of day; use 24-hour HH:MM, for example `daily 09:00`.",
        ),
    ],
)
def test_parse_cadence_says_what_is_wrong_with_an_example(text: str, message: str) -> None:
    with pytest.raises(UsageError) as raised:
        parse_cadence(text, default_tz="UTC")
    assert str(raised.value) == message


def test_parse_cadence_rejects_a_bad_default_zone_as_usage() -> None:
    with pytest.raises(UsageError, match="`Mars/Base` is not a time zone"):
        parse_cadence("daily 09:00", default_tz="Mars/Base")


@pytest.mark.parametrize(
    ("cadence", "text"),
    [
        (Cadence("daily", time(9), PARIS), "daily at 09:00 (Europe/Paris)"),
        (Cadence("weekly", time(8, 30), NY, weekday=0), "weekly on Monday at 08:30 (America/New_York)"),
        (Cadence("weekdays", time(9), TOKYO), "every weekday at 09:00 (Asia/Tokyo)"),
    ],
)
def test_describe_reads_as_a_sentence(cadence: Cadence, text: str) -> None:
    assert cadence.describe() == text


@pytest.mark.parametrize(
    "arguments",
    [
        ("hourly", time(9), PARIS, None),
        ("weekly", time(9), PARIS, None),
        ("weekly", time(9), PARIS, 7),
        ("daily", time(9), PARIS, 0),
        ("daily", time(9, 0, 30), PARIS, None),
        ("daily", time(9), "Mars/Base", None),
    ],
)
def test_a_cadence_built_wrongly_in_code_is_a_programming_error(arguments: tuple) -> None:
    with pytest.raises(ValueError):
        Cadence(*arguments)


# --- parse_range -------------------------------------------------------------------------------------------------

NOW = utc(2026, 11, 15, 12)  # 13:00 in Paris (CET)


@pytest.mark.parametrize(
    ("text", "start", "end", "label"),
    [
        ("", utc(2026, 11, 8, 12), NOW, "the last 7 days"),
        ("7d", utc(2026, 11, 8, 12), NOW, "the last 7 days"),
        (" 7D ", utc(2026, 11, 8, 12), NOW, "the last 7 days"),
        ("1d", utc(2026, 11, 14, 12), NOW, "the last day"),
        # 30 local days back is 16 October 13:00 CEST, before the fall-back: 30 days and an hour.
        ("30d", utc(2026, 10, 16, 11), NOW, "the last 30 days"),
        ("366d", utc(2025, 11, 14, 12), NOW, "the last 366 days"),
        ("today", utc(2026, 11, 14, 23), NOW, "today"),
        ("Yesterday", utc(2026, 11, 13, 23), utc(2026, 11, 14, 23), "yesterday"),
        ("2026-11-01..2026-11-30", utc(2026, 10, 31, 23), utc(2026, 11, 30, 23), "1–30 Nov 2026"),
        ("2026-11-01 .. 2026-11-30", utc(2026, 10, 31, 23), utc(2026, 11, 30, 23), "1–30 Nov 2026"),
        ("2026-11-05", utc(2026, 11, 4, 23), utc(2026, 11, 5, 23), "5 Nov 2026"),
        ("2026-11-05..2026-11-05", utc(2026, 11, 4, 23), utc(2026, 11, 5, 23), "5 Nov 2026"),
        # Paris midnight is 22:00 UTC in summer time and 23:00 in winter time.
        ("2026-10-20..2026-11-03", utc(2026, 10, 19, 22), utc(2026, 11, 3, 23), "20 Oct – 3 Nov 2026"),
        ("2025-12-28..2026-01-03", utc(2025, 12, 27, 23), utc(2026, 1, 3, 23), "28 Dec 2025 – 3 Jan 2026"),
        ("2026-01-01..2027-01-01", utc(2025, 12, 31, 23), utc(2027, 1, 1, 23), "1 Jan 2026 – 1 Jan 2027"),
    ],
)
def test_parse_range_forms_and_labels(text: str, start: datetime, end: datetime, label: str) -> None:
    assert parse_range(text, PARIS, NOW) == (start, end, label)


@pytest.mark.parametrize(
    ("zone", "now", "text", "hours"),
    [
        (PARIS, local(PARIS, 2026, 3, 30, 12), "yesterday", 23),
        (PARIS, local(PARIS, 2026, 10, 26, 12), "yesterday", 25),
        (NY, local(NY, 2026, 3, 9, 12), "yesterday", 23),
        (NY, local(NY, 2026, 11, 2, 12), "yesterday", 25),
        # Midnight to 23:00 local is 22 real hours when the clocks sprang forward that night, 24 when they fell back.
        (PARIS, local(PARIS, 2026, 3, 29, 23), "today", 22),
        (NY, local(NY, 2026, 11, 1, 23), "today", 24),
        (PARIS, local(PARIS, 2026, 3, 30, 12), "2026-03-29", 23),
    ],
)
def test_local_days_are_as_long_as_the_clocks_say(zone: str, now: datetime, text: str, hours: int) -> None:
    start, end, _ = parse_range(text, zone, now)
    assert end - start == hours * H


def test_parse_range_answers_in_utc() -> None:
    start, end, _ = parse_range("today", TOKYO, datetime(2026, 11, 15, 21, tzinfo=ZoneInfo(NY)))
    assert (start, end) == (utc(2026, 11, 15, 15), utc(2026, 11, 16, 2))
    assert start.tzinfo is UTC and end.tzinfo is UTC


FORMS = "use `today`, `yesterday`, a number of days such as `30d` (1 to 366), or dates such as `2026-11-01..2026-11-30`"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("last week", f"`last week` is not a range; {FORMS}."),
        ("2026-11-01..", f"`2026-11-01..` is not a range; {FORMS}."),
        ("01/11/2026", f"`01/11/2026` is not a range; {FORMS}."),
        ("0d", "`0d` is out of range; count 1 to 366 days, for example `30d`."),
        ("367d", "`367d` is out of range; count 1 to 366 days, for example `30d`."),
        ("2026-02-30", "`2026-02-30` is not a date; write dates as YYYY-MM-DD, for example `2026-11-01`."),
        (
            "2026-11-30..2026-11-01",
            "`2026-11-30..2026-11-01` ends before it starts; put the earlier date first, "
            "for example `2026-11-01..2026-11-30`.",
        ),
        (
            "2026-01-01..2027-01-02",
            "`2026-01-01..2027-01-02` covers 367 days; a range can cover at most 366, "
            "for example `2026-01-01..2026-12-31`.",
        ),
    ],
)
def test_parse_range_says_which_forms_it_accepts(text: str, message: str) -> None:
    with pytest.raises(UsageError) as raised:
        parse_range(text, PARIS, NOW)
    assert str(raised.value) == message


def test_parse_range_rejects_an_unknown_zone_as_usage() -> None:
    with pytest.raises(UsageError, match="`Mars/Base` is not a time zone"):
        parse_range("7d", "Mars/Base", NOW)
