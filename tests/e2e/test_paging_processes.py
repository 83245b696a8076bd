"""Paging across processes (SQLite or PostgreSQL): 60 escalated tickets and 10 direct pages walk their levels in real
time while three worker processes sweep the timeouts and deliver the messages. One worker is killed with SIGKILL
mid-run, right after Slack posted one of its DMs or thread lines and before it could record that. The test process
acknowledges some pages meanwhile, each as soon as the sweep has paged the level chosen for it, while that level's DMs
are on their way.

Every DM is posted exactly once, each DM of an acknowledged page is edited exactly once, each thread line appears
once and in level order, an acknowledged page pages no further level, and the others end exhausted after their
last level, with no message or timer left behind.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from slack_sdk import WebClient
from sqlalchemy import func, select

from bot.clock import SystemClock
from bot.config import LiaisonConfig
from bot.db import Database
from bot.local.standin import SlackStandIn
from bot.local.workspace import GENERAL, QUEUE, seed
from bot.paging.service import ESCALATE
from bot.services import Services
from bot.tickets.service import Actor, TicketDraft
from models import OutboxMessage, Page, PageNotice, Ticket, Timer
from tests.e2e.helpers import block_texts

ROOT = Path(__file__).resolve().parents[2]
ALICE, BOB, DAVE, ERIN = "U0ALICE01", "U0BOB0001", "U0DAVE001", "U0ERIN001"
PAGERS = "S0PAGERS1"  # the user group of level 2 and of the direct pages: Bob and Dave
TICKETS, DIRECT = 60, 10
ACK_EVERY = 5  # the test process acknowledges every fifth ticket's page and two direct pages while the workers run
DIRECT_ACKS = 2
KILL_AFTER_FIRED = 20  # the worker is killed once levels move on
WORKER_HEADER = "X-Paging-Worker"  # names the worker a Slack call came from
FIRED = select(func.count()).select_from(Timer).where(Timer.kind == ESCALATE, Timer.state == "fired")
LABEL = re.compile(r"level \d of \d(?:, round \d of \d)?")  # where a DM or thread line says which step it is
MENTION = re.compile(r"<@\w+>")

# Level timeouts of seconds: long enough that the test process, acknowledging alongside three busy workers on a
# loaded machine, answers within the level it means to, short enough that the whole ladder runs in seconds.
POLICY_FILE = f"""
[tickets]
queue_channel = "{QUEUE}"
[oncall]
default_policy = "support"
direct_timeout = "4s"
direct_repeat = 1
[oncall.schedules.primary]
timezone = "America/New_York"
[[oncall.schedules.primary.layers]]
users = ["{ALICE}"]
rotation = "weekly"
start = "2026-01-05T09:00"
[oncall.policies.support]
levels = [
  {{ targets = ["primary"], timeout = "5s" }},
  {{ targets = ["{PAGERS}"], timeout = "4s" }},
  {{ targets = ["{ERIN}"], timeout = "4s" }},
]
"""

# (round, level) → who is paged there, in the order a page walks them; and the label its DM and thread line show.
TICKET_LADDER = [((0, 0), [ALICE]), ((0, 1), [BOB, DAVE]), ((0, 2), [ERIN])]
DIRECT_LADDER = [((0, 0), [BOB, DAVE]), ((1, 0), [BOB, DAVE])]


def ticket_label(step: tuple[int, int]) -> str:
    return f"level {step[1] + 1} of 3"


def direct_label(step: tuple[int, int]) -> str:
    return f"level 1 of 1, round {step[0] + 1} of 2"


@dataclass
class Seeded:
    page_id: int
    ticket_id: int | None
    ladder: list[tuple[tuple[int, int], list[str]]]
    acked_by: str | None = None
    acked_after: int = 0  # how many steps of the ladder had been paged when the test acknowledged it

    @property
    def key(self) -> str:
        return f"PG-{self.page_id}"

    def label(self, step: tuple[int, int]) -> str:
        return ticket_label(step) if self.ticket_id is not None else direct_label(step)


class KillingStandIn(SlackStandIn):
    """The stand-in, able to SIGKILL a worker once it has posted the worker's next message and before it answers."""

    def __init__(self) -> None:
        super().__init__()
        self._armed: subprocess.Popen | None = None
        self._arming = threading.Lock()
        self.killed_on: str | None = None  # the dedupe key of the message posted as the worker died
        self.killed = threading.Event()

    def arm(self, victim: subprocess.Popen) -> None:
        with self._arming:
            self._armed = victim

    def _serve_api(self, method: str, query: str, headers: Any, body: bytes) -> Any:
        # Every Web API call passes here; the answer goes back to the worker only once this returns.
        answer = super()._serve_api(method, query, headers, body)
        if method != "chat.postMessage" or not answer[2].get("ok") or headers.get(WORKER_HEADER) != "victim":
            return answer
        key = json.loads(body)["metadata"]["event_payload"]["dedupe_key"]
        if key.startswith("page:"):  # a page's DM or thread line, not a ticket's card
            with self._arming:
                victim, self._armed = self._armed, None
            if victim is not None:
                # Slack has acted; the worker never hears it did. Whoever takes its message over must look first.
                self.killed_on = key
                victim.send_signal(signal.SIGKILL)
                self.killed.set()
        return answer


