"""The two apps under test, side by side in one process: a bare Bolt app that only acks, and the real Liaison.

Both are served by the same WSGI adapter and the same threaded `BackgroundServer`, talk to the same Slack
stand-in and are driven by signing drivers with the same secret, so the only difference between them is Liaison's
own work (database, permissions, blocks, outbox rows).
"""

from __future__ import annotations

import copy
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from alembic import command as alembic_command
from alembic.config import Config
from slack_bolt import Ack, App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from sqlalchemy import func, select

from app import Liaison, create_app
from bot.config import LiaisonConfig
from bot.local.driver import TEAM_DOMAIN, VERIFICATION_TOKEN, SlackDriver, find_element, state_value
from bot.local.serve import BackgroundServer
from bot.local.standin import SlackStandIn
from bot.local.workspace import AGENTS, QUEUE, seed
from bot.settings import Settings
from handlers.http import WSGIApp
from models import Ticket

ROOT = Path(__file__).resolve().parent.parent
SIGNING_SECRET = "bench-signing-secret"
EVENTS_PATH = "/slack/events"
AGENT = "U0ALICE01"  # a support agent of the demo workspace (member of the agents' user group)
NEW_TICKET = "ticket_new"


class BenchError(RuntimeError):
    """The benchmark could not measure: an app answered wrongly, or a modal did not open a ticket."""


def migrate(url: str) -> None:
    """Build the schema with the project's Alembic migrations, as the tests do."""
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["url"] = url
    config.attributes["configure_logger"] = False
    alembic_command.upgrade(config, "head")


def bare_wsgi(bolt: App, path: str = EVENTS_PATH) -> WSGIApp:
    """The same route Liaison's `handlers.http.wsgi_app` gives Bolt, without the health check."""
    slack = SlackRequestHandler(bolt)

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "") == path and environ.get("REQUEST_METHOD", "GET") == "POST":
            return slack(environ, start_response)
        start_response("404 Not Found", [("Content-Type", "text/plain"), ("Content-Length", "9")])
        return [b"not found"]

    return application


def bare_app(standin: SlackStandIn) -> App:
    """A Bolt app configured like Liaison's whose `/ticket` and new-ticket modal listeners only ack."""
    return bare_bolt(WebClient(token=standin.bot_token, base_url=standin.api_url, timeout=10), SIGNING_SECRET)


def bare_process() -> WSGIApp:
    """gunicorn entry point of the shipped suite's baseline: the bare app, configured from the environment as
    Liaison's `app:wsgi()` is (SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_API_URL)."""
    client = WebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"], timeout=10)
    return bare_wsgi(bare_bolt(client, os.environ["SLACK_SIGNING_SECRET"]))


def bare_bolt(client: WebClient, signing_secret: str) -> App:
    """The bare Bolt app on client: Liaison's App options, and `/ticket` and new-ticket listeners that only ack."""
    bolt = App(signing_secret=signing_secret, client=client, process_before_response=True)

    @bolt.command("/ticket")
    def _ticket(ack: Ack) -> None:
        ack()

    @bolt.view(NEW_TICKET)
    def _new_ticket(ack: Ack) -> None:
        ack()

    return bolt


@dataclass
class Rig:
    """Everything the workloads need: the stand-in, both apps' drivers, and Liaison itself."""

    standin: SlackStandIn
    liaison: Liaison
    bare: SlackDriver
    real: SlackDriver
    database_url: str
    seeded: list[str] = field(default_factory=list)

    def ticket_count(self) -> int:
        """How many tickets Liaison's database holds."""
        with self.liaison.services.database.session() as session:
            return int(session.scalar(select(func.count(Ticket.id))) or 0)

    def last_ticket_key(self) -> str:
        """The key (T-n) of the newest ticket."""
        with self.liaison.services.database.session() as session:
            newest = session.scalar(select(func.max(Ticket.id)))
        if newest is None:
            raise BenchError("no ticket in the database")
        return f"T-{newest}"

    def open_modal(self, subject: str) -> dict[str, Any]:
        """Run `/ticket new subject` against Liaison (untimed) and return the modal it opened in the stand-in."""
        response = self.real.command(AGENT, f"new {subject}")
        if response.status != 200:
            raise BenchError(f"/ticket new answered {response.status}: {response.text[:200]}")
        stack = self.standin.view_stack(AGENT)
        if not stack or stack[-1].get("callback_id") != NEW_TICKET:
            raise BenchError(f"/ticket new did not open the {NEW_TICKET!r} modal (answer: {response.text[:200]})")
        return stack[-1]

    def submission_body(self, view: dict[str, Any], values: dict[str, dict[str, Any]]) -> bytes:
        """The signed-form body Slack sends when the user submits view with values (as SlackDriver.submit_view)."""
        state = submitted_state(view, values)
        self.standin.set_view_state(view["id"], state)
        return form_body(submission_payload(self.standin, self.real, view, state))

    def customer_values(self, view: dict[str, Any]) -> dict[str, dict[str, Any]]:
        """Modal input picking the first existing customer (or typing one into an empty database)."""
        return customer_values(view)

    def open_ticket(self, subject: str) -> None:
        """Open one ticket through the modal, untimed (used to seed the database)."""
        view = self.open_modal(subject)
        body = self.submission_body(view, self.customer_values(view))
        response = self.real.post_raw(body, form_headers(self.real, body))
        error = self.standin.apply_view_response(AGENT, view["id"], response.status, response.body)
        if response.status != 200 or error is not None:
            raise BenchError(f"seeding: the modal answered {response.status} {response.text[:200]} ({error})")


