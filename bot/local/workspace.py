"""The demo workspace of local mode: people, channels and the agents' group that config/liaison.toml names."""

from __future__ import annotations

from dataclasses import dataclass

from bot.local.standin import SlackStandIn


@dataclass(frozen=True)
class Person:
    user_id: str
    name: str
    real_name: str
    role: str
    tz: str = "America/New_York"


PEOPLE = (
    Person("U0ALICE01", "alice", "Alice Adams", "support agent"),
    Person("U0BOB0001", "bob", "Bob Berg", "support agent", tz="Europe/Berlin"),
    Person("U0CAROL01", "carol", "Carol Chen", "account manager (not an agent)"),
    Person("U0DAVE001", "dave", "Dave Diaz", "support manager", tz="America/Los_Angeles"),
    Person("U0WILE001", "wile", "Wile E. Coyote", "a customer, at Acme (in #acme-shared)", tz="America/Phoenix"),
)
QUEUE, GENERAL, CUSTOMER, INCIDENTS = "C0QUEUE01", "C0GENERAL1", "C0ACMESHR1", "C0INCIDNT1"
MANAGERS = "C0MANAGER1"  # #support-leads: where the policy file's daily digest goes
AGENTS, LEADS = "S0AGENTS1", "S0LEADS01"


def seed(standin: SlackStandIn) -> None:
    for person in PEOPLE:
        standin.add_user(person.user_id, person.name, real_name=person.real_name, tz=person.tz)
    everyone = [p.user_id for p in PEOPLE]
    agents = ["U0ALICE01", "U0BOB0001", "U0DAVE001"]
    standin.add_usergroup(AGENTS, "support", agents)
    standin.add_usergroup(LEADS, "support-leads", ["U0BOB0001"])
    standin.add_channel(QUEUE, "support-queue", members=[*agents, standin.bot_user_id])
    standin.add_channel(GENERAL, "general", members=[*everyone, standin.bot_user_id])
    standin.add_channel(CUSTOMER, "acme-shared", members=["U0ALICE01", "U0CAROL01", "U0WILE001", standin.bot_user_id])
    standin.add_channel(INCIDENTS, "incidents", members=[*agents, standin.bot_user_id])
    standin.add_channel(MANAGERS, "support-leads", members=["U0BOB0001", "U0DAVE001", standin.bot_user_id])