@pytest.fixture
def standin() -> Iterator[KillingStandIn]:
    slack = KillingStandIn()
    seed(slack)
    slack.add_user(ERIN, "erin", real_name="Erin Nights")
    slack.add_usergroup(PAGERS, "pagers", [BOB, DAVE])
    slack.start()
    yield slack
    slack.stop()


def build_services(database: Database, slack: SlackStandIn, config_path: Path) -> Services:
    client = WebClient(token=slack.bot_token, base_url=slack.api_url, timeout=30)
    config = LiaisonConfig.load(config_path)
    return Services.build(config=config, clock=SystemClock(), database=database, client=client)


def start_pages(services: Services) -> list[Seeded]:
    """60 tickets escalated on the three-level policy and 10 direct pages of the user group, all at once."""
    alice = Actor(user_id=ALICE, is_agent=True)
    seeded = []
    for n in range(1, TICKETS + 1):
        ticket = services.tickets.open(alice, TicketDraft(subject=f"Checkout {n} down", new_customer="Acme")).ticket
        started = services.paging.escalate(alice, ticket.key, reason=f"Customer {n} furious")
        seeded.append(Seeded(started.page.id, ticket.id, TICKET_LADDER))
    for n in range(1, DIRECT + 1):
        started = services.paging.page(alice, PAGERS, f"Database failover {n}", channel=GENERAL)
        seeded.append(Seeded(started.page.id, None, DIRECT_LADDER))
    return seeded


def count(database: Database, query: Any) -> int:
    with database.session() as session:
        return session.scalar(query)


def start_worker(database: Database, slack: SlackStandIn, config_path: Path, log: Path, name: str) -> subprocess.Popen:
    env = os.environ | {
        "DATABASE_URL": database.url,
        "SLACK_API_URL": slack.api_url,
        "SLACK_BOT_TOKEN": slack.bot_token,
        "LIAISON_CONFIG": str(config_path),
        "PAGING_WORKER": name,
    }
    # Output to a file, not a pipe: nobody reads a pipe while the workers run, and a full one would stall them.
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "tests.e2e.paging_worker"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )


def test_three_processes_page_every_level_once_though_one_is_killed_and_pages_are_acknowledged_meanwhile(
    database: Database, standin: KillingStandIn, tmp_path: Path
) -> None:
    config_path = tmp_path / "liaison.toml"
    config_path.write_text(POLICY_FILE, encoding="utf-8")
    services = build_services(database, standin, config_path)
    seeded = start_pages(services)
    logs = [tmp_path / f"worker-{n}.log" for n in range(3)]
    names = ["victim", "one", "two"]
    workers = [start_worker(database, standin, config_path, log, name) for log, name in zip(logs, names, strict=True)]
    try:
        held = run_alongside(database, services, seeded, workers, standin)
        for worker in workers:
            worker.wait(timeout=150)
        outputs = [log.read_text(errors="replace") for log in logs]
        assert workers[0].returncode == -signal.SIGKILL
        assert [w.returncode for w in workers[1:]] == [0, 0], [o[-1500:] for o in outputs]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()  # a worker left running would sweep the next tests' timers
                worker.wait()

    assert_nothing_left(database)
    # What the killed worker held was taken over as "in doubt" (an attempt with no outcome); the message Slack had
    # posted as it died was found there, not posted again.
    taken_over = select(OutboxMessage.id).where(OutboxMessage.id.in_(held), OutboxMessage.attempts >= 2)
    assert sorted(ids(database, taken_over)) == sorted(held)
    posted = [c for c in standin.calls("chat.postMessage") if metadata_key(c.args) == standin.killed_on]
    assert len(posted) == 1, standin.killed_on
    notices = assert_final_states(database, seeded)
    assert_dms(standin, seeded, notices)
    assert_thread_lines(database, standin, seeded, notices)


