"""The `/ticket` command language: text in, a parsed command out, or a usage error saying what is missing."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.errors import UsageError
from bot.templating import render
from bot.text import escape, from_slack, unescape
from bot.tickets import rules

# Slack sends mentions as <@U123> or <@U123|name> when the command escapes users (manifest: should_escape).
# Matched after unescape, so a mention typed out by hand as "<@U123>" names the person too.
MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")


@dataclass(frozen=True)
class Command:
    name: str
    key: str | None = None
    arg: str = ""


def usage(problem: str | None = None) -> str:
    return render("usage.md.j2", problem=problem, statuses=rules.STATUSES)


# name → (needs a key, what the argument is, an example); None means no argument.
SHAPES: dict[str, tuple[bool, str | None, str]] = {
    "help": (False, None, "/ticket help"),
    "new": (False, "", "/ticket new Checkout fails for Acme"),
    "list": (False, "", "/ticket list mine"),
    "outbox": (False, None, "/ticket outbox"),
    "show": (True, None, "/ticket show T-12"),
    "claim": (True, None, "/ticket claim T-12"),
    "assign": (True, "the person, as @name", "/ticket assign T-12 @alice"),
    "status": (True, "the status", "/ticket status T-12 pending"),
    "priority": (True, "the priority", "/ticket priority T-12 P1"),
    "reply": (True, "the reply text", "/ticket reply T-12 We have deployed a fix, please retry."),
    "note": (True, "the note text", "/ticket note T-12 Customer is on the legacy plan"),
    "customer": (True, "the customer's message", "/ticket customer T-12 Still failing for us"),
    "escalate": (True, "", "/ticket escalate T-12 support Customer cannot log in since 9:00"),
    "responder": (True, "the person, as @name", "/ticket responder T-12 @bob"),
    "stakeholder": (True, "the person, as @name", "/ticket stakeholder T-12 @dave"),
    "link": (True, "the incident", "/ticket link T-12 INC-7"),
    "incident": (True, None, "/ticket incident T-12"),
    "stats": (False, "", "/ticket stats 7d tier:premium"),
    "digest": (False, "", "/ticket digest subscribe #support-leads daily 09:00 Europe/Paris"),
    "customer-channel": (False, "the customer and their channel", "/ticket customer-channel Acme #acme-shared"),
    "away": (False, "", "/ticket away until 18:00"),
    "back": (False, None, "/ticket back"),
}
# Their text is read where channel and user ids are needed as Slack sent them.
RAW_TEXT = frozenset({"stats", "digest", "customer-channel"})
CHANNEL = re.compile(r"^<#([CG][A-Z0-9]{2,})(?:\|[^>]*)?>$")


def customer_and_channel(text: str) -> tuple[str, str]:
    """`Acme Corp #acme-shared` as Slack sends it → ("Acme Corp", "C0…")."""
    words = text.split()
    channel = CHANNEL.match(words[-1]) if words else None
    if channel is None or len(words) < 2:
        raise UsageError(
            "Name the customer, then their channel, for example `/ticket customer-channel Acme #acme-shared`."
        )
    return from_slack(" ".join(words[:-1])), channel.group(1)


ALIASES = {
    "page": "escalate",
    "create": "new",
    "open": "new",
    "ls": "list",
    "take": "claim",
    "comment": "note",
    "prio": "priority",
    "report": "stats",
    "digests": "digest",
    "shared-channel": "customer-channel",
}


def parse(text: str) -> Command:
    """Parse slash-command text as Slack sends it (entities encoded); free text comes out as the person typed it."""
    words = text.strip().split(maxsplit=1)
    if not words:
        return Command("help")
    name = ALIASES.get(words[0].lower(), words[0].lower())
    rest = words[1].strip() if len(words) > 1 else ""
    if name not in SHAPES:
        raise UsageError(usage(f"I don't know `/ticket {_short(words[0])}`."))
    needs_key, argument, example = SHAPES[name]
    key = None
    if needs_key:
        parts = rest.split(maxsplit=1)
        if not parts:
            raise UsageError(f"Which ticket? `/ticket {name}` needs a ticket key, for example `{example}`.")
        key = f"T-{rules.parse_key(from_slack(parts[0]))}"
        rest = parts[1].strip() if len(parts) > 1 else ""
    if argument and not rest:
        raise UsageError(f"`/ticket {name} {key}` needs {argument}, for example `{example}`.")
    if argument is None and rest and name != "help":
        raise UsageError(f"`/ticket {name}` takes nothing after {key or 'it'}; for example `{example}`.")
    if name in ("assign", "responder", "stakeholder"):
        mention = MENTION.match(unescape(rest))
        if not mention:
            raise UsageError(f"Name the person as a mention, for example `{example}`.")
        return Command(name, key, mention.group(1))
    if name in RAW_TEXT:
        return Command(name, key, rest)
    rest = from_slack(rest)
    if name == "status":
        rest = rules.parse_status(rest)
    elif name == "priority":
        rest = rules.parse_priority(rest)
    return Command(name, key, rest)


def _short(word: str) -> str:
    return escape(from_slack(word)[:30].replace("`", "'"))
