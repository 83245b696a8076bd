"""iCalendar feeds for the on-call tests, written out as text the way PagerDuty exports a schedule.

`ACCEPTANCE` has every feature the importer must get right in one year (2027): weekly BYDAY rules in
America/New_York and Europe/Berlin across both DST changes, daily 12-hour shifts, EXDATE, RDATE (a date and a
period), RECURRENCE-ID moving a shift and changing its person, a cancelled instance, COUNT and UNTIL, a UTC
event, an all-day event, a floating event and overlapping shifts.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

TZ = ZoneInfo("America/New_York")
WINDOW = (datetime(2027, 1, 1, tzinfo=UTC), datetime(2028, 1, 1, tzinfo=UTC))

# Who is who: the emails PagerDuty puts in ATTENDEE, and their Slack user ids.
NAMES = {
    "alice": "Alice Smith",
    "bob": "Bob Jones",
    "carol": "Carol Weber",
    "dave": "Dave Fischer",
    "erin": "Erin Wagner",
    "frank": "Frank Becker",
    "grace": "Grace Hopper",
    "heidi": "Heidi Klum",
    "ivan": "Ivan Petrov",
    "judy": "Judy Garland",
    "mallory": "Mallory Knox",
}
PEOPLE = {f"{login}@example.com": f"U0{login.upper()}1" for login in NAMES} | {"mallory@example.com": "W0MALLORY"}

VTIMEZONES = """BEGIN:VTIMEZONE
TZID:America/New_York
BEGIN:DAYLIGHT
TZOFFSETFROM:-0500
TZOFFSETTO:-0400
TZNAME:EDT
DTSTART:19700308T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:-0400
TZOFFSETTO:-0500
TZNAME:EST
DTSTART:19701101T020000
RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU
END:STANDARD
END:VTIMEZONE
BEGIN:VTIMEZONE
TZID:Europe/Berlin
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
TZNAME:CEST
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
TZNAME:CET
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE
"""


def calendar(*events: str, timezones: str = VTIMEZONES) -> str:
    """A PagerDuty-style VCALENDAR around `events`, with CRLF line ends as RFC 5545 wants."""
    text = (
        "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//PagerDuty Inc.//PagerDuty Schedules//EN\nCALSCALE:GREGORIAN\n"
        "METHOD:PUBLISH\nX-WR-CALNAME:Support Primary\n" + timezones + "".join(events) + "END:VCALENDAR\n"
    )
    return text.replace("\n", "\r\n")


def event(uid: str, login: str | None, *lines: str, summary: str | None = None) -> str:
    """A VEVENT for `login` (None: no ATTENDEE), with `lines` giving its times and recurrence."""
    name = NAMES.get(login or "", login)
    body = [f"UID:{uid}@pagerduty.example.com", "DTSTAMP:20261201T000000Z", *lines]
    body.append(f"SUMMARY:{summary if summary is not None else f'On Call - {name} - Primary'}")
    if login is not None:
        body.append(f"ATTENDEE;CN={name};ROLE=REQ-PARTICIPANT:mailto:{login}@example.com")
    body.append(f"URL:https://example.pagerduty.com/schedules/P0SUPPORT#{uid}")
    return "BEGIN:VEVENT\n" + "\n".join(body) + "\nEND:VEVENT\n"


NY = "TZID=America/New_York"
BERLIN = "TZID=Europe/Berlin"

ACCEPTANCE = calendar(
    # Business hours in New York, Monday to Friday, for ever: holidays taken out, a Saturday added.
    event(
        "alice-weekdays",
        "alice",
        f"DTSTART;{NY}:20261201T090000",
        f"DTEND;{NY}:20261201T170000",
        "RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
        f"EXDATE;{NY}:20270705T090000,20271125T090000",
        f"RDATE;{NY}:20271127T090000",
    ),
    # That series' modified instances: one moved to 11:00-19:00, one handed to Bob, one cancelled.
    event(
        "alice-weekdays",
        "alice",
        f"RECURRENCE-ID;{NY}:20270310T090000",
        f"DTSTART;{NY}:20270310T110000",
        f"DTEND;{NY}:20270310T190000",
        "SEQUENCE:1",
    ),
    event(
        "alice-weekdays",
        "bob",
        f"RECURRENCE-ID;{NY}:20270616T090000",
        f"DTSTART;{NY}:20270616T090000",
        f"DTEND;{NY}:20270616T170000",
        "SEQUENCE:1",
    ),
    event(
        "alice-weekdays",
        "alice",
        f"RECURRENCE-ID;{NY}:20270820T090000",
        f"DTSTART;{NY}:20270820T090000",
        f"DTEND;{NY}:20270820T170000",
        "STATUS:CANCELLED",
        "SEQUENCE:1",
    ),
    # Berlin: three people in weekly turns from Monday 08:00, each every third week; Erin stops in October and
    # Frank takes her turns from then on.
    event(
        "berlin-carol",
        "carol",
        f"DTSTART;{BERLIN}:20270104T080000",
        f"DTEND;{BERLIN}:20270111T080000",
        "RRULE:FREQ=WEEKLY;INTERVAL=3;BYDAY=MO",
    ),
    event(
        "berlin-dave",
        "dave",
        f"DTSTART;{BERLIN}:20270111T080000",
        f"DTEND;{BERLIN}:20270118T080000",
        "RRULE:FREQ=WEEKLY;INTERVAL=3;BYDAY=MO",
    ),
    # Dave's week of 15 March moves to Tuesday noon until the next Monday noon, overlapping Erin's turn.
    event(
        "berlin-dave",
        "dave",
        f"RECURRENCE-ID;{BERLIN}:20270315T080000",
        f"DTSTART;{BERLIN}:20270316T120000",
        f"DTEND;{BERLIN}:20270322T120000",
        "SEQUENCE:2",
    ),
    event(
        "berlin-erin",
        "erin",
        f"DTSTART;{BERLIN}:20270118T080000",
        f"DTEND;{BERLIN}:20270125T080000",
        "RRULE:FREQ=WEEKLY;INTERVAL=3;BYDAY=MO;UNTIL=20271001T000000Z",
    ),
    event(
        "berlin-frank",
        "frank",
        f"DTSTART;{BERLIN}:20271018T080000",
        f"DTEND;{BERLIN}:20271025T080000",
        "RRULE:FREQ=WEEKLY;INTERVAL=3;BYDAY=MO",
        "RDATE;VALUE=PERIOD:20270704T140000Z/20270705T020000Z",
    ),
    # Daily 12-hour shifts in New York: Grace by day for 200 days (one cancelled), Heidi by night all year.
    event(
        "desk-day",
        "grace",
        f"DTSTART;{NY}:20270201T090000",
        f"DTEND;{NY}:20270201T210000",
        "RRULE:FREQ=DAILY;COUNT=200",
    ),
    event(
        "desk-day",
        "grace",
        f"RECURRENCE-ID;{NY}:20270501T090000",
        f"DTSTART;{NY}:20270501T090000",
        f"DTEND;{NY}:20270501T210000",
        "STATUS:CANCELLED",
    ),
    event(
        "desk-night",
        "heidi",
        f"DTSTART;{NY}:20270201T210000",
        f"DTEND;{NY}:20270202T090000",
        "RRULE:FREQ=DAILY;UNTIL=20271231T235959Z",
    ),
    # One-offs: a UTC override, an all-day holiday cover, and a floating (local time) cover.
    event("ivan-utc", "ivan", "DTSTART:20270415T120000Z", "DTEND:20270416T000000Z"),
    event("judy-holidays", "judy", "DTSTART;VALUE=DATE:20271224", "DTEND;VALUE=DATE:20271226"),
    event("mallory-floating", "mallory", "DTSTART:20270704T100000", "DTEND:20270704T140000"),
)
