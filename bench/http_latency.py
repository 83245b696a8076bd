"""End-to-end HTTP latency of Liaison against a bare Bolt app that only acks, measured in the same run.

Every request is signed and posted over real loopback HTTP, timed client-side from connect to the last byte of
the answer. Rounds alternate bare/Liaison (and which goes first) so drift in the machine hits both equally;
warmup rounds are not recorded. Bodies are built before the clock starts, so the client does the same work on
both sides and only the server's answer is timed.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from bench.rig import AGENT, NEW_TICKET, BenchError, Rig, build_rig, form_headers
from bot.local.driver import TEAM_DOMAIN, VERIFICATION_TOKEN, DriverResponse

GOAL = 1.5  # Liaison's p99 should stay within this factor of the bare app's
SIDES = ("bare", "liaison")
# 500 rounds make p99 the 5th-slowest of 500 samples (300 would leave it to 3 outliers); ~25 s on 2 cores.
DEFAULT_REQUESTS, DEFAULT_WARMUP = 500, 50


def percentile(samples: Sequence[float], p: float) -> float:
    """The nearest-rank p-th percentile of samples (p in 0..100)."""
    if not samples:
        raise ValueError("no samples")
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


@dataclass
class WorkloadResult:
    """Per-request latencies (seconds) of one workload on both apps."""

    name: str
    bare: list[float] = field(default_factory=list)
    liaison: list[float] = field(default_factory=list)

    def p50(self, side: str) -> float:
        return percentile(getattr(self, side), 50)

    def p99(self, side: str) -> float:
        return percentile(getattr(self, side), 99)

    @property
    def ratio(self) -> float:
        """Liaison's p99 over the bare app's."""
        return self.p99("liaison") / self.p99("bare")

    @property
    def p50_ratio(self) -> float:
        """Liaison's median over the bare app's (steadier than the p99 ratio; for context, not the goal)."""
        return self.p50("liaison") / self.p50("bare")

    @property
    def meets_goal(self) -> bool:
        return self.ratio <= GOAL


@dataclass
class DrainResult:
    """How fast the outbox drain delivered what the modal workload queued (no baseline: for information)."""

    delivered: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.delivered / self.seconds if self.seconds > 0 else 0.0


@dataclass
class Report:
    """Everything one run measured."""

    requests: int
    warmup: int
    database: str
    results: list[WorkloadResult]
    drain: DrainResult | None
    seconds: float

    @property
    def meets_goal(self) -> bool:
        return all(r.meets_goal for r in self.results)


@dataclass
class Request:
    """One prepared request: its body, and what to check (untimed) once the answer is in."""

    body: bytes
    check: Callable[[DriverResponse], None]


@dataclass
class Workload:
    """A named kind of request; prepare(side, index) builds the next one for "bare" or "liaison"."""

    name: str
    prepare: Callable[[str, int], Request]


def _expect(what: str, response: DriverResponse, *, contains: str | None = None, empty: bool = False) -> None:
    if response.status != 200:
        raise BenchError(f"{what}: answered HTTP {response.status}: {response.text[:300]}")
    if contains is not None and contains not in response.text:
        raise BenchError(f"{what}: the answer lacks {contains!r}: {response.text[:300]}")
    if empty and response.body.strip():
        raise BenchError(f"{what}: expected an empty ack, got {response.text[:300]}")


def command_body(rig: Rig, text: str) -> bytes:
    """The form body of `/ticket text` typed by the agent in their DM with the bot (as SlackDriver.command)."""
    standin, user = rig.standin, rig.standin.user(AGENT) or {}
    channel = standin.dm_channel(AGENT)
    fields = {
        "token": VERIFICATION_TOKEN,
        "team_id": standin.team_id,
        "team_domain": TEAM_DOMAIN,
        "channel_id": channel,
        "channel_name": "directmessage",
        "user_id": AGENT,
        "user_name": user.get("name", ""),
        "command": "/ticket",
        "text": text,
        "api_app_id": rig.real.api_app_id,
        "is_enterprise_install": "false",
        "response_url": standin.new_response_url(channel=channel, user=AGENT),
        "trigger_id": standin.issue_trigger_id(AGENT),
    }
    return urlencode(fields).encode()


def command_workload(rig: Rig, text: str, expect: str) -> Workload:
    """`/ticket text` with one prebuilt body for both apps; Liaison's ack must carry expect."""
    body = command_body(rig, text)
    name = f"/ticket {text}"

    def bare_check(response: DriverResponse) -> None:
        _expect(f"bare {name}", response)

    def real_check(response: DriverResponse) -> None:
        _expect(f"Liaison {name}", response, contains=expect)

    def prepare(side: str, index: int) -> Request:
        return Request(body, bare_check if side == "bare" else real_check)

    return Workload(name, prepare)


