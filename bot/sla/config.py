"""The `[calendars]` and `[sla]` parts of the policy file, read into calendars and an ordered PolicyBook.

Every mistake raises ConfigError naming the key and the reason, so start-up stops with a sentence.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, time, timedelta
from typing import Any

from bot.errors import ConfigError
from bot.sla.calendar import AlwaysOpen, BusinessCalendar, Calendar, CalendarError, Window
from bot.sla.policy import DEFAULT_PAUSES, METRICS, LadderStep, Match, Policy, PolicyBook, Target
from bot.tickets import rules

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DURATION = re.compile(r"^\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?\s*(?:(\d+)\s*s)?\s*$")
WINDOW = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?\s*-\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*(\+1)?$")
ALWAYS = "24/7"


def parse_duration(text: Any, key: str) -> timedelta:
    """'90m', '2h', '1h30m', '1d', '45s' → timedelta (a day is 24 hours of the target's clock)."""
    match = DURATION.match(str(text)) if isinstance(text, str) and text.strip() else None
    if not match or not any(match.groups()):
        raise ConfigError(f"{key}: {text!r} is not a duration; write it like '30m', '4h', '1h30m' or '2d'.")
    d, h, m, s = (int(g or 0) for g in match.groups())
    value = timedelta(days=d, hours=h, minutes=m, seconds=s)
    if value <= timedelta(0):
        raise ConfigError(f"{key}: the duration must be more than zero.")
    return value


def parse_calendars(data: Mapping[str, Any]) -> dict[str, Calendar]:
    calendars: dict[str, Calendar] = {ALWAYS: AlwaysOpen()}
    for name, table in data.items():
        key = f"calendars.{name}"
        if not isinstance(table, dict):
            raise ConfigError(f"{key} must be a table.")
        zone = table.get("timezone")
        if not isinstance(zone, str):
            raise ConfigError(f"{key}.timezone is required: an IANA time zone such as 'America/New_York'.")
        weekly: dict[int, list[Window]] = {day: [] for day in range(7)}
        for day, windows in _days(table, key).items():
            weekly[day] = [_window(text, f"{key}.{DAYS[day]}") for text in windows]
        try:
            calendars[name] = BusinessCalendar(
                name,
                zone,
                weekly,
                country=table.get("country"),
                subdivision=table.get("subdivision"),
                closed_dates=[_date(d, f"{key}.closed") for d in table.get("closed", [])],
                partial_closures={
                    _date(d, f"{key}.partial"): [_span(text, f"{key}.partial.{d}") for text in spans]
                    for d, spans in table.get("partial", {}).items()
                },
            )
        except CalendarError as error:
            raise ConfigError(f"{key}: {error}") from error
    return calendars


def parse_policies(data: Mapping[str, Any], calendars: Mapping[str, Calendar]) -> PolicyBook:
    policies: list[Policy] = []
    seen: set[str] = set()
    for index, table in enumerate(data.get("policies", [])):
        name = table.get("name") if isinstance(table, dict) else None
        key = f"sla.policies[{index}]"
        if not isinstance(name, str) or not name:
            raise ConfigError(f"{key}.name is required.")
        key = f"sla.policies.{name}"
        if name in seen:
            raise ConfigError(f"{key}: the policy name {name!r} is used twice; names must be unique.")
        seen.add(name)
        if policies and policies[-1].match == Match():
            raise ConfigError(f"{key} can never match: policy {policies[-1].name!r} before it matches every ticket.")
        targets = table.get("targets")
        if not isinstance(targets, dict) or not targets:
            raise ConfigError(f"{key}.targets is required: targets per priority, e.g. [sla.policies.targets.P1].")
        by_priority: dict[str, dict[str, Target]] = {}
        for priority, metrics in targets.items():
            if priority not in rules.PRIORITIES:
                raise ConfigError(f"{key}.targets.{priority}: not a priority; use P1, P2, P3 or P4.")
            by_priority[priority] = {
                metric: _target(metric, spec, f"{key}.targets.{priority}.{metric}", calendars)
                for metric, spec in metrics.items()
            }
        policies.append(Policy(name, _match(table.get("match", {}), key), by_priority))
    return PolicyBook(tuple(policies))


def _target(metric: str, spec: Any, key: str, calendars: Mapping[str, Calendar]) -> Target:
    if metric not in METRICS:
        raise ConfigError(f"{key}: unknown metric; use {', '.join(METRICS)}.")
    if not isinstance(spec, dict):
        raise ConfigError(f'{key} must be a table such as {{ duration = "4h", calendar = "support" }}.')
    if "duration" not in spec:
        raise ConfigError(f"{key}.duration is required: how long the team has, e.g. '4h'.")
    calendar_name = spec.get("calendar", ALWAYS)
    if calendar_name not in calendars:
        raise ConfigError(f"{key}.calendar: no calendar named {calendar_name!r} (define it under [calendars]).")
    pauses = spec.get("pause", sorted(DEFAULT_PAUSES[metric]))
    unknown = [s for s in pauses if s not in rules.STATUSES]
    if unknown:
        raise ConfigError(f"{key}.pause: {unknown[0]!r} is not a status; use {', '.join(rules.STATUSES)}.")
    percents = spec.get("warn_percent", [75])
    if not all(isinstance(p, int) and 0 < p < 100 for p in percents):
        raise ConfigError(f"{key}.warn_percent: percentages of the target between 1 and 99, e.g. [50, 75].")
    repeat = spec.get("repeat_every")
    return Target(
        metric=metric,
        duration=parse_duration(spec["duration"], f"{key}.duration"),
        calendar=calendars[calendar_name],
        business_hours=calendar_name != ALWAYS,
        pause_statuses=frozenset(pauses),
        warn_percent=tuple(sorted(percents)),
        warn_before=tuple(parse_duration(d, f"{key}.warn_before") for d in spec.get("warn_before", [])),
        alert_channel=spec.get("alert_channel"),
        repeat_every=parse_duration(repeat, f"{key}.repeat_every") if repeat is not None else None,
        ladder=tuple(_ladder_step(step, f"{key}.ladder[{i}]") for i, step in enumerate(_list(spec, "ladder", key))),
    )


def _list(spec: dict[str, Any], name: str, key: str) -> list[Any]:
    value = spec.get(name, [])
    if not isinstance(value, list):
        raise ConfigError(f"{key}.{name} must be a list.")
    return value


def _ladder_step(spec: Any, key: str) -> LadderStep:
    if not isinstance(spec, dict):
        raise ConfigError(f'{key} must be a table such as {{ after = "30m", page = "support" }}.')
    after = spec.get("after", "0s")
    delay = timedelta(0) if after in ("0", "0s", "0m") else parse_duration(after, f"{key}.after")
    notify = _list(spec, "notify", key)
    if not all(isinstance(n, str) and n for n in notify):
        raise ConfigError(f'{key}.notify: "assignee", "channel", Slack user ids or schedule names.')
    page = spec.get("page")
    if page is not None and not isinstance(page, str):
        raise ConfigError(f"{key}.page: the name of an escalation policy.")
    if not notify and page is None:
        raise ConfigError(f"{key}: a step notifies someone (notify) or pages a policy (page), or both.")
    return LadderStep(delay, tuple(notify), page)


def _match(table: Any, key: str) -> Match:
    if not isinstance(table, dict):
        raise ConfigError(f'{key}.match must be a table such as {{ tiers = ["premium"] }}.')
    unknown = set(table) - {"tiers", "priorities", "sources", "customers"}
    if unknown:
        raise ConfigError(
            f"{key}.match.{sorted(unknown)[0]}: unknown condition; use tiers, priorities, sources, customers."
        )
    return Match(
        tiers=frozenset(table.get("tiers", [])),
        priorities=frozenset(table.get("priorities", [])),
        sources=frozenset(table.get("sources", [])),
        customers=frozenset(c.lower() for c in table.get("customers", [])),
    )


def _days(table: Mapping[str, Any], key: str) -> dict[int, list[str]]:
    days: dict[int, list[str]] = {}
    if "weekdays" in table:
        days.update({day: list(table["weekdays"]) for day in range(5)})
    for day, name in enumerate(DAYS):
        if name in table:
            days[day] = list(table[name])
    if not days:
        raise ConfigError(f'{key} has no working time: give windows such as weekdays = ["09:00-17:00"].')
    return days


def _window(text: Any, key: str) -> Window:
    match = WINDOW.match(str(text).strip())
    if not match:
        raise ConfigError(f"{key}: {text!r} is not a window; write '09:00-17:00', or '22:00-06:00+1' overnight.")
    start, end = _time(*match.groups()[0:3], key), _time(*match.groups()[3:6], key)
    try:
        return Window(start, end, overnight=bool(match.group(7)))
    except CalendarError as error:
        raise ConfigError(f"{key}: {error}") from error


def _span(text: Any, key: str) -> tuple[time, time]:
    window = _window(text, key)
    return window.start, window.end


def _time(hours: str, minutes: str, seconds: str | None, key: str) -> time:
    h, m, s = int(hours), int(minutes), int(seconds or 0)
    if h == 24 and m == 0 and s == 0:
        return time(0)
    if h > 23 or m > 59 or s > 59:
        raise ConfigError(f"{key}: {hours}:{minutes} is not a time of day.")
    return time(h, m, s)


def _date(text: Any, key: str) -> date:
    try:
        return text if isinstance(text, date) else date.fromisoformat(str(text))
    except ValueError:
        raise ConfigError(f"{key}: {text!r} is not a date; write it as YYYY-MM-DD.") from None