def run_alongside(
    database: Database, services: Services, seeded: list[Seeded], workers: list, slack: KillingStandIn
) -> list[int]:
    """While the workers run: once levels move on, kill one as Slack posts its next paging message; and acknowledge
    some pages as soon as the sweep has paged the level chosen for them, while that level's DMs are on their way.
    Returns the ids of the messages the killed worker held (claimed, not settled)."""
    victim, held, waiting = workers[0], None, acknowledgements(seeded)
    holding = select(OutboxMessage.id).where(
        OutboxMessage.state == "pending", OutboxMessage.lease_owner.like(f"{victim.pid}:%")
    )
    deadline = time.monotonic() + 120
    while (held is None or waiting) and time.monotonic() < deadline:
        if not slack.killed.is_set() and count(database, FIRED) >= KILL_AFTER_FIRED:
            slack.arm(victim)
        if held is None and slack.killed.is_set():
            victim.wait()
            held = ids(database, holding)  # read well within the lease, before anyone could take them over
        reached = steps_reached(database, [page for page, _, _ in waiting])
        for page, user, step in [w for w in waiting if reached[w[0].page_id] >= w[2]]:
            answer = services.paging.acknowledge(user, page.page_id)
            assert answer.applied, answer.text
            page.acked_by, page.acked_after = user, step
            waiting.remove((page, user, step))
        time.sleep(0.01)
    assert held and not waiting, "the workers never got going"
    return held


def ids(database: Database, query: Any) -> list[int]:
    with database.session() as session:
        return list(session.scalars(query))


def acknowledgements(seeded: list[Seeded]) -> list[tuple[Seeded, str, int]]:
    """Which pages to acknowledge, as whom, once how many of their steps were paged (one more: once exhausted).

    Every fifth ticket, as Alice: at level 2 or level 3. Two direct pages, as Dave: in round 2, and once exhausted.
    Right after the sweep moved the page on, so the level acknowledged is known; acknowledging at the very moment a
    timeout fires is forced and checked on its own in test_paging_races.py.
    """
    tickets = [s for s in seeded if s.ticket_id is not None][ACK_EVERY - 1 :: ACK_EVERY]
    direct = [s for s in seeded if s.ticket_id is None][:DIRECT_ACKS]
    return [(s, ALICE, 2 + n % 2) for n, s in enumerate(tickets)] + [(s, DAVE, 2 + n) for n, s in enumerate(direct)]


def steps_reached(database: Database, pages: list[Seeded]) -> dict[int, int]:
    """How many steps of its ladder each page has paged so far; one more than all of them once it is exhausted."""
    ladders = {page.page_id: [step for step, _ in page.ladder] for page in pages}
    with database.session() as session:
        rows = session.execute(
            select(Page.id, Page.state, Page.round, Page.level).where(Page.id.in_(list(ladders)))
        ).all()
    return {
        row.id: len(ladders[row.id]) + 1
        if row.state == "exhausted"
        else ladders[row.id].index((row.round, row.level)) + 1
        for row in rows
    }


def assert_nothing_left(database: Database) -> None:
    with database.session() as session:
        outbox = dict(session.execute(select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)).all())
        timers = dict(session.execute(select(Timer.state, func.count()).group_by(Timer.state)).all())
    assert set(outbox) == {"delivered"}, outbox
    assert set(timers) <= {"fired", "cancelled"}, timers


def assert_final_states(database: Database, seeded: list[Seeded]) -> dict[int, list[PageNotice]]:
    """Each page ended as it should; returns each page's notices (who was paged at which step), oldest first."""
    with database.session() as session:
        pages = {p.id: p for p in session.scalars(select(Page))}
        notices: dict[int, list[PageNotice]] = defaultdict(list)
        for notice in session.scalars(select(PageNotice).order_by(PageNotice.id)):
            notices[notice.page_id].append(notice)
    assert sorted(pages) == sorted(s.page_id for s in seeded)
    for s in seeded:
        page, walked = pages[s.page_id], steps(notices[s.page_id])
        if s.acked_by is None:
            assert (page.state, walked) == ("exhausted", s.ladder), s.key
            continue
        assert (page.state, page.acked_by) == ("acknowledged", s.acked_by), s.key
        # Nothing was paged after the acknowledgement; a page acknowledged once exhausted keeps when it ended.
        assert walked == s.ladder[: s.acked_after], f"{s.key} walked {walked}"
        assert (page.ended_at < page.acked_at) == (s.acked_after > len(s.ladder)), s.key
    return notices


def steps(notices: list[PageNotice]) -> list[tuple[tuple[int, int], list[str]]]:
    walked: dict[tuple[int, int], list[str]] = {}
    for notice in notices:
        walked.setdefault((notice.round, notice.level), []).append(notice.user_id)
    return [(step, sorted(users)) for step, users in walked.items()]


def metadata_key(message: dict[str, Any]) -> str | None:
    return ((message.get("metadata") or {}).get("event_payload") or {}).get("dedupe_key")


