"""Seeded random requests of every kind Slack sends, signed, against the running app: each gets a calm answer.

No 5xx, nothing logged at ERROR and no traceback, every answer within Slack's 3 s, and the tickets the fuzzing
people may not change (opened by an agent; the fuzz acts as a colleague outside support, a user Slack no longer
knows, and an agent kept to tickets the fuzz opened itself) unchanged. Deterministic: one seed, a fixed count.
"""

from __future__ import annotations

import json
import logging
import random
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from bot.db import Database
from bot.local.driver import DriverResponse, SlackDriver
from bot.local.standin import SlackStandIn
from models import Ticket, TicketEvent
from tests.e2e.helpers import open_ticket
from tests.slack_fixtures import ALICE, BOB, CAROL, GENERAL, QUEUE

SEED, REQUESTS = 20261, 2500
GHOST = "U0GHOST01"  # a user Slack no longer knows
PROTECTED = (1, 2)  # opened by Alice before the fuzz; nobody the fuzz plays may change them
FORM = "application/x-www-form-urlencoded"
WORDS = ["printer", "on", "fire", "T-1", "#2", "3", "<!here>", "<!channel>", "<@U0BOB0001>", "&amp;", "&lt;tray 2&gt;"]
WORDS += ["<https://evil.example|click>", "🔥", "ünïcödé", "\t", "\n", "`", "*bold*", "0x1", "-1", "9" * 30, " "]
SUBCOMMANDS = ["help", "new", "list", "show", "claim", "assign", "status", "priority", "reply", "note", "customer"]
SUBCOMMANDS += ["outbox", "take", "comment", "prio", "bogus", ""]
ACTION_IDS = ["ticket_claim", "ticket_status", "ticket_note", "sla_snooze_30m", "sla_snooze_2h", "sla_snooze_tomorrow"]
BLOCK_IDS = ["customer", "new_customer", "tier", "subject", "description", "priority", "note", "other"]


