"""The routing suite: one routing decision with 200 agents and 10,000 open tickets, against a query per agent.

Per database (a fresh SQLite file; on PostgreSQL a private database, or the one `--routing-postgres-url` names, as in
the sla suite) a migrated schema gets 100 customers, `tickets` open tickets (one in 25 unassigned, with an SLA
deadline from 30 minutes ago to 8 hours ahead; the rest assigned unevenly over the agents), twice as many solved and
closed ones, routing offers (some waiting for an answer, passed and expired ones that exclude agents, accepted ones
of the past) and `agent_presence` rows (some agents away, most offered a ticket before), whose counts of active
tickets and waiting offers are then counted from those rows, as migration 0016 does. The `[routing]` section
lists the agents with skills, caps and calendars, and is parsed by `LiaisonConfig.from_dict` like the policy file.

A decision is what `RoutingService._route` does before it writes the offer: read the ticket and its offers, then
`candidates(session, now)` (one query of `agent_presence`: counts and presence) and `choose(...)`, each decision in
a fresh session that commits (it only reads), over the tickets `run()` would offer, nearest deadline first. The
baseline, every 10th round on the same ticket: each agent's open tickets counted by a query of its own, then the
same choice; its candidates and choice must equal ours or the suite fails (BenchError). For context, `_route` itself
with its writes (offer, timer, DM and thread line in the outbox), flushed and rolled back, in the same rounds. Goal:
under 5 ms.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from sqlalchemy import exists, func, insert, select, text
from sqlalchemy.orm import Session

from bench.http_latency import percentile
from bench.rig import BenchError
from bench.sla_bench import _databases, _table
from bench.sla_data import DEFAULT_POSTGRES
from bot.clock import MovableClock
from bot.config import LiaisonConfig
from bot.db import Database
from bot.local.workspace import QUEUE
from bot.routing.choose import Candidate, Need, choose
from bot.routing.service import FOREVER, OFFERED, RoutingService, recount_offers
from bot.services import Services
from bot.tickets.loads import recount
from bot.tickets.rules import ACTIVE_STATUSES
from models import AgentPresence, Customer, RoutingOffer, Ticket

DEFAULT_AGENTS, DEFAULT_TICKETS, DEFAULT_ROUNDS = 200, 10_000, 2_000
DATABASES = ("sqlite", "postgresql")
GOAL_MS = 5.0  # one decision, at p99
WARMUP = 20  # untimed decisions first: connection pool, statement caches, the calendars' first answers
BASELINE_EVERY = 10  # the baseline runs 200 queries a decision: one round in 10 keeps the suite short
# A fixed instant (a Tuesday: 10:00 in New York, 16:00 in Berlin, midnight in Tokyo) and draws from the ticket and
# agent numbers, so every run builds the same data and makes the same choices.
NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
CUSTOMERS, PREMIUM, UNASSIGNED_EVERY, CLOSED_PER_OPEN = 100, 25, 25, 2
SKILLS = ("api", "billing", "mobile", "sso", "security", "enterprise", "de", "fr", "ja")
CALENDARS = {
    "americas": {"timezone": "America/New_York", "country": "US", "weekdays": ["08:00-18:00"]},
    "emea": {"timezone": "Europe/Berlin", "country": "DE", "weekdays": ["08:00-17:00"]},
    "apac": {"timezone": "Asia/Tokyo", "weekdays": ["09:00-18:00"]},
}
STEPS = (
    "read ticket + offers",
    "candidates (1 query)",
    "choose (pure)",
    "decision (all three)",
    "baseline: 1 query per agent + choose",
    "_route with its writes, rolled back",
    "decision in a run of 50 (loads read once)",
)
RUN = 50  # RoutingService.run() decides up to 50 tickets on one read of every agent's load
# Agents away, by agent number mod 20: (since, until) in hours from NOW; no end: until they say they are back.
AWAY = {3: (-24, None), 13: (-24, None), 7: (-1, 2), 17: (-1, 2), 11: (-24, -1)}  # 11: that ended an hour ago
REQUESTER = "U0CAROL01"
Say = Callable[[str], Any]


def agent_id(index: int) -> str:
    return f"U0RT{index:04d}"


def customer_name(number: int) -> str:
    return f"Customer {number:03d}"


def routing_config(agents: int) -> LiaisonConfig:
    """`agents` agents: one to three skills each, a third with a cap of their own, three in four on a calendar."""
    table: dict[str, dict[str, Any]] = {}
    for i in range(agents):
        skills = {SKILLS[i % len(SKILLS)]} | {SKILLS[(i * 5 + 3 * k) % len(SKILLS)] for k in range(1, 1 + i % 3)}
        spec: dict[str, Any] = {"skills": sorted(skills)}
        if i % 3 == 0:
            spec["max_open"] = (30, 40, 60, 80)[i // 3 % 4]
        if i % 4 < 3:
            spec["calendar"] = list(CALENDARS)[i % 4]
        table[agent_id(i)] = spec
    names = [customer_name(n).lower() for n in range(1, CUSTOMERS + 1)]
    rules = [
        {"name": "premium-urgent", "match": {"tiers": ["premium"], "priorities": ["P1"]}, "skills": ["enterprise"]},
        {"name": "billing", "match": {"customers": names[30:40]}, "skills": ["billing"]},
        {"name": "german", "match": {"customers": names[40:50]}, "skills": ["de"]},
        {"name": "premium", "match": {"tiers": ["premium"]}, "skills": ["api"]},
        {"name": "shared-urgent", "match": {"priorities": ["P1", "P2"], "sources": ["shared"]}, "skills": ["mobile"]},
    ]  # standard-tier P3 and P4 tickets match none: any agent may take them
    routing = {"offer_timeout": "5m", "max_open": 50, "agents": table, "rules": rules}
    return LiaisonConfig.from_dict({"tickets": {"queue_channel": QUEUE}, "calendars": CALENDARS, "routing": routing})


def _ticket(n: int, status: str, assignee: str | None, deadline: datetime | None, created: datetime) -> dict[str, Any]:
    draw = n * 2_654_435_761 % 100
    priority = "P1" if draw < 10 else "P2" if draw < 40 else "P3" if draw < 80 else "P4"
    return {"id": n, "subject": f"Ticket {n}", "description": "", "customer_id": 1 + n % CUSTOMERS,
            "priority": priority, "status": status, "assignee_id": assignee, "requester_id": REQUESTER,
            "source": "shared" if n % 5 == 0 else "command", "queue_channel": QUEUE,
            "card_ts": f"1764600000.{n:06d}", "card_version": 1, "next_deadline_at": deadline,
            "sla_breached": deadline is not None and deadline <= NOW, "created_at": created, "updated_at": created,
            "row_version": 1}  # fmt: skip


def load(database: Database, agents: int, tickets: int) -> dict[str, int]:
    """Fill a migrated, empty database; returns what a decision should see (open tickets assigned, offers waiting)."""
    ids = [agent_id(i) for i in range(agents)]
    pool = [i for i in range(agents) for _ in range(1 + i * 7 % 4)]  # agent i weighs 1 to 4: uneven loads
    rows, offers = [], []
    expected = {"assigned": 0, "unassigned": 0, "waiting": 0}
    for n in range(1, tickets * (1 + CLOSED_PER_OPEN) + 1):
        created = NOW - timedelta(minutes=n * 13 % 14_400)
        assignee = ids[pool[n * 2_654_435_761 % 2**32 % len(pool)]]  # a multiplicative hash: no pattern in n
        if n > tickets:  # history: solved and closed tickets, which no load counts
            rows.append(_ticket(n, "solved" if n % 4 else "closed", assignee, None, created))
        elif n % UNASSIGNED_EVERY:
            status = ("open", "open", "pending", "on-hold", "new", "open", "pending")[n % 7]
            deadline = None if status in ("pending", "on-hold") else NOW + timedelta(minutes=n * 53 % 2880)
            rows.append(_ticket(n, status, assignee, deadline, created))
            expected["assigned"] += 1
        else:
            j = n // UNASSIGNED_EVERY
            deadline = NOW + timedelta(minutes=-30 + n * 37 % 510)
            rows.append(_ticket(n, "new" if j % 2 else "open", None, deadline, NOW - timedelta(minutes=j % 90)))
            expected["unassigned"] += 1
            mine: dict[str, dict[str, Any]] = {}
            if j % 3 == 1:  # passed on, or let time out: those agents are never offered it again
                for k in range(1 + j // 3 % 3):
                    at = NOW - timedelta(minutes=10 * (k + 2))
                    state = "passed" if k % 2 else "expired"
                    mine[ids[(j * 17 + k * 29) % agents]] = {"state": state, "offered_at": at, "answered_at": at}
            if j % 40 == 5:
                mine[""] = {"state": "nobody", "offered_at": NOW - timedelta(minutes=3), "answered_at": None}
            if j % 7 == 0:  # an offer waiting for an answer: routing skips the ticket, and it counts in the load
                user = ids[j * 13 % agents]
                expected["waiting"] += user not in mine
                mine.setdefault(user, {"state": OFFERED, "offered_at": NOW - timedelta(minutes=2), "answered_at": None})
            offers += [{"ticket_id": n, "user_id": user, "note": "", **offer} for user, offer in mine.items()]
        if n % 3 == 0 and rows[-1]["assignee_id"]:  # how most tickets got their assignee
            at = created + timedelta(minutes=1)
            offers.append({"ticket_id": n, "user_id": assignee, "state": "accepted", "offered_at": at,
                           "answered_at": at, "note": ""})  # fmt: skip
    presence = []
    for i, user in enumerate(ids):
        since, until = AWAY.get(i % 20, (None, None))
        last = None if i % 6 == 5 else NOW - timedelta(minutes=i * 37 % 600)
        if since is not None or last:
            presence.append({"user_id": user, "away_since": since and NOW + timedelta(hours=since),
                             "away_until": until and NOW + timedelta(hours=until), "last_offered_at": last,
                             "updated_at": NOW})  # fmt: skip
    with database.session() as session:
        session.execute(insert(Customer), [
            {"id": c, "name": customer_name(c), "tier": "premium" if c <= PREMIUM else "standard",
             "created_at": NOW - timedelta(days=400)} for c in range(1, CUSTOMERS + 1)])  # fmt: skip
        session.execute(insert(Ticket), rows)
        session.execute(insert(RoutingOffer), offers)
        session.execute(insert(AgentPresence), presence)
        recount(session, NOW)  # each agent's counts, as the services keep them (migration 0016 did the same)
        recount_offers(session)
    postgres = database.engine.dialect.name == "postgresql"
    with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        if postgres:  # ids were given: move the sequences past them, as the app inserts rows of its own
            for table in ("customers", "tickets"):
                connection.execute(
                    text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
                )
            connection.execute(text("VACUUM ANALYZE"))  # as autovacuum would soon after a load this size
    # SQLite gets no ANALYZE: Liaison never runs one, so its planner works without statistics in production too.
    return expected | {"offers": len(offers), "presence": len(presence)}


def naive_candidates(service: RoutingService, session: Session, now: datetime) -> list[Candidate]:
    """The baseline: `candidates` with each agent's open tickets counted by a query of its own."""
    settings, agents = service.settings, list(service.settings.agents)
    open_of = select(func.count()).select_from(Ticket).where(Ticket.status.in_(ACTIVE_STATUSES))
    loads = {user: int(session.scalar(open_of.where(Ticket.assignee_id == user)) or 0) for user in agents}
    waiting = session.execute(
        select(RoutingOffer.user_id, func.count())
        .where(RoutingOffer.user_id.in_(agents), RoutingOffer.state == OFFERED)
        .group_by(RoutingOffer.user_id)
    )
    for user, count in waiting:
        loads[user] += count
    presence = {
        row.user_id: row for row in session.scalars(select(AgentPresence).where(AgentPresence.user_id.in_(agents)))
    }
    out = []
    for user in agents:
        profile, here = settings.profile(user), presence.get(user)
        away = (here.away_until or FOREVER) if here is not None and here.away_since is not None else None
        last = here.last_offered_at if here is not None else None
        out.append(Candidate(user, profile.skills, loads[user], settings.cap(user), away, last, profile.calendar))
    return out


