"""The digest suite's data: a policy book and a generator filling a migrated database with tickets, clocks, status
changes and incidents, the same rows on every run and on both databases (the measuring is in bench/digest_bench.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, text

from bench.rig import BenchError
from bot.config import LiaisonConfig
from bot.db import Database
from bot.incidents.config import SEVERITIES
from bot.local.workspace import QUEUE
from bot.sla.policy import FIRST_RESPONSE, RESOLUTION, PolicyBook
from models import Customer, Incident, IncidentTicket, Ticket

# A fixed instant, and draws hashed from the ticket id, so every run generates the same data and the same figures.
NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
DAY, WEEK, YEAR = 86_400, 7 * 86_400, 365 * 86_400
CHUNK = 100_000  # tickets generated per transaction
CUSTOMERS, PREMIUM_CUSTOMERS = 200, 40
AGENTS = tuple(f"U0AGENT{i:02d}" for i in range(12))
REQUESTER = "U0CAROL01"
# (first response, resolution) seconds per tier and priority, all 24/7: working time is wall time minus pauses.
H = 3600
TARGETS = {
    ("premium", "P1"): (H // 2, 8 * H), ("premium", "P2"): (2 * H, 18 * H), ("premium", "P3"): (4 * H, 45 * H),
    ("premium", "P4"): (8 * H, 72 * H), ("standard", "P1"): (H, 9 * H), ("standard", "P2"): (4 * H, 27 * H),
    ("standard", "P3"): (8 * H, 72 * H), ("standard", "P4"): (18 * H, 120 * H),
}  # fmt: skip
PRIME = 2_147_483_647  # draws: (n * A + B) mod PRIME, one multiplier per draw (integers: same on both databases)
DRAWS = [(pow(48_271, 1_009 * k + 11, PRIME), pow(16_807, k + 3, PRIME)) for k in range(1, 11)]
Say = Callable[[str], Any]


def policy_book() -> PolicyBook:
    """The policies the data follows: premium for the premium tier, standard otherwise, both metrics everywhere."""
    policies = [
        {"name": tier, **({"match": {"tiers": ["premium"]}} if tier == "premium" else {}), "targets": {
            priority: {FIRST_RESPONSE: {"duration": f"{fr}s"}, RESOLUTION: {"duration": f"{res}s"}}
            for (t, priority), (fr, res) in TARGETS.items() if t == tier
        }}
        for tier in ("premium", "standard")
    ]  # fmt: skip
    return LiaisonConfig.from_dict({"tickets": {"queue_channel": QUEUE}, "sla": {"policies": policies}}).sla


def _q(share: float) -> int:
    """The draw threshold below which a share of tickets falls."""
    return int(PRIME * share)


def _generate_sql(pg: bool) -> str:
    """INSERT INTO digest_gen each ticket's numbers (epoch seconds) for ids :lo..:hi, layer on layer.

    Each layer is a MATERIALIZED CTE: inlined, every reference to a column would repeat its whole expression."""
    draws = ", ".join(f"(n * {a} + {b}) % {PRIME} AS h{k}" for k, (a, b) in enumerate(DRAWS, start=1))
    agent = " ".join(f"WHEN {i} THEN '{a}'" for i, a in enumerate(AGENTS))
    t1, t2 = (
        " ".join(f"WHEN tier = '{t}' AND prio = '{p}' THEN {v[i]}" for (t, p), v in TARGETS.items()) for i in (0, 1)
    )
    big = "GREATEST" if pg else "max"
    series = "generate_series(CAST(:lo AS BIGINT), CAST(:hi AS BIGINT)) AS s(n)" if pg else "s"
    fr_q, res_q = _q(0.95), _q(0.94)  # 5% of first responses and 6% of resolutions take longer than the target
    layers = [
        # Ids in creation order: the old tickets spread over the 358 days before the period, the rest over it.
        f"SELECT n, CASE WHEN n <= :old THEN :year0 + (n - 1) * {YEAR - WEEK} / :old_div "
        f"ELSE :start + (n - :old - 1) * {WEEK} / :period END AS c, {draws} FROM {series}",
        f"SELECT a.*, h1 % {CUSTOMERS} + 1 AS cust, CASE WHEN h1 % {CUSTOMERS} < {PREMIUM_CUSTOMERS} THEN 'premium' "
        f"ELSE 'standard' END AS tier, CASE WHEN h2 < {_q(0.1)} THEN 'P1' WHEN h2 < {_q(0.4)} THEN 'P2' "
        f"WHEN h2 < {_q(0.8)} THEN 'P3' ELSE 'P4' END AS prio, "
        f"CASE WHEN h3 % 100 < 3 THEN NULL ELSE CASE h3 / 100 % {len(AGENTS)} {agent} END END AS agent FROM l0 a",
        f"SELECT a.*, CASE {t1} END AS t1, CASE {t2} END AS t2 FROM l1 a",
        f"SELECT a.*, CASE WHEN h4 < {fr_q} THEN 60 + (t1 - 60) * h4 / {fr_q} "
        f"ELSE t1 + 1 + 2 * t1 * (h4 - {fr_q}) / {PRIME - fr_q} END AS e1, "
        f"CASE WHEN h5 < {res_q} THEN 60 + (t2 - 60) * h5 / {res_q} "
        f"ELSE t2 + 1 + 2 * t2 * (h5 - {res_q}) / {PRIME - res_q} END AS e2, "
        # Wall time the resolution clock was paused (waiting on the customer); 1% of tickets for over 3 days.
        f"CASE WHEN h6 < {_q(0.01)} THEN {3 * DAY} + h6 % {WEEK} WHEN h6 < {_q(0.3)} THEN h6 % {2 * DAY} "
        f"ELSE 0 END AS p FROM l2 a",
        f"SELECT a.*, {big}(e2, e1 + 60) AS re FROM l3 a",
        # Active: 15% of the period's tickets and 1% of older ones, and any that could not be solved by now.
        f"SELECT a.*, CASE WHEN h7 < CASE WHEN n > :old THEN {_q(0.15)} ELSE {_q(0.01)} END "
        f"OR c + re + p >= :now THEN 1 ELSE 0 END AS active FROM l4 a",
        f"SELECT a.*, CASE WHEN active = 0 THEN CASE WHEN c + re + p < :now - {4 * DAY} THEN 'closed' "
        f"ELSE 'solved' END WHEN c + e1 >= :now OR h8 < {_q(0.15)} THEN 'new' WHEN h8 < {_q(0.45)} "
        f"THEN 'pending' ELSE 'open' END AS status FROM l5 a",
    ]
    ctes = ", ".join(f"l{i} AS MATERIALIZED ({sql})" for i, sql in enumerate(layers))
    recursive = "" if pg else "s(n) AS (SELECT :lo UNION ALL SELECT n + 1 FROM s WHERE n < :hi), "
    # Pending since a moment after the first reply; 2% reopened once between the reply and the solve (or now).
    return (
        f"WITH RECURSIVE {recursive}{ctes} INSERT INTO digest_gen "
        "SELECT n, cust, tier, prio, agent, t1, t2, c, e1, re, p, active, status, "
        f"CASE WHEN status = 'pending' THEN c + e1 + h9 % {big}(:now - c - e1, 1) END, "
        f"CASE WHEN h10 < {_q(0.02)} AND status <> 'new' THEN c + e1 + h10 % "
        f"{big}(CASE WHEN active = 1 THEN :now ELSE c + re + p END - c - e1, 1) END FROM l6"
    )


def _insert_sql(pg: bool) -> list[str]:
    """The rows of tickets, clocks and events, from digest_gen: consistent with each other as the SLA engine keeps
    them (a breach at start + target, deadlines of running clocks, the ticket's next deadline and breached flag)."""

    def ts(epoch: str) -> str:  # SQLite: the ORM's own text format, since SQLite compares the stored strings
        return f"to_timestamp({epoch})" if pg else f"(strftime('%Y-%m-%d %H:%M:%S', {epoch}, 'unixepoch') || '.000000')"

    json = "CAST(:{} AS JSON)" if pg else ":{}"
    counted = "(CASE WHEN status = 'pending' THEN ps - c ELSE :now - c END)"  # resolution working time so far
    fr_breached = "(status <> 'new' AND e1 > t1 OR status = 'new' AND c + t1 <= :now)"
    res_breached = f"(active = 0 AND re > t2 OR active = 1 AND {counted} >= t2)"
    res_running = "(active = 1 AND status <> 'pending' AND :now - c < t2)"
    res_breach = "CASE WHEN active = 0 THEN c + p + t2 ELSE c + t2 END"
    open_breach = f"(status = 'new' AND c + t1 <= :now OR active = 1 AND {counted} >= t2)"
    clock = (
        "INSERT INTO sla_clocks (ticket_id, metric, cycle, policy, state, target_seconds, business_hours, started_at, "
        "deadline_at, breached_at, stopped_at, breach_reason, version, updated_at, elapsed_seconds, paused_seconds, "
        f"paused_since) SELECT n, '{{metric}}', 0, tier, {{state}}, {{target}}, FALSE, {ts('c')}, {{deadline}}, "
        f"{{breached_at}}, {{stopped}}, CASE WHEN {{breached}} THEN 'the target passed' END, 1, {ts(':now')}, "
        "{elapsed}, {paused}, {since} FROM digest_gen"
    )
    event = (
        "INSERT INTO ticket_events (ticket_id, kind, author_id, body, data, created_at) SELECT n, 'status_change', "
        "COALESCE(agent, :requester), '', {data}, {at} FROM digest_gen WHERE {where}"
    )
    return [
        "INSERT INTO tickets (id, subject, description, customer_id, priority, status, assignee_id, requester_id, "
        "source, queue_channel, card_version, next_deadline_at, sla_breached, created_at, updated_at) "
        f"SELECT n, 'Ticket ' || n, '', cust, prio, status, agent, :requester, 'command', :queue, 0, "
        f"CASE WHEN status = 'new' AND c + t1 > :now THEN {ts('c + t1')} WHEN {res_running} THEN {ts('c + t2')} END, "
        f"CASE WHEN {open_breach} THEN TRUE ELSE FALSE END, {ts('c')}, "
        f"{ts('CASE WHEN active = 1 THEN :now ELSE c + re + p END')} FROM digest_gen",
        clock.format(
            metric=FIRST_RESPONSE,
            state=f"CASE WHEN {fr_breached} THEN 'breached' WHEN status = 'new' THEN 'running' ELSE 'met' END",
            target="t1",
            deadline=f"CASE WHEN status = 'new' OR e1 > t1 THEN {ts('c + t1')} END",
            breached_at=f"CASE WHEN {fr_breached} THEN {ts('c + t1')} END",
            stopped=f"CASE WHEN status <> 'new' THEN {ts('c + e1')} END",
            breached=fr_breached,
            elapsed="CASE WHEN status <> 'new' THEN e1 END",
            paused="0",
            since=ts("CASE WHEN 1 = 0 THEN 0 END"),  # a typed NULL: PostgreSQL reads a bare one as text here
        ),
        clock.format(
            metric=RESOLUTION,
            state=f"CASE WHEN {res_breached} THEN 'breached' WHEN active = 0 THEN 'met' "
            "WHEN status = 'pending' THEN 'paused' ELSE 'running' END",
            target="t2",
            deadline=f"CASE WHEN {res_breached} THEN {ts(res_breach)} WHEN {res_running} THEN {ts('c + t2')} END",
            breached_at=f"CASE WHEN {res_breached} THEN {ts(res_breach)} END",
            stopped=f"CASE WHEN active = 0 THEN {ts('c + re + p')} END",
            breached=res_breached,
            elapsed="CASE WHEN active = 0 THEN re END",
            paused="CASE WHEN active = 0 THEN p ELSE 0 END",
            since=ts("ps"),
        ),
        event.format(data=json.format("solved"), at=ts("c + re + p"), where="active = 0"),
        event.format(data=json.format("reopened"), at=ts("reopen"), where="reopen IS NOT NULL"),
    ]


def generate(database: Database, tickets: int, period: int, *, say: Say) -> dict[str, float]:
    """Fill a migrated, empty database; returns how long generating and analysing took, and the row counts."""
    engine = database.engine
    pg = engine.dialect.name == "postgresql"
    now, start = int(NOW.timestamp()), int(NOW.timestamp()) - WEEK
    old = tickets - period
    params = {"now": now, "start": start, "year0": now - YEAR, "old": old, "old_div": max(old, 1), "period": period}
    params |= {"requester": REQUESTER, "queue": QUEUE}
    params |= {"solved": '{"old": "open", "new": "solved"}', "reopened": '{"old": "solved", "new": "open"}'}
    began = time.perf_counter()
    with database.session() as session:
        tiers = ["premium"] * PREMIUM_CUSTOMERS + ["standard"] * (CUSTOMERS - PREMIUM_CUSTOMERS)
        rows = [{"id": i, "name": f"Customer {i:03d}", "tier": tier, "created_at": NOW - timedelta(days=400)}
                for i, tier in enumerate(tiers, start=1)]  # fmt: skip
        session.execute(insert(Customer), rows)
    generate_sql, inserts = _generate_sql(pg), _insert_sql(pg)
    with engine.connect() as connection:
        superuser = pg and connection.scalar(text("SELECT current_setting('is_superuser')")) == "on"
        columns = "n cust tier prio agent t1 t2 c e1 re p active status ps reopen".split()
        types = ", ".join(f"{c} {'TEXT' if c in ('tier', 'prio', 'agent', 'status') else 'BIGINT'}" for c in columns)
        connection.execute(text(f"CREATE TEMP TABLE digest_gen ({types})"))
        connection.commit()
        for lo in range(1, tickets + 1, CHUNK):
            hi = min(tickets, lo + CHUNK - 1)
            with connection.begin():
                if pg:
                    connection.execute(text("SET LOCAL synchronous_commit = off"))  # the benchmark's own database
                    if superuser:  # no per-row foreign-key triggers: the rows are consistent by construction
                        connection.execute(text("SET LOCAL session_replication_role = replica"))
                connection.execute(text(generate_sql), params | {"lo": lo, "hi": hi})
                for sql in inserts:
                    connection.execute(text(sql), params)
                connection.execute(text("DELETE FROM digest_gen"))
            say(f"  {engine.dialect.name}: {hi:,} of {tickets:,} tickets generated")
        connection.execute(text("DROP TABLE digest_gen"))
        connection.commit()
    _incidents(database, tickets)
    generated = time.perf_counter() - began
    began = time.perf_counter()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        if pg:
            for table in ("customers", "tickets"):
                connection.execute(
                    text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
                )
        # As a deployed database would have: PostgreSQL's autovacuum (statistics and the visibility map); on SQLite
        # an ANALYZE an operator ran (Liaison runs none; with its statistics SQLite plans some figures far worse).
        connection.execute(text("VACUUM ANALYZE" if pg else "ANALYZE"))
    analysed = time.perf_counter() - began
    with database.session() as session:
        counts = {key: session.scalar(text(f"SELECT count(*) FROM {table}"))
                  for key, table in (("clocks", "sla_clocks"), ("events", "ticket_events"))}  # fmt: skip
        in_period = Ticket.created_at >= NOW - timedelta(seconds=WEEK)  # SQLite compares the text: the ORM's format
        created = session.scalar(select(func.count()).select_from(Ticket).where(in_period))
        last = session.get(Ticket, tickets)
    expected = NOW - timedelta(seconds=WEEK) + timedelta(seconds=(period - 1) * WEEK // period)
    if created != period or last is None or last.created_at != expected:
        raise BenchError(f"generated data: {created} tickets in the period (wanted {period}), or they do not read back")
    return {"generate_s": generated, "analyze_s": analysed, **counts}


def _incidents(database: Database, tickets: int) -> None:
    """One incident a week, the last two still open, each with a few tickets of its time linked."""
    with database.session() as session:
        for week in range(52):
            at = NOW - timedelta(seconds=YEAR) + timedelta(weeks=week, hours=3)
            resolved = None if week >= 50 else at + timedelta(hours=6)
            incident = Incident(title=f"Outage {week + 1}", severity=SEVERITIES[week % 4], declared_by=AGENTS[0],
                                status="resolved" if resolved else "identified", created_at=at, updated_at=at,
                                resolved_at=resolved)  # fmt: skip
            session.add(incident)
            session.flush()
            first = 1 + week * tickets // 52
            session.add_all(
                IncidentTicket(incident_id=incident.id, ticket_id=t, linked_by=AGENTS[0], linked_at=at)
                for t in range(first, min(tickets, first + 5 + week % 20) + 1)
            )