class Fuzz:
    """Builds random requests from one seeded generator and posts them signed."""

    def __init__(self, driver: SlackDriver, slack: SlackStandIn, messages: list[str]) -> None:
        self.driver, self.slack, self.messages = driver, slack, messages
        self.random = random.Random(SEED)
        self.sent: list[tuple[bytes, str]] = []
        self.view_ids = [f"V0FUZZ{n:04d}" for n in range(40)]  # reused, so some submissions repeat a view

    # ----- random pieces

    def text(self, words: int = 6) -> str:
        r = self.random
        if r.random() < 0.05:
            return r.choice(WORDS) * r.randint(100, 2000)  # over every limit
        return " ".join(r.choice(WORDS) for _ in range(r.randint(0, words)))

    def user(self) -> str:
        return self.random.choice([CAROL, CAROL, GHOST, BOB, BOB])

    def key(self, user: str) -> str:
        # The agent only ever names tickets the fuzz opened (or none at all), so the protected ones stay untouched.
        low = 3 if user == BOB else 1
        return self.random.choice([f"T-{self.random.randint(low, 30)}", f"{self.random.randint(low, 30)}", "T-0"])

    def value(self, user: str) -> Any:
        r = self.random
        if r.random() < 0.6:  # mostly strings, as Slack sends, so most requests get past the shape checks
            return r.choice([self.key(user), self.text(3), "0x1:30m", f"{r.randint(1, 10**20)}:2h", "solved", "P1"])
        return r.choice(
            [
                None,
                r.randint(-5, 10**40),
                1.5,
                True,
                [self.key(user)],
                {"value": self.key(user)},
                self.text(3),
                self.key(user),
                "0x1:30m",
                f"{r.randint(1000, 10**20)}:{r.choice(['30m', '2h', 'tomorrow', 'later'])}",
                "",
            ]
        )

    def metadata(self, user: str) -> Any:
        r = self.random
        meta = {
            "source": r.choice(["command", "shortcut", "reaction", "x" * 40, None, 7]),
            "channel": r.choice([GENERAL, "C0NOWHERE", None, "x" * 300]),
            "ts": r.choice(["1700000000.000100", None, 12, "1.2.3", "9" * 30]),
            "permalink": r.choice([None, "https://liaison-local.slack.com/archives/x", "javascript:x", "https://a|b"]),
            "key": self.value(user),
        }
        return r.choice([None, "", "{not json", "[1, 2]", json.dumps(meta), json.dumps({"key": self.key(user)}), 7])

    def state(self, user: str) -> dict[str, Any]:
        r = self.random
        values: dict[str, Any] = {}
        for block_id in r.sample(BLOCK_IDS, r.randint(0, len(BLOCK_IDS))):
            option = r.choice([None, {"value": self.value(user)}, self.value(user)])
            element = r.choice(
                [
                    {"type": "plain_text_input", "value": self.value(user)},
                    {"type": "static_select", "selected_option": option},
                    self.value(user),
                ]
            )
            values[block_id] = {r.choice(["value", "value", "other"]): element}
        if r.random() < 0.5:  # often a form a person could really submit
            values |= {
                "subject": {"value": {"type": "plain_text_input", "value": self.text(4) or "subject"}},
                "new_customer": {"value": {"type": "plain_text_input", "value": self.text(2) or "Acme"}},
                "note": {"value": {"type": "plain_text_input", "value": self.text(5)}},
            }
        return values

    # ----- requests

    def post(self, body: bytes, content_type: str) -> DriverResponse:
        self.sent.append((body, content_type))
        return self.driver.post_raw(body, {"Content-Type": content_type, **self.driver.sign(body)})

    def interactive(self, payload: dict[str, Any]) -> DriverResponse:
        return self.post(urlencode({"payload": json.dumps(payload)}).encode(), FORM)

    def command(self) -> DriverResponse:
        user, r = self.user(), self.random
        words = [r.choice(SUBCOMMANDS), self.key(user), self.text()]
        if words[0] == "assign":
            words[2] = r.choice(["<@U0BOB0001|bob>", "<@U0ALICE01>", f"<@U{'1' * 40}>", "@bob", self.text(1)])
        elif words[0] in ("status", "priority") and r.random() < 0.7:
            words[2] = r.choice(["open", "pending", "solved", "on hold", "P1", "p2", "4"])
        fields = {
            "command": "/ticket",
            "text": " ".join(words[: r.choice([0, 1, 2, 3, 3, 3])]),
            "user_id": user,
            "user_name": "fuzz",
            "team_id": self.slack.team_id,
            "channel_id": r.choice([GENERAL, QUEUE, "D0NOWHERE"]),
            "trigger_id": self.slack.issue_trigger_id(user),
            "response_url": self.slack.new_response_url(channel=GENERAL, user=user),
            "api_app_id": "A0LIAISON",
        }
        return self.post(urlencode(fields).encode(), FORM)

    def base(self, kind: str, user: str) -> dict[str, Any]:
        return {"type": kind, "user": {"id": user}, "team": {"id": self.slack.team_id}, "api_app_id": "A0LIAISON"}

    def view_submission(self) -> DriverResponse:
        user, r = self.user(), self.random
        blocks = [{"type": "input", "block_id": b} for b in r.sample(BLOCK_IDS, r.randint(0, 3))]
        view = {
            "id": r.choice(self.view_ids),
            "type": "modal",
            "callback_id": r.choice(["ticket_new", "ticket_new", "ticket_note_modal", "other"]),
            "private_metadata": self.metadata(user),
            "state": {"values": self.state(user)},
            "blocks": r.choice([blocks, [], None, "blocks"]),
            "hash": "1.2",
        }
        return self.interactive(self.base("view_submission", user) | {"view": view})

    def block_action(self) -> DriverResponse:
        user, r = self.user(), self.random
        action = {
            "action_id": r.choice([*ACTION_IDS, "other"]),
            "block_id": r.choice([f"card:{self.key(user)}", "card:", "x", None]),
            "type": r.choice(["button", "static_select"]),
            "value": self.value(user),
            "selected_option": r.choice([None, {"value": self.value(user)}, self.value(user)]),
            "action_ts": r.choice(["1700000000.1", "1700000000.2", None, None, 5]),
        }
        if r.random() < 0.4:  # a control of a real card: its action, its ticket, a real choice
            key = self.key(user)
            action |= {"action_id": r.choice(ACTION_IDS[:3]), "block_id": f"card:{key}", "value": key}
            action["selected_option"] = {"value": r.choice(["open", "pending", "solved", "closed", "nope"])}
        elif r.random() < 0.2:
            action = {k: v for k, v in action.items() if k in ("action_id", "type")}
        payload = self.base("block_actions", user) | {"actions": [action], "trigger_id": self.slack.issue_trigger_id()}
        if r.random() < 0.5:
            payload |= {"container": {"type": "view", "view_id": "V0HOME"}}
        else:
            payload |= {"container": {"type": "message", "channel_id": QUEUE, "message_ts": "1.2"}}
            payload["response_url"] = self.slack.new_response_url(channel=QUEUE, user=user)
        return self.interactive(payload)

    def shortcut(self) -> DriverResponse:
        user, r = self.user(), self.random
        if r.random() < 0.3:
            return self.interactive(self.base("shortcut", user) | {"callback_id": r.choice(["create_ticket", "x"])})
        ts = r.choice([*self.messages, "1700000000.000100"])
        payload = self.base("message_action", user) | {
            "callback_id": r.choice(["create_ticket", "create_ticket", "other"]),
            "trigger_id": self.slack.issue_trigger_id(user),
            "channel": {"id": GENERAL, "name": "general"},
            "message_ts": ts,
            "message": {"type": "message", "ts": ts, "user": CAROL, "text": self.text()},
            "response_url": self.slack.new_response_url(channel=GENERAL, user=user),
        }
        return self.interactive(payload)

    def event(self) -> DriverResponse:
        user, r = self.user(), self.random
        if r.random() < 0.5:
            event = {"type": "app_home_opened", "user": r.choice([user, ALICE]), "tab": r.choice(["home", "messages"])}
        else:
            channel = r.choice([GENERAL, GENERAL, "C0NOWHERE"])
            item = {"type": r.choice(["message", "file"]), "channel": channel}
            item["ts"] = r.choice([*self.messages, "1700000000.000100"])
            event = {"type": "reaction_added", "user": user, "reaction": r.choice(["ticket", "eyes"]), "item": item}
        if r.random() < 0.1:
            event = {"type": r.choice(["message", "app_mention", "member_joined_channel"]), "user": user}
        envelope = {
            "type": "event_callback",
            "team_id": self.slack.team_id,
            "api_app_id": "A0LIAISON",
            "event": event | {"event_ts": "1700000000.000200"},
            "event_id": f"Ev{r.randint(0, 10**9):010d}",
            "event_time": 1700000000,
        }
        return self.post(json.dumps(envelope).encode(), "application/json")

    def retry(self) -> DriverResponse:
        body, content_type = self.random.choice(self.sent[-20:])
        headers = {"Content-Type": content_type, **self.driver.sign(body)}
        return self.driver.post_raw(body, headers | {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})

    def any(self) -> DriverResponse:
        kinds = [self.command] * 3 + [self.view_submission] * 3 + [self.block_action] * 3 + [self.shortcut, self.event]
        if self.sent and self.random.random() < 0.1:
            return self.retry()
        return self.random.choice(kinds)()


