"""The command line of `python -m bench`: its options and their defaults, their checks, and which suites to run."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from bench import (
    digest_bench,
    events_bench,
    oncall_bench,
    paging_bench,
    routing_bench,
    shipped_latency,
    sla_bench,
)
from bench.backlog import DEFAULT_MESSAGES
from bench.http_latency import DEFAULT_REQUESTS, DEFAULT_WARMUP
from bench.sla_data import DEFAULT_POSTGRES
from bench.sla_lateness import DEFAULT_RATE, DEFAULT_SECONDS

# The first line of bench/__main__.py's docstring: `--help` shows it.
DESCRIPTION = (
    "`python -m bench`: run the benchmark suites and print their tables; `--suite` picks one (default: all of them)."
)
SUITES = ("http", "shipped", "calendar", "sla", "oncall", "paging", "digest", "routing", "events")
# Each suite's own options and their defaults. Without --suite, giving only one suite's options runs just that
# suite, so `python -m bench --requests 2000` still times HTTP only, as it did before there were other suites.
DEFAULTS: dict[str, dict[str, object]] = {
    "http": {"requests": DEFAULT_REQUESTS, "warmup": DEFAULT_WARMUP, "database_url": None, "no_drain": False},
    "shipped": {
        "shipped_requests": shipped_latency.DEFAULT_REQUESTS,
        "shipped_warmup": shipped_latency.DEFAULT_WARMUP,
        "shipped_databases": list(shipped_latency.DATABASES),
        "backlog": DEFAULT_MESSAGES,
    },
    "sla": {
        "sla_sizes": list(sla_bench.DEFAULT_SIZES),
        "sla_due": sla_bench.DEFAULT_DUE,
        "sla_rounds": sla_bench.DEFAULT_ROUNDS,
        "sla_breach": sla_bench.DEFAULT_BREACH,
        "sla_databases": list(sla_bench.DATABASES),
        "sla_postgres_url": DEFAULT_POSTGRES,
        "sla_rate": DEFAULT_RATE,
        "sla_seconds": DEFAULT_SECONDS,
        "sla_plans": False,
    },
    "oncall": {"oncall_instants": oncall_bench.DEFAULT_INSTANTS, "oncall_baseline": oncall_bench.DEFAULT_BASELINE},
    "paging": {
        "paging_targets": paging_bench.DEFAULT_TARGETS,
        "paging_latencies": [seconds * 1000 for seconds in paging_bench.DEFAULT_LATENCIES],
        "paging_databases": list(paging_bench.DATABASES),
        "paging_postgres_url": DEFAULT_POSTGRES,
    },
    "digest": {
        "digest_tickets": digest_bench.DEFAULT_TICKETS,
        "digest_period": digest_bench.DEFAULT_PERIOD,
        "digest_rounds": digest_bench.DEFAULT_ROUNDS,
        "digest_databases": list(digest_bench.DATABASES),
        "digest_postgres_url": DEFAULT_POSTGRES,
    },
    "routing": {
        "routing_agents": routing_bench.DEFAULT_AGENTS,
        "routing_tickets": routing_bench.DEFAULT_TICKETS,
        "routing_rounds": routing_bench.DEFAULT_ROUNDS,
        "routing_databases": list(routing_bench.DATABASES),
        "routing_postgres_url": DEFAULT_POSTGRES,
    },
    "events": {"events_requests": events_bench.DEFAULT_REQUESTS, "events_warmup": events_bench.DEFAULT_WARMUP},
}


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"not a comma-separated list of counts: {text!r}") from error
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError("sizes must be positive counts, e.g. 10000,1000000")
    return sizes


def _databases(text: str) -> list[str]:
    names = [part.strip() for part in text.split(",") if part.strip()]
    unknown = set(names) - set(sla_bench.DATABASES)
    if not names or unknown:
        raise argparse.ArgumentTypeError(f"databases are sqlite and/or postgresql, got {text!r}")
    return names


def _milliseconds(text: str) -> list[float]:
    try:
        values = [float(part) for part in text.split(",") if part.strip()]
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"not a comma-separated list of milliseconds: {text!r}") from error
    if not values or min(values) < 0:
        raise argparse.ArgumentTypeError("latencies are milliseconds, 0 or more, e.g. 0,100")
    return values


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=DESCRIPTION)
    parser.add_argument(
        "--suite",
        choices=[*SUITES, "all"],
        default=None,
        help="which suite to run (default: all; without --suite, giving a suite's own options runs just that suite)",
    )
    http = parser.add_argument_group("http suite")
    http.add_argument(
        "--requests", type=int, default=None, help=f"timed rounds per workload (default {DEFAULT_REQUESTS})"
    )
    http.add_argument("--warmup", type=int, default=None, help=f"untimed rounds first (default {DEFAULT_WARMUP})")
    http.add_argument(
        "--database-url",
        default=None,
        help="a database to migrate and use (default: a fresh SQLite file in a temp dir); tickets are added to it",
    )
    http.add_argument("--no-drain", action="store_true", default=None, help="skip timing the outbox drain at the end")
    shipped = parser.add_argument_group("shipped suite (also uses --database-url: a SQLite or PostgreSQL database)")
    shipped.add_argument(
        "--shipped-requests",
        type=int,
        default=None,
        help=f"timed requests per app and workload (default {shipped_latency.DEFAULT_REQUESTS})",
    )
    shipped.add_argument(
        "--shipped-warmup",
        type=int,
        default=None,
        help=f"untimed requests first (default {shipped_latency.DEFAULT_WARMUP})",
    )
    shipped.add_argument(
        "--shipped-databases",
        type=_databases,
        default=None,
        help="sqlite,postgresql (default both; PostgreSQL is skipped when not reachable)",
    )
    shipped.add_argument(
        "--backlog",
        type=int,
        default=None,
        help=f"messages queued during the outage, 0 for none (default {DEFAULT_MESSAGES})",
    )
    sla = parser.add_argument_group("sla suite")
    sla.add_argument(
        "--sla-sizes",
        type=_sizes,
        default=None,
        help="open tickets per sweep run, comma-separated (default 10000,1000000)",
    )
    sla.add_argument(
        "--sla-due", type=int, default=None, help=f"due timers swept per round (default {sla_bench.DEFAULT_DUE})"
    )
    sla.add_argument(
        "--sla-rounds", type=int, default=None, help=f"timed sweep rounds per size (default {sla_bench.DEFAULT_ROUNDS})"
    )
    sla.add_argument(
        "--sla-breach",
        type=int,
        default=None,
        help=f"BREACH timers swept once per size after the rounds, 0 for none (default {sla_bench.DEFAULT_BREACH})",
    )
    sla.add_argument(
        "--sla-databases",
        type=_databases,
        default=None,
        help="sqlite,postgresql (default both; PostgreSQL is skipped when not reachable)",
    )
    sla.add_argument(
        "--sla-postgres-url",
        default=None,
        help=f"a PostgreSQL server to create (and drop) a private database on (default {DEFAULT_POSTGRES})",
    )
    sla.add_argument(
        "--sla-rate", type=float, default=None, help=f"timers falling due per second (default {DEFAULT_RATE:g})"
    )
    sla.add_argument(
        "--sla-seconds", type=float, default=None, help=f"for how long timers fall due (default {DEFAULT_SECONDS:g})"
    )
    sla.add_argument(
        "--sla-plans", action="store_true", default=None, help="also print the plan of every statement the sweep ran"
    )
    oncall = parser.add_argument_group("oncall suite")
    oncall.add_argument(
        "--oncall-instants",
        type=int,
        default=None,
        help=f"random instants of 2027 Liaison answers (default {oncall_bench.DEFAULT_INSTANTS})",
    )
    oncall.add_argument(
        "--oncall-baseline",
        type=int,
        default=None,
        help=f"of those, how many recurring-ical-events answers too (default {oncall_bench.DEFAULT_BASELINE})",
    )
    paging = parser.add_argument_group("paging suite")
    paging.add_argument(
        "--paging-targets",
        type=int,
        default=None,
        help=f"people the one page reaches (default {paging_bench.DEFAULT_TARGETS})",
    )
    paging.add_argument(
        "--paging-latencies",
        type=_milliseconds,
        default=None,
        help="the stand-in's latency per call in ms, comma-separated, one run each (default 0,100)",
    )
    paging.add_argument(
        "--paging-databases",
        type=_databases,
        default=None,
        help="sqlite,postgresql (default both; PostgreSQL is skipped when not reachable)",
    )
    paging.add_argument(
        "--paging-postgres-url",
        default=None,
        help=f"a PostgreSQL server to create (and drop) a private database on (default {DEFAULT_POSTGRES})",
    )
    digest = parser.add_argument_group("digest suite")
    digest.add_argument(
        "--digest-tickets",
        type=int,
        default=None,
        help=f"tickets generated, created over a year (default {digest_bench.DEFAULT_TICKETS:,})",
    )
    digest.add_argument(
        "--digest-period",
        type=int,
        default=None,
        help=f"of those, created in the 7-day period measured (default {digest_bench.DEFAULT_PERIOD:,})",
    )
    digest.add_argument(
        "--digest-rounds",
        type=int,
        default=None,
        help=f"timed rounds per workload (default {digest_bench.DEFAULT_ROUNDS})",
    )
    digest.add_argument(
        "--digest-databases",
        type=_databases,
        nargs="+",
        default=None,
        help="sqlite and/or postgresql, by spaces or commas (default both; PostgreSQL is skipped when not reachable)",
    )
    digest.add_argument(
        "--digest-postgres-url",
        default=None,
        help=f"a PostgreSQL server to create (and drop) a private database on, or a database of its own to rebuild "
        f"(default {DEFAULT_POSTGRES})",
    )
    routing = parser.add_argument_group("routing suite")
    routing.add_argument(
        "--routing-agents",
        type=int,
        default=None,
        help=f"agents in [routing] (default {routing_bench.DEFAULT_AGENTS})",
    )
    routing.add_argument(
        "--routing-tickets",
        type=int,
        default=None,
        help=f"open tickets, one in 25 unassigned (default {routing_bench.DEFAULT_TICKETS:,})",
    )
    routing.add_argument(
        "--routing-rounds",
        type=int,
        default=None,
        help=f"timed decisions (default {routing_bench.DEFAULT_ROUNDS:,}; the baseline decides one in 10)",
    )
    routing.add_argument(
        "--routing-databases",
        type=_databases,
        nargs="+",
        default=None,
        help="sqlite and/or postgresql, by spaces or commas (default both; PostgreSQL is skipped when not reachable)",
    )
    routing.add_argument(
        "--routing-postgres-url",
        default=None,
        help=f"a PostgreSQL server to create (and drop) a private database on, or a database of its own to rebuild "
        f"(default {DEFAULT_POSTGRES})",
    )
    events = parser.add_argument_group("events suite")
    events.add_argument(
        "--events-requests",
        type=int,
        default=None,
        help=f"timed rounds per workload (default {events_bench.DEFAULT_REQUESTS})",
    )
    events.add_argument(
        "--events-warmup",
        type=int,
        default=None,
        help=f"untimed rounds first (default {events_bench.DEFAULT_WARMUP})",
    )
    args = parser.parse_args(argv)
    for name in ("digest_databases", "routing_databases"):  # nargs="+" of comma-separated lists: one list
        if getattr(args, name) is not None:
            setattr(args, name, list(dict.fromkeys(db for names in getattr(args, name) for db in names)))
    given = [suite for suite, defaults in DEFAULTS.items() if any(getattr(args, name) is not None for name in defaults)]
    if args.suite is None:
        args.suite = given[0] if len(given) == 1 else "all"
    for defaults in DEFAULTS.values():
        for name, value in defaults.items():
            if getattr(args, name) is None:
                setattr(args, name, value)
    return args


def bad_arguments(args: argparse.Namespace) -> str | None:
    if args.requests < 1 or args.warmup < 0:
        return "--requests must be at least 1 and --warmup at least 0"
    if args.shipped_requests < 1 or args.shipped_warmup < 0 or args.backlog < 0:
        return "--shipped-requests must be at least 1, and --shipped-warmup and --backlog at least 0"
    if args.sla_breach < 0:
        return "--sla-breach must be at least 0"
    if args.sla_due < 1 or args.sla_rounds < 1 or min(args.sla_sizes) < args.sla_due:
        return "--sla-due and --sla-rounds must be at least 1, and every --sla-sizes at least --sla-due"
    if args.sla_rate <= 0 or args.sla_seconds <= 0:
        return "--sla-rate and --sla-seconds must be positive"
    if not 1 <= args.oncall_baseline <= args.oncall_instants:
        return "--oncall-baseline must be at least 1 and at most --oncall-instants"
    if args.paging_targets < 1:
        return "--paging-targets must be at least 1"
    if not 1 <= args.digest_period <= args.digest_tickets or args.digest_rounds < 1:
        return "--digest-period must be at least 1 and at most --digest-tickets, and --digest-rounds at least 1"
    if args.routing_agents < len(routing_bench.SKILLS) or args.routing_rounds < 1:
        return f"--routing-agents must be at least {len(routing_bench.SKILLS)} and --routing-rounds at least 1"
    if args.routing_tickets < routing_bench.UNASSIGNED_EVERY:
        return f"--routing-tickets must be at least {routing_bench.UNASSIGNED_EVERY} (one in 25 is routed)"
    if args.events_requests < 1 or args.events_warmup < 0:
        return "--events-requests must be at least 1 and --events-warmup at least 0"
    return None


def suites(args: argparse.Namespace) -> tuple[str, ...]:
    """The suites to run, in order: every one for `--suite all`, else the one picked."""
    return SUITES if args.suite == "all" else (args.suite,)