def submitted_state(view: dict[str, Any], values: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The view's state.values once the user typed or picked values (block id -> action id -> value)."""
    state = copy.deepcopy(view["state"]["values"])
    for block_id, actions in values.items():
        block = next((b for b in view["blocks"] if b.get("block_id") == block_id), None)
        if block is None:
            raise BenchError(f"view {view['callback_id']!r} has no block {block_id!r}")
        for action_id, given in actions.items():
            _, element = find_element([block], action_id)
            state.setdefault(block_id, {})[action_id] = state_value(element, given)
    for block in view["blocks"]:  # untouched inputs travel with their initial or empty value
        element = block.get("element")
        if block.get("type") == "input" and isinstance(element, dict):
            state.setdefault(block["block_id"], {}).setdefault(element["action_id"], state_value(element))
    return state


def submission_payload(
    standin: SlackStandIn, driver: SlackDriver, view: dict[str, Any], state: dict[str, Any]
) -> dict[str, Any]:
    """The view_submission payload Slack sends when AGENT submits view with state (as SlackDriver.submit_view)."""
    user = standin.user(AGENT) or {}
    return {
        "type": "view_submission",
        "user": {"id": AGENT, "username": user.get("name"), "name": user.get("name"), "team_id": driver.team_id},
        "api_app_id": driver.api_app_id,
        "token": VERIFICATION_TOKEN,
        "team": {"id": driver.team_id, "domain": TEAM_DOMAIN},
        "enterprise": None,
        "is_enterprise_install": False,
        "trigger_id": standin.issue_trigger_id(AGENT),
        "view": view | {"state": {"values": state}},
        "response_urls": [],
    }


def customer_values(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Modal input picking the first existing customer (or typing one into an empty database)."""
    picker = next((b for b in view["blocks"] if b.get("block_id") == "customer"), None)
    chosen = (
        {"customer": {"value": picker["element"]["options"][0]["value"]}}
        if picker
        else {"new_customer": {"value": "Acme"}}
    )
    return chosen | {"priority": {"value": "P2"}, "description": {"value": "Payments fail since 9am."}}


def form_body(payload: dict[str, Any]) -> bytes:
    """An interactivity body: the payload as JSON in a urlencoded `payload` field."""
    return urlencode({"payload": json.dumps(payload)}).encode()


def form_headers(driver: SlackDriver, body: bytes) -> dict[str, str]:
    """Content-Type plus Slack's signature headers for body, signed now."""
    return {"Content-Type": "application/x-www-form-urlencoded", **driver.sign(body)}


@contextmanager
def build_rig(database_url: str | None = None, *, seed_tickets: int = 12) -> Iterator[Rig]:
    """Start the stand-in and both apps; database_url None: a fresh SQLite file in a temp dir, removed after."""
    with ExitStack() as stack:
        if database_url is None:
            folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="liaison-bench-"))
            database_url = f"sqlite:///{Path(folder) / 'bench.db'}"
        migrate(database_url)

        standin = SlackStandIn()
        seed(standin)
        standin.start()
        stack.callback(standin.stop)

        settings = Settings(
            bot_token=standin.bot_token,
            signing_secret=SIGNING_SECRET,
            app_token=None,
            api_url=standin.api_url,
            database_url=database_url,
            port=0,
            config_path=Path("unused.toml"),
        )
        config = LiaisonConfig(queue_channel=QUEUE, agent_usergroup=AGENTS)
        liaison = create_app(settings, config=config)
        stack.callback(liaison.services.database.dispose)

        servers = [BackgroundServer(bare_wsgi(bare_app(standin))).start(), BackgroundServer(liaison.wsgi).start()]
        for server in servers:
            stack.callback(server.stop)
        bare, real = (
            SlackDriver(events_url=f"{s.url}{EVENTS_PATH.lstrip('/')}", signing_secret=SIGNING_SECRET, standin=standin)
            for s in servers
        )
        rig = Rig(standin=standin, liaison=liaison, bare=bare, real=real, database_url=database_url)
        for number in range(seed_tickets):
            rig.open_ticket(f"Seeded ticket {number + 1}")
            rig.seeded.append(rig.last_ticket_key())
        for note in ("Customer on the legacy plan.", "Escalated to payments."):  # some activity for `show`
            response = rig.real.command(AGENT, f"note {rig.seeded[0]} {note}")
            if response.status != 200:
                raise BenchError(f"seeding: /ticket note answered {response.status}: {response.text[:200]}")
        yield rig
