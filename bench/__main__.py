"""`python -m bench`: time Liaison against a bare Bolt app over HTTP and print p50/p99 and the p99 ratio.

Exits 0 whether or not the goal is met (it is a measurement); 1 when a request was not answered as it should be.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from bench.http_latency import DEFAULT_REQUESTS, DEFAULT_WARMUP, format_report, run
from bench.rig import BenchError


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--requests", type=int, default=DEFAULT_REQUESTS, help=f"timed rounds per workload (default {DEFAULT_REQUESTS})"
    )
    parser.add_argument(
        "--warmup", type=int, default=DEFAULT_WARMUP, help=f"untimed rounds first (default {DEFAULT_WARMUP})"
    )
    parser.add_argument(
        "--database-url",
        default=None,
        help="a database to migrate and use (default: a fresh SQLite file in a temp dir); tickets are added to it",
    )
    parser.add_argument("--no-drain", action="store_true", help="skip timing the outbox drain at the end")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if args.requests < 1 or args.warmup < 0:
        print("bench: --requests must be at least 1 and --warmup at least 0", file=sys.stderr)
        return 2
    try:
        report = run(
            args.requests,
            args.warmup,
            args.database_url,
            drain=not args.no_drain,
            progress=lambda message: print(message, file=sys.stderr, flush=True),
        )
    except BenchError as error:
        print(f"bench: {error}", file=sys.stderr)
        return 1
    print(format_report(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