def protected_state(database: Database) -> list[tuple]:
    with database.session() as session:
        tickets = [session.get(Ticket, n) for n in PROTECTED]
        events = session.scalar(
            select(func.count()).select_from(TicketEvent).where(TicketEvent.ticket_id.in_(PROTECTED))
        )
        return [(t.subject, t.status, t.priority, t.assignee_id, t.row_version, t.card_version) for t in tickets] + [
            (events,)
        ]


def test_random_requests_of_every_kind_get_calm_answers(
    driver: SlackDriver, slack: SlackStandIn, database: Database, caplog: pytest.LogCaptureFixture, deliver
) -> None:
    open_ticket(driver, ALICE, "Protected one")
    open_ticket(driver, ALICE, "Protected two", priority="P1")
    messages = [slack.post_user_message(GENERAL, CAROL, f"Help with order {n} & <stuff>") for n in range(3)]
    deliver()
    before = protected_state(database)
    caplog.set_level(logging.WARNING)
    fuzz = Fuzz(driver, slack, messages)
    answers = [fuzz.any() for _ in range(REQUESTS)]
    deliver()
    assert [a.status for a in answers if a.status >= 500] == []
    slow = sorted(a.elapsed for a in answers)[-1]
    assert slow < 3.0, f"slowest answer took {slow:.2f}s"
    bad = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert bad == [], [f"{r.name}: {r.getMessage()}" for r in bad[:5]]
    assert protected_state(database) == before
    # The fuzz did reach the app's code, not only Bolt's "unhandled request" answer: it opened and changed tickets.
    assert sum(a.status == 200 for a in answers) > REQUESTS // 2
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(Ticket)) > 10
        kinds = set(session.scalars(select(TicketEvent.kind).where(TicketEvent.ticket_id.not_in(PROTECTED))))
    assert {"assignee_change", "status_change", "internal_note"} <= kinds