def modal_workload(rig: Rig) -> Workload:
    """Submitting the new-ticket modal: a fresh view per Liaison request, opened untimed by `/ticket new`.

    The bare app gets the submission of an equivalent modal (same blocks and state), prebuilt once.
    """
    template = rig.open_modal("Bare baseline ticket")
    bare_body = rig.submission_body(template, rig.customer_values(template))
    rig.standin.close_view(AGENT, clear=True)

    def bare_check(response: DriverResponse) -> None:
        _expect("bare view_submission", response, empty=True)

    def prepare(side: str, index: int) -> Request:
        if side == "bare":
            return Request(bare_body, bare_check)
        view = rig.open_modal(f"Benchmark ticket {index + 1}")
        body = rig.submission_body(view, rig.customer_values(view))

        def check(response: DriverResponse) -> None:
            _expect("Liaison view_submission", response, empty=True)
            error = rig.standin.apply_view_response(AGENT, view["id"], response.status, response.body)
            if error is not None:
                raise BenchError(f"Slack would refuse Liaison's answer to the modal: {error}")

        return Request(body, check)

    return Workload(f"view_submission {NEW_TICKET}", prepare)


def measure(rig: Rig, workload: Workload, requests: int, warmup: int) -> WorkloadResult:
    """Run warmup + requests interleaved rounds of workload on both apps; keep the timed ones."""
    drivers = {"bare": rig.bare, "liaison": rig.real}
    result = WorkloadResult(workload.name)
    for index in range(warmup + requests):
        for side in SIDES if index % 2 == 0 else SIDES[::-1]:
            request = workload.prepare(side, index)
            driver = drivers[side]
            response = driver.post_raw(request.body, form_headers(driver, request.body))
            request.check(response)
            if index >= warmup:
                getattr(result, side).append(response.elapsed)
    return result


def drain_outbox(rig: Rig) -> DrainResult:
    """Deliver everything the workloads queued, timed (Slack here is the stand-in on loopback)."""
    dispatcher = rig.liaison.services.dispatcher
    delivered, started = 0, time.perf_counter()
    while True:
        result = dispatcher.drain()
        delivered += result.delivered
        if result.parked:
            raise BenchError(f"the outbox parked {result.parked} message(s): see `/ticket outbox`")
        if result.handled == 0:
            return DrainResult(delivered, time.perf_counter() - started)


def run(
    requests: int = DEFAULT_REQUESTS,
    warmup: int = DEFAULT_WARMUP,
    database_url: str | None = None,
    *,
    drain: bool = True,
    progress: Callable[[str], Any] | None = None,
) -> Report:
    """Measure every workload on both apps; raises BenchError when a request is not answered as it should be."""
    if requests < 1 or warmup < 0:
        raise ValueError("requests must be at least 1 and warmup at least 0")
    started = time.perf_counter()
    say = progress or (lambda _message: None)
    with build_rig(database_url) as rig:
        first = rig.seeded[0]
        workloads = [
            command_workload(rig, f"show {first}", first),
            command_workload(rig, "list", "Open tickets"),
            modal_workload(rig),
        ]
        results = []
        for workload in workloads:
            say(f"measuring {workload.name} ({warmup} warmup + {requests} rounds)")
            before = rig.ticket_count()
            results.append(measure(rig, workload, requests, warmup))
            if workload.name.startswith("view_submission"):
                opened = rig.ticket_count() - before
                if opened != requests + warmup:
                    raise BenchError(f"{requests + warmup} modal submissions opened {opened} tickets")
        drained = drain_outbox(rig) if drain else None
        database = rig.database_url.split(":", 1)[0]
    return Report(requests, warmup, database, results, drained, time.perf_counter() - started)


def format_report(report: Report) -> str:
    """The results as a table plus the verdict against the goal."""
    header = ("workload", "bare p50", "bare p99", "Liaison p50", "Liaison p99", "p50 ratio", "p99 ratio")
    rows = [
        (
            r.name,
            f"{r.p50('bare') * 1000:.2f}",
            f"{r.p99('bare') * 1000:.2f}",
            f"{r.p50('liaison') * 1000:.2f}",
            f"{r.p99('liaison') * 1000:.2f}",
            f"{r.p50_ratio:.2f}x",
            f"{r.ratio:.2f}x",
        )
        for r in report.results
    ]
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    out = [
        f"HTTP latency, ms per request ({report.requests} timed + {report.warmup} warmup rounds per workload, "
        f"database {report.database}, {report.seconds:.1f} s in all)",
        "",
        line(header),
        line(["-" * w for w in widths]),
        *(line(row) for row in rows),
        "",
    ]
    missed = [f"{r.name} {r.ratio:.2f}x" for r in report.results if not r.meets_goal]
    if missed:
        out.append(f"goal: Liaison p99 <= {GOAL}x the bare app's: NOT MET ({'; '.join(missed)})")
    else:
        out.append(f"goal: Liaison p99 <= {GOAL}x the bare app's: met for every workload")
    if report.drain is not None:
        d = report.drain
        out.append(
            f"outbox drain (no baseline): {d.delivered} Slack calls delivered in {d.seconds:.2f} s "
            f"({d.per_second:.0f}/s)"
        )
    return "\n".join(out)
