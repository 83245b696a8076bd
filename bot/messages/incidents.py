"""How incidents read in Slack: the pinned summary and the topic (rendered when delivered), announcements, role
lines and DMs, linked-ticket lines, `/incident status` and the Markdown timeline for the post-incident review."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.messages.common import as_dicts, person, slack_date
from bot.messages.sla import span
from bot.text import mrkdwn, plain
from models import Incident, IncidentEvent, Ticket

if TYPE_CHECKING:
    from bot.incidents.queries import Counts

SEVERITY_CUE = {
    "SEV1": ":red_circle:",
    "SEV2": ":large_orange_circle:",
    "SEV3": ":large_yellow_circle:",
    "SEV4": ":white_circle:",
}
# The summary's button: a form to hand a role over (its value is the incident's key).
ASSIGN_ROLE = "incident_assign_role"
# The summary lists this many linked tickets; beyond that it counts them (500 linked tickets stay one message).
LISTED = 10


def who(user_id: str | None) -> str:
    """A Slack user as a mention; PagerDuty (acting through its webhooks) by name."""
    if user_id == "pagerduty":
        return "PagerDuty"
    return person(user_id, nobody="nobody")


def _title(incident: Incident) -> str:
    return mrkdwn(incident.title, 200)


def roles_text(roles: dict[str, str]) -> str:
    return " · ".join(f"{role.replace('-', ' ').capitalize()} {who(user)}" for role, user in roles.items()) or "—"


def counts_text(counts: Counts) -> str:
    if not counts.tickets:
        return "No tickets linked yet."
    tiers = ", ".join(f"{n} {tier}" for tier, n in sorted(counts.by_tier.items()))
    priorities = ", ".join(f"{n} {p}" for p, n in sorted(counts.by_priority.items()))
    return (
        f"*{counts.tickets}* linked ticket(s) from *{counts.customers}* customer(s) · by tier: {tiers} · "
        f"by priority: {priorities}"
    )


def summary(
    incident: Incident, roles: dict[str, str], counts: Counts, recent: Sequence[Ticket], now: datetime
) -> dict[str, Any]:
    """The pinned summary: severity, status, roles, bridge, affected counts and the latest linked tickets."""
    head = f"{incident.key} · {incident.severity} · {incident.title}"
    lines = [
        f"{SEVERITY_CUE[incident.severity]} *{incident.severity}* · *{incident.status.capitalize()}* · open for "
        f"{span((incident.resolved_at or now) - incident.created_at)}",
        f"*Roles*: {roles_text(roles)}",
        f"*Bridge*: <{incident.bridge_url}|join the call>" if incident.bridge_url else "*Bridge*: none set",
        f"*Affected*: {counts_text(counts)}",
    ]
    blocks: list = [
        HeaderBlock(text=PlainTextObject(text=plain(head, 150), emoji=False)),
        SectionBlock(text=MarkdownTextObject(text="\n".join(lines))),
    ]
    if incident.description:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=mrkdwn(incident.description, 2000))))
    if recent:
        listed = [f"• *{t.key}* {mrkdwn(t.subject, 120)} ({mrkdwn(t.customer.name, 60)}, {t.priority})" for t in recent]
        if counts.tickets > len(recent):
            listed.append(f"… and {counts.tickets - len(recent)} more (`/incident status` counts them all)")
        blocks.append(SectionBlock(text=MarkdownTextObject(text="\n".join(listed)[:3000])))
    blocks.append(
        ContextBlock(
            elements=[
                MarkdownTextObject(text=f"Declared by {who(incident.declared_by)} {slack_date(incident.created_at)}")
            ]
        )
    )
    if incident.status != "resolved":
        button = ButtonElement(text="Assign a role", action_id=ASSIGN_ROLE, value=incident.key)
        blocks.append(ActionsBlock(block_id=f"incident:{incident.id}", elements=[button]))
    return {"text": f"{head} ({incident.status})"[:3000], "blocks": as_dicts(blocks)}


def topic(incident: Incident, roles: dict[str, str]) -> dict[str, Any]:
    text = f"{incident.severity} · {incident.status} · {roles_text(roles)}"
    if incident.bridge_url:
        text += f" · {incident.bridge_url}"
    return {"topic": text[:250]}


def declared_announcement(incident: Incident, channel_id: str, commander: str | None) -> str:
    return (
        f":rotating_light: *{incident.key}* declared ({incident.severity}): {_title(incident)} · commander "
        f"{who(commander)} · <#{channel_id}>"
    )


def resolved_announcement(incident: Incident, tickets: int) -> str:
    return f":white_check_mark: *{incident.key}* resolved: {_title(incident)} ({tickets} linked ticket(s) updated)."


def role_dm(incident: Incident, role: str, instructions: str) -> str:
    return f"You are *{role}* of *{incident.key}* ({incident.severity}): {_title(incident)}.\n{instructions}"


def role_line(incident: Incident, role: str, user_id: str, previous: str | None, by: str) -> str:
    handed = f", taking over from {who(previous)}" if previous and previous != user_id else ""
    return f":bust_in_silhouette: {who(user_id)} is *{role}* of {incident.key}{handed} (assigned by {who(by)})."


def stakeholder_dm(incident: Incident, by: str) -> str:
    return (
        f":eyes: {who(by)} added you as a stakeholder of *{incident.key}* ({incident.severity}): {_title(incident)}. "
        "You will get its updates, severity and status changes, and its resolution here."
    )


def no_liaison_line(incident: Incident) -> str:
    return (
        f":warning: {incident.key} is major but nobody is on call to be customer liaison; "
        "the commander should name one."
    )


def linked_answer(incident: Incident, linked: Sequence[Ticket], asked: int) -> str:
    if not linked:
        return f"Already linked to {incident.key}; nothing changed."
    keys = ", ".join(t.key for t in linked)
    already = asked - len(linked)
    return f"Linked {keys} to {incident.key}." + (f" ({already} already were.)" if already else "")


def update_line(incident: Incident, by: str, text: str) -> str:
    return f":mega: *{incident.key} update* from {who(by)}: {mrkdwn(text, 2500)}"


def severity_line(incident: Incident, old: str, by: str) -> str:
    return f":arrow_heading_up: {incident.key} severity {old} → *{incident.severity}* ({who(by)})."


def status_line(incident: Incident, old: str, by: str) -> str:
    return f":large_blue_circle: {incident.key} status {old} → *{incident.status}* ({who(by)})."


def resolved_line(incident: Incident, by: str, tickets: int) -> str:
    return f":white_check_mark: {incident.key} resolved by {who(by)}; {tickets} linked ticket(s) told."


def resolved_dm(incident: Incident, tickets: Sequence[Ticket]) -> str:
    listed = "\n".join(f"• *{t.key}* {mrkdwn(t.subject, 150)} ({mrkdwn(t.customer.name, 60)})" for t in tickets[:40])
    more = f"\n… and {len(tickets) - 40} more" if len(tickets) > 40 else ""
    return f"*{incident.key}* is resolved: {_title(incident)}. Your linked tickets to follow up:\n{listed}{more}"


def pagerduty_line(incident: Incident, event_type: str) -> str:
    what = {"incident.acknowledged": "acknowledged in PagerDuty"}.get(event_type, event_type)
    return f":pager: {incident.key} {what}."


def card_line(incidents: Sequence[Incident]) -> str | None:
    if not incidents:
        return None
    return "*Incident*: " + ", ".join(f"{i.key} ({i.severity}, {i.status}) {_title(i)}" for i in incidents)


@dataclass(frozen=True)
class IncidentLine:
    incident: Incident
    roles: dict[str, str]
    counts: Counts
    now: datetime


def status_list(lines: Sequence[IncidentLine]) -> str:
    if not lines:
        return "No open incidents. Declare one with `/incident declare`."
    out = ["*Open incidents*, most severe first:"]
    for line in lines[:30]:
        i = line.incident
        where = f" <#{i.channel_id}>" if i.channel_id else ""
        out.append(
            f"• {SEVERITY_CUE[i.severity]} *{i.key}* {i.severity} · {i.status} · {_title(i)}{where} · "
            f"{span(line.now - i.created_at)} · {roles_text(line.roles)} · {line.counts.tickets} ticket(s), "
            f"{line.counts.customers} customer(s)"
        )
    return "\n".join(out)


def timeline_markdown(incident: Incident, events: Sequence[IncidentEvent], counts: Counts) -> str:
    """The timeline for the post-incident review, as plain Markdown (UTC times)."""
    lines = [
        f"# {incident.key}: {incident.title}",
        "",
        f"- Severity: {incident.severity}; status: {incident.status}",
        f"- Declared: {incident.created_at:%Y-%m-%d %H:%M} UTC"
        + (f"; resolved: {incident.resolved_at:%Y-%m-%d %H:%M} UTC" if incident.resolved_at else ""),
        f"- Linked tickets: {counts.tickets} from {counts.customers} customer(s)",
        "",
        "## Timeline (UTC)",
        "",
    ]
    for event in events:
        lines.append(f"- {event.created_at:%Y-%m-%d %H:%M:%S} · {_event_text(event)}")
    return "\n".join(lines)


def _event_text(event: IncidentEvent) -> str:
    data, by = event.data, who(event.author_id)
    if event.kind == "declared":
        return f"declared ({data.get('severity')}) by {by}"
    if event.kind == "role":
        handed = f", after <@{data['previous']}>" if data.get("previous") else ""
        return f"<@{data.get('user')}> became {data.get('role')}{handed} (by {by})"
    if event.kind in ("linked", "unlinked"):
        return f"{data.get('ticket')} {event.kind} by {by}"
    if event.kind in ("severity", "status"):
        return f"{event.kind} {data.get('old')} → {data.get('new')} (by {by})"
    if event.kind == "update":
        return f"update by {by}: {event.body}"
    if event.kind == "resolved":
        return f"resolved by {by}"
    return f"{event.kind} by {by}"
