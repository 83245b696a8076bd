"""Who may do what, decided in one place.

- Everyone may open tickets, follow the ones they opened and add customer messages to them.
- Support agents (the configured user group and/or channel; everyone when neither is set) work tickets, page,
  change on-call overrides, declare, update, link and resolve incidents.
- Admins (`agents.admins`) may also read the outbox's parked messages.
- An incident's roles are handed out by its commander, or by an incident admin (`incidents.admins`); PagerDuty,
  acting through its webhooks, counts as an agent.

Services call these checks; each refusal says who may.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.errors import PermissionDenied
from bot.incidents.config import COMMANDER
from bot.tickets.service import Actor


def require_agent(actor: Actor, doing: str) -> None:
    """`doing` completes "Only support agents can …", e.g. "page people"."""
    if not actor.is_agent:
        raise PermissionDenied(f"Only support agents can {doing}.")


def require_role_giver(actor: Actor, incident_key: str, holders: Mapping[str, str], admins: frozenset[str]) -> None:
    """Roles of an incident are handed out by its commander or an incident admin."""
    commander = holders.get(COMMANDER)
    if actor.user_id != commander and actor.user_id not in admins:
        named = f"<@{commander}>" if commander else "nobody yet"
        raise PermissionDenied(f"Only the commander of {incident_key} ({named}) or an incident admin can assign roles.")