def decide(
    service: RoutingService, session: Session, ticket_id: int, now: datetime, *, naive: bool = False
) -> tuple[list[float], list[Candidate], Candidate | None]:
    """One decision as `_route` makes it, timed step by step (seconds): read, candidates, choose, all three."""
    began = time.perf_counter()
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise BenchError(f"ticket {ticket_id} is gone")
    query = select(RoutingOffer.user_id, RoutingOffer.state).where(RoutingOffer.ticket_id == ticket_id)
    offered = dict(session.execute(query).all())
    customer, settings = ticket.customer, service.settings
    skills = settings.needs(tier=customer.tier, priority=ticket.priority, source=ticket.source, customer=customer.name)
    need = Need(skills=skills, deadline=ticket.next_deadline_at, excluded=frozenset(offered))
    read = time.perf_counter()
    candidates = naive_candidates(service, session, now) if naive else service.candidates(session, now)
    loaded = time.perf_counter()
    chosen = choose(candidates, need, now)
    done = time.perf_counter()
    return [read - began, loaded - read, done - loaded, done - began], candidates, chosen


def routable(database: Database) -> list[int]:
    """The tickets `RoutingService.run()` would offer, in its order (the same query, without its limit)."""
    waiting = exists().where(RoutingOffer.ticket_id == Ticket.id, RoutingOffer.state == OFFERED)
    query = (
        select(Ticket.id)
        .where(Ticket.assignee_id.is_(None), Ticket.status.in_(ACTIVE_STATUSES), ~waiting)
        .order_by(Ticket.next_deadline_at.is_(None), Ticket.next_deadline_at, Ticket.created_at, Ticket.id)
    )
    with database.session() as session:
        return list(session.scalars(query))


