"""The `/incident` command language: text as Slack sends it in, a parsed request out, or usage help.

The incident key may be left out inside an incident's channel: the channel names the incident.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.errors import UsageError
from bot.text import code, from_slack, unescape
from bot.tickets import rules
from bot.tickets.commands import MENTION

INCIDENT_KEY = re.compile(r"^(?:INC-?|#)?\d{1,9}$", re.IGNORECASE)

USAGE = (
    "*`/incident`* — incidents, their roles and the tickets they affect\n"
    "• `/incident declare [title]` — declare one (a form asks severity and details); the declarer is commander\n"
    "• `/incident status` — open incidents, most severe first; `/incident status [INC-7] identified` changes it\n"
    "• `/incident role [INC-7] customer-liaison @bob` — hand a role over (commander or incident admins)\n"
    "• `/incident link [INC-7] T-12 T-13`, `/incident unlink [INC-7] T-12` — tickets affected\n"
    "• `/incident update [INC-7] <text>` — to the channel and every linked ticket's thread\n"
    "• `/incident stakeholder [INC-7] @dave` — keep someone informed by DM\n"
    "• `/incident severity [INC-7] SEV1`, `/incident resolve [INC-7]`, `/incident timeline [INC-7]`\n"
    "In an incident's channel the key can be left out."
)


@dataclass(frozen=True)
class IncidentRequest:
    name: str
    key: str | None = None
    args: list[str] = field(default_factory=list)
    text: str = ""
    user: str | None = None


NEEDS_KEY = {"role", "link", "unlink", "update", "severity", "resolve", "timeline", "status", "stakeholder"}


def parse(text: str) -> IncidentRequest:
    words = text.strip().split(maxsplit=1)
    if not words or words[0].lower() in ("help", "?"):
        return IncidentRequest("help")
    name, rest = words[0].lower(), (words[1] if len(words) > 1 else "")
    if name == "declare":
        return IncidentRequest("declare", text=from_slack(rest).strip())
    if name not in NEEDS_KEY:
        raise UsageError(f"I don't know `/incident {code(from_slack(words[0]))}`.\n{USAGE}")
    parts = rest.split(maxsplit=1)
    key = None
    if parts and INCIDENT_KEY.match(parts[0]):
        key, rest = parts[0], (parts[1] if len(parts) > 1 else "")
    if name == "status" and not rest.strip():
        return IncidentRequest("list" if key is None else "show", key)
    if name == "role":
        bits = unescape(rest).split()
        mention = MENTION.match(bits[1]) if len(bits) == 2 else None
        if mention is None:
            raise UsageError("Say the role and the person, for example `/incident role INC-7 customer-liaison @bob`.")
        return IncidentRequest("role", key, [bits[0].lower()], user=mention.group(1))
    if name == "stakeholder":
        mention = MENTION.match(unescape(rest).strip())
        if mention is None:
            raise UsageError("Name the person, for example `/incident stakeholder INC-7 @dave`.")
        return IncidentRequest("stakeholder", key, user=mention.group(1))
    if name in ("link", "unlink"):
        keys = [f"T-{rules.parse_key(from_slack(word))}" for word in rest.split()]
        if not keys:
            raise UsageError(f"Which tickets? For example `/incident {name} INC-7 T-12`.")
        return IncidentRequest(name, key, keys)
    if name == "update" and not rest.strip():
        raise UsageError("Say what changed, for example `/incident update INC-7 Payments are back for EU customers`.")
    if name in ("severity", "status") and not rest.strip():
        raise UsageError(f"`/incident {name}` needs the new value, for example `/incident severity INC-7 SEV1`.")
    return IncidentRequest(name, key, text=from_slack(rest).strip())


def link_args(text: str) -> tuple[str, str]:
    """`/ticket link T-12 INC-7` → ("T-12", "INC-7")."""
    words = text.split()
    if len(words) != 2 or not INCIDENT_KEY.match(words[1]):
        raise UsageError("Name the ticket and the incident, for example `/ticket link T-12 INC-7`.")
    return f"T-{rules.parse_key(from_slack(words[0]))}", words[1]
