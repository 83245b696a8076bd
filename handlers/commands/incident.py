"""`/incident …`: parse the text, call the incident service, answer with an ephemeral reply or a form."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext, Respond

from bot.access import require_agent
from bot.errors import UsageError, UserFacingError
from bot.incidents import commands
from bot.messages import incidents as views_of
from bot.messages.incident_forms import declare_modal
from bot.services import Services
from handlers import payloads
from handlers.commands.ticket import open_form


def incident_command(ack: Ack, command: dict[str, Any], context: BoltContext, respond: Respond) -> None:
    services: Services = context["services"]
    slash = payloads.slash_command(command)
    try:
        request = commands.parse(slash.text)
        if request.name == "declare":
            require_agent(services.actor(slash.user), "declare incidents")
            ack()
            open_form(services, slash.trigger_id, declare_modal(request.text), respond)
            return
        text = _answer(services, slash, request)
    except UserFacingError as error:
        ack(response_type="ephemeral", text=str(error))
        return
    ack(response_type="ephemeral", text=text)


def _answer(services: Services, slash: payloads.SlashCommand, request: commands.IncidentRequest) -> str:
    incidents, actor = services.incidents, services.actor(slash.user)
    if request.name == "help":
        return commands.USAGE
    if request.name == "list":
        return views_of.status_list(incidents.open_incidents())
    key = request.key or _from_channel(services, slash.channel)
    if request.name == "show":
        return views_of.status_list([line for line in incidents.open_incidents() if line.incident.key == key.upper()])
    if request.name == "role":
        return incidents.assign_role(actor, key, request.args[0], request.user or "")
    if request.name == "link":
        return incidents.link(actor, key, request.args)
    if request.name == "unlink":
        return " ".join(incidents.unlink(actor, key, ticket) for ticket in request.args)
    if request.name == "stakeholder":
        return incidents.add_stakeholder(actor, key, request.user or "")
    if request.name == "update":
        return incidents.update(actor, key, request.text)
    if request.name == "severity":
        return incidents.set_severity(actor, key, request.text)
    if request.name == "status":
        return incidents.set_status(actor, key, request.text)
    if request.name == "resolve":
        return incidents.resolve(actor, key)
    return "```\n" + incidents.timeline(key) + "\n```"


def _from_channel(services: Services, channel: str | None) -> str:
    incident = services.incidents.in_channel(channel)
    if incident is None:
        raise UsageError("Which incident? Name it (like `INC-7`) or run the command in the incident's channel.")
    return incident.key
