"""`python -m bench`: run the benchmark suites and print their tables; `--suite` picks one (default: all of them).

- http: time Liaison against a bare Bolt app over HTTP and print p50/p99 and the p99 ratio;
- shipped: the same against the Procfile's web process (and a bare app under the same gunicorn command line) with
  8 concurrent clients, on SQLite and PostgreSQL, and the outbox backlog drain rate after a Slack outage;
- calendar: SLA deadline arithmetic against a minute-stepping calendar;
- sla: the timer sweep at 10k and 1M open tickets (SQLite, and PostgreSQL when reachable), and reminder lateness
  under the real scheduler;
- oncall: who is on call at an instant, a Schedule over an imported iCalendar feed against recurring-ical-events
  evaluating the same feed;
- paging: one page reaching 50 people with Slack's rate limits on in the stand-in, time until every DM is
  delivered (none dropped) against a plain WebClient posting the same DMs;
- digest: the manager digest's figures over 1,000,000 tickets on SQLite and PostgreSQL, SQL aggregates against
  loading the period's clocks through the ORM (the two must agree);
- routing: one routing decision with 200 agents and 10,000 open tickets (SQLite and PostgreSQL), against counting
  each agent's load with a query of its own (the two must choose alike);
- events: message events (another channel, a customer's message opening a ticket, a reply in its thread), Liaison
  against a bare Bolt app over HTTP, p50/p99 and the p99 ratio.

Exits 0 whether or not a goal is met (they are measurements); 1 when a suite could not measure (a request was not
answered as it should be, a sweep did not fire its timers, on-call answers, digest figures or routing choices
disagreed); 2 for bad arguments. The options and their checks are in bench/cli.py.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence

from bench import (
    calendar_bench,
    cli,
    digest_bench,
    events_bench,
    oncall_bench,
    paging_bench,
    routing_bench,
    shipped_latency,
    sla_bench,
)
from bench.http_latency import format_report, run
from bench.rig import BenchError


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _http(args: argparse.Namespace) -> None:
    report = run(args.requests, args.warmup, args.database_url, drain=not args.no_drain, progress=_progress)
    print(format_report(report))


def _shipped(args: argparse.Namespace) -> None:
    report = shipped_latency.run(
        args.shipped_requests,
        args.shipped_warmup,
        args.shipped_databases,
        args.database_url,
        backlog=args.backlog,
        progress=_progress,
    )
    print(shipped_latency.format_report(report))


def _calendar(args: argparse.Namespace) -> None:
    calendar_bench.run(report=print)


def _sla(args: argparse.Namespace) -> None:
    sla_bench.run(
        print,
        sizes=args.sla_sizes,
        due=args.sla_due,
        rounds=args.sla_rounds,
        databases=args.sla_databases,
        postgres_url=args.sla_postgres_url,
        rate=args.sla_rate,
        seconds=args.sla_seconds,
        plans=args.sla_plans,
        breach=args.sla_breach,
        progress=_progress,
    )


def _oncall(args: argparse.Namespace) -> None:
    oncall_bench.run(print, instants=args.oncall_instants, baseline=args.oncall_baseline)


def _paging(args: argparse.Namespace) -> None:
    paging_bench.run(
        print,
        targets=args.paging_targets,
        latencies=[ms / 1000 for ms in args.paging_latencies],
        databases=args.paging_databases,
        postgres_url=args.paging_postgres_url,
        progress=_progress,
    )


def _digest(args: argparse.Namespace) -> None:
    digest_bench.run(
        print,
        tickets=args.digest_tickets,
        period=args.digest_period,
        rounds=args.digest_rounds,
        databases=args.digest_databases,
        postgres_url=args.digest_postgres_url,
        progress=_progress,
    )


def _routing(args: argparse.Namespace) -> None:
    routing_bench.run(
        print,
        agents=args.routing_agents,
        tickets=args.routing_tickets,
        rounds=args.routing_rounds,
        databases=args.routing_databases,
        postgres_url=args.routing_postgres_url,
        progress=_progress,
    )


def _events(args: argparse.Namespace) -> None:
    report = events_bench.run(args.events_requests, args.events_warmup, progress=_progress)
    print(events_bench.format_report(report))


RUNNERS: dict[str, Callable[[argparse.Namespace], None]] = {
    "http": _http,
    "shipped": _shipped,
    "calendar": _calendar,
    "sla": _sla,
    "oncall": _oncall,
    "paging": _paging,
    "digest": _digest,
    "routing": _routing,
    "events": _events,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = cli.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    problem = cli.bad_arguments(args)
    if problem is not None:
        print(f"bench: {problem}", file=sys.stderr)
        return 2
    suites = cli.suites(args)
    failed = False
    for index, suite in enumerate(suites):
        if index:
            print(flush=True)
        try:
            RUNNERS[suite](args)
        except BenchError as error:
            print(f"bench: {suite}: {error}", file=sys.stderr)
            failed = True
        sys.stdout.flush()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