def measure(database: Database, agents: int, tickets: int, rounds: int, *, say: Say) -> dict[str, Any]:
    """Load the data, then time `rounds` decisions (and the baseline and `_route` one round in 10)."""
    name = database.engine.dialect.name
    began = time.perf_counter()
    expected = load(database, agents, tickets)
    result: dict[str, Any] = {"database": name, "load_s": time.perf_counter() - began, **expected}
    client = WebClient(token="xoxb-bench", base_url="http://127.0.0.1:9/api/")  # never called: nothing is sent
    services = Services.build(config=routing_config(agents), clock=MovableClock(NOW), database=database, client=client)
    service, ids = services.routing, routable(database)
    if not ids:
        raise BenchError(f"{name}: no ticket to route")
    say(f"  {name}: {len(ids)} tickets to route; timing {rounds:,} decisions")
    samples: dict[str, list[float]] = {step: [] for step in STEPS}
    choices: dict[int, Candidate | None] = {}
    # The baseline and `_route` with its writes run on connections of their own, rolled back: psycopg forgets a
    # connection's prepared statements at every rollback, and the decisions, which only read, commit as `_route`'s
    # unit of work does in Liaison, so they keep theirs (PostgreSQL prepares a statement after its 5th run).
    scratch = Database(database.url)
    for index in range(WARMUP + rounds):
        ticket_id, timed = ids[index % len(ids)], index >= WARMUP
        with database.sessions() as session:
            times, ours, chosen = decide(service, session, ticket_id, NOW)
            session.commit()
        choices[ticket_id] = chosen
        if index == 0:
            loads = sum(c.load for c in ours)
            if loads != expected["assigned"] + expected["waiting"]:
                raise BenchError(f"{name}: the agents' loads add up to {loads:,}, not the {expected['assigned']:,} "
                                 f"open tickets assigned + {expected['waiting']} offers waiting")  # fmt: skip
            result["at_cap"] = sum(c.load >= c.cap for c in ours)
            result["away"] = sum(c.away_until is not None and c.away_until > NOW for c in ours)
        if timed:
            for step, seconds in zip(STEPS[:4], times, strict=True):
                samples[step].append(seconds * 1000)
        if index % BASELINE_EVERY:
            continue
        with scratch.sessions() as session:
            times, theirs, their_choice = decide(service, session, ticket_id, NOW, naive=True)
            session.rollback()
        if theirs != ours or their_choice != chosen:
            raise BenchError(f"{name}: ticket {ticket_id}: the baseline chose {their_choice} and ours {chosen}")
        with scratch.sessions() as session:  # the whole of `_route`: the decision and its writes, then undone
            started = time.perf_counter()
            offered = service._route(session, ticket_id, NOW)
            session.flush()
            elapsed = time.perf_counter() - started
            session.rollback()
        if (offered is None) != (chosen is None):
            raise BenchError(f"{name}: ticket {ticket_id}: _route offered it to {offered}; the decision chose {chosen}")
        if timed:
            samples[STEPS[4]].append(times[3] * 1000)
            samples[STEPS[5]].append(elapsed * 1000)
    # What the routing job does: one read of the agents' loads, then a run of tickets each read and decided.
    for index in range(max(rounds // RUN, 3)):
        with database.sessions() as session:
            started = time.perf_counter()
            candidates = service.candidates(session, NOW)
            for ticket_id in (ids * RUN)[index * RUN % len(ids) :][:RUN]:
                ticket = session.get(Ticket, ticket_id)
                assert ticket is not None
                query = select(RoutingOffer.user_id).where(RoutingOffer.ticket_id == ticket_id)
                excluded = frozenset(session.scalars(query))
                customer, settings = ticket.customer, service.settings
                skills = settings.needs(
                    tier=customer.tier, priority=ticket.priority, source=ticket.source, customer=customer.name
                )
                choose(candidates, Need(skills=skills, deadline=ticket.next_deadline_at, excluded=excluded), NOW)
            samples[STEPS[6]].append((time.perf_counter() - started) * 1000 / RUN)
            session.commit()
    scratch.dispose()
    result |= {"samples": samples, "routable": len(ids), "chosen": sum(c is not None for c in choices.values())}
    result["decided"] = len(choices)
    return result


def format_report(results: Sequence[dict[str, Any]], skipped: dict[str, str], agents: int, tickets: int) -> str:
    rows = [
        (f"{r['database']:<10}  {step}", f"{statistics.median(r['samples'][step]):,.3f}",
         f"{percentile(r['samples'][step], 99):,.3f}", f"{len(r['samples'][step]):,}")
        for r in results for step in STEPS
    ]  # fmt: skip
    rounds = len(results[0]["samples"][STEPS[0]]) if results else 0
    out = [f"Routing decision with {agents:,} agents and {tickets:,} open tickets: {rounds:,} decisions after "
           f"{WARMUP} warm-up, each in a fresh session rolled back", "",
           *_table(("database    step", "median ms", "p99 ms", "n"), rows), ""]  # fmt: skip
    for r in results:
        name, samples = r["database"], r["samples"]
        ours, theirs = (statistics.median(samples[step]) for step in (STEPS[3], STEPS[4]))
        out.append(
            f"{name}: {r['unassigned']:,} unassigned ({r['routable']:,} to route, the rest with an offer waiting), "
            f"{r['assigned']:,} assigned; {r['at_cap']} agents at their cap, {r['away']} away; "
            f"loaded in {r['load_s']:.1f} s"
        )
        out.append(
            f"{name}: chose an agent for {r['chosen']:,} of the {r['decided']:,} tickets decided, nobody for "
            f"{r['decided'] - r['chosen']:,}; baseline/ours {theirs / ours:.1f}x (median); the baseline agreed"
        )
    for r in results:
        for step, what in ((STEPS[3], "one decision alone"), (STEPS[6], f"in the job's runs of {RUN}")):
            p99, median = percentile(r["samples"][step], 99), statistics.median(r["samples"][step])
            verdict = "met" if p99 < GOAL_MS else "NOT MET"
            out.append(
                f"goal < {GOAL_MS:g} ms per decision, {what}: {r['database']} median {median:.2f} ms, "
                f"p99 {p99:.2f} ms: {verdict}"
            )
    out += [f"{name}: skipped ({why})" for name, why in skipped.items()]
    return "\n".join(out)


def run(
    report: Say = print,
    *,
    agents: int = DEFAULT_AGENTS,
    tickets: int = DEFAULT_TICKETS,
    rounds: int = DEFAULT_ROUNDS,
    databases: Sequence[str] = DATABASES,
    postgres_url: str = DEFAULT_POSTGRES,
    progress: Say | None = None,
) -> dict[str, float]:
    """The routing suite: reports the table, returns the figures (median and p99 ms of a decision, the ratio)."""
    if agents < len(SKILLS) or tickets < UNASSIGNED_EVERY or rounds < 1:
        raise ValueError(f"need at least {len(SKILLS)} agents, {UNASSIGNED_EVERY} tickets and 1 round")
    say = progress or (lambda _message: None)
    results, skipped = [], {}
    for name, factory, why in _databases(databases, postgres_url):
        if factory is None:
            skipped[name] = why
            say(f"routing: {name} skipped: {why}")
            continue
        say(f"routing: {name}, {agents} agents, {tickets:,} open tickets")
        with factory() as database:
            results.append(measure(database, agents, tickets, rounds, say=say))
    report(format_report(results, skipped, agents, tickets))
    figures: dict[str, float] = {}
    for r in results:
        decision, baseline = r["samples"][STEPS[3]], r["samples"][STEPS[4]]
        prefix = f"routing.{r['database']}"
        figures[f"{prefix}.decision_ms"] = statistics.median(decision)
        figures[f"{prefix}.decision_p99_ms"] = percentile(decision, 99)
        figures[f"{prefix}.candidates_ms"] = statistics.median(r["samples"][STEPS[1]])
        figures[f"{prefix}.choose_ms"] = statistics.median(r["samples"][STEPS[2]])
        figures[f"{prefix}.ratio"] = statistics.median(baseline) / statistics.median(decision)
        figures[f"{prefix}.run_decision_ms"] = statistics.median(r["samples"][STEPS[6]])
    return figures