def assert_dms(slack: SlackStandIn, seeded: list[Seeded], notices: dict[int, list[PageNotice]]) -> None:
    """One DM per notice, none twice; the DMs of acknowledged pages edited once, the others left with their buttons."""
    by_id = {s.page_id: s for s in seeded}
    expected = {n.dm_key: (by_id[page_id], n) for page_id, rows in notices.items() for n in rows}
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for user in (ALICE, BOB, DAVE, ERIN):
        for message in slack.messages(slack.dm_channel(user)):
            key = metadata_key(message)
            if key is not None and key.startswith("page:"):
                found[key].append(message | {"user_paged": user})
    assert sorted(found) == sorted(expected)
    assert [key for key, seen in found.items() if len(seen) > 1] == []
    for key, (page, notice) in expected.items():
        (message,) = found[key]
        assert message["user_paged"] == notice.user_id, key
        text = block_texts(message.get("blocks") or [])
        if page.acked_by is None:
            assert message["edited"] == 0, key
            assert page.label((notice.round, notice.level)) in text and "Acknowledge" in text, key
        else:
            assert message["edited"] == 1, key
            assert f"Acknowledged by <@{page.acked_by}>" in text, key

    # What was asked of Slack: a page's DM for a level posted once to each person; each DM edited at most once.
    posted, updates = Counter(), Counter()
    for call in slack.calls("chat.postMessage"):
        ok = call.status == 200 and (call.response or {}).get("ok")
        if ok and str(call.args.get("text", "")).startswith("Page PG-"):
            text = block_texts(call.args.get("blocks") or [])
            page_key = re.search(r"PG-\d+", call.args["text"]).group()
            posted[(call.args["channel"], page_key, LABEL.search(text).group())] += 1
    assert len(posted) == len(expected) and set(posted.values()) == {1}, posted.most_common(3)
    for call in slack.calls("chat.update"):
        if str(call.args.get("channel", "")).startswith("D") and (call.response or {}).get("ok"):
            updates[(call.args["channel"], call.args["ts"])] += 1
    acked_dms = sum(len(notices[s.page_id]) for s in seeded if s.acked_by)
    assert len(updates) == acked_dms and set(updates.values()) == {1}


def line_kind(page: Seeded, text: str) -> str:
    """What a thread line of the page says: a step paged (its label and who), exhausted, or acknowledged."""
    if "Nobody acknowledged" in text:
        return "exhausted"
    if page.acked_by and f"acknowledged by <@{page.acked_by}>" in text:
        return "acknowledged"
    paging = next((line for line in text.splitlines() if "Paging" in line), "")
    label = LABEL.search(paging)
    if label is None:
        return f"unexpected: {text}"
    return f"{label.group()}: {', '.join(MENTION.findall(paging))}"


def expected_lines(page: Seeded, walked: list[PageNotice], acked: bool, exhausted: bool) -> list[str]:
    lines = [f"{page.label(step)}: {', '.join(f'<@{u}>' for u in users)}" for step, users in steps(walked)]
    return lines + (["exhausted"] if exhausted else []) + (["acknowledged"] if acked else [])


def assert_thread_lines(
    database: Database, slack: SlackStandIn, seeded: list[Seeded], notices: dict[int, list[PageNotice]]
) -> None:
    """Each page's lines once, in order: the ticket's thread, or the thread of the direct page's announcement."""
    with database.session() as session:
        cards = dict(session.execute(select(Ticket.id, Ticket.card_ts)).all())
    general = slack.messages(GENERAL)
    for page in seeded:
        mine = re.compile(rf"\b{page.key}\b")
        exhausted = page.acked_by is None or page.acked_after > len(page.ladder)
        if page.ticket_id is not None:
            replies = slack.replies(QUEUE, cards[page.ticket_id])
            lines = [r["text"] for r in replies if mine.search(r["text"])]
            channel = [m for m in slack.messages(QUEUE) if mine.search(m["text"])]
            assert len(channel) == int(exhausted), f"{page.key}: the channel is told once when nobody acknowledged"
        else:
            (announcement,) = [m for m in general if mine.search(m["text"]) and "Paging" in m["text"]]
            told = [m for m in general if mine.search(m["text"]) and "Nobody acknowledged" in m["text"]]
            assert len(told) == int(exhausted), f"{page.key}: the channel is told once when nobody acknowledged"
            replies = slack.replies(GENERAL, announcement["ts"])
            lines = [announcement["text"]] + [r["text"] for r in replies]
        kinds = [line_kind(page, text) for text in lines]
        assert kinds == expected_lines(page, notices[page.page_id], page.acked_by is not None, exhausted), page.key
