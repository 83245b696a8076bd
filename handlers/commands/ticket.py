"""`/ticket …`: parse the text, call the ticket service, answer with an ephemeral reply or a modal."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from slack_bolt import Ack, BoltContext, Respond

from bot.customers import context as customer_context
from bot.digests import commands as digest_commands
from bot.errors import PermissionDenied, UserFacingError
from bot.gateway import SlackError
from bot.incidents.commands import link_args
from bot.messages import tickets as views_of
from bot.messages.incident_forms import declare_modal
from bot.messages.modals import Prefill, new_ticket_modal
from bot.messages.paging import started_answer
from bot.oncall.commands import OnCallRequest, override_span, parse_length
from bot.services import Services
from bot.text import mrkdwn
from bot.tickets import commands
from bot.tickets.service import Actor
from handlers import payloads

Reply = tuple[str, list[dict[str, Any]] | None]


@dataclass(frozen=True)
class Call:
    """One `/ticket` request: who asked, what they asked, and the key that makes a retried request apply once."""

    actor: Actor
    parsed: commands.Command
    request: str | None


def ticket_command(ack: Ack, command: dict[str, Any], context: BoltContext, respond: Respond) -> None:
    services: Services = context["services"]
    slash = payloads.slash_command(command)
    try:
        parsed = commands.parse(slash.text)
        if parsed.name == "new":
            ack()
            open_new_ticket_modal(services, slash, parsed.arg, respond)
            return
        if parsed.name == "incident":
            ticket = services.tickets.for_change(services.actor(slash.user), parsed.key or "")
            ack()
            open_form(services, slash.trigger_id, declare_modal(ticket.subject, ticket.key), respond)
            return
        call = Call(services.actor(slash.user), parsed, slash.key)
        if parsed.name in ("stats", "digest"):
            # Figures over a large desk can take longer than Slack waits for the answer: acknowledge, then answer.
            ack()
            answer_later(services, call, slash.channel or "", respond)
            return
        text, blocks = SUBCOMMANDS[parsed.name](services, call)
    except UserFacingError as error:
        ack(response_type="ephemeral", text=str(error))
        return
    ack(response_type="ephemeral", text=text, blocks=blocks)


def answer_later(services: Services, call: Call, channel: str, respond: Respond) -> None:
    try:
        if call.parsed.name == "stats":
            text, blocks = digest_commands.stats(services.digests, call.parsed.arg)
        else:
            text, blocks = digest_commands.digest(services.digests, call.actor, call.parsed.arg, channel, call.request)
    except UserFacingError as error:
        respond(response_type="ephemeral", text=str(error))
        return
    respond(response_type="ephemeral", text=text, blocks=blocks)


def open_new_ticket_modal(services: Services, slash: payloads.SlashCommand, subject: str, respond: Respond) -> None:
    open_form(
        services, slash.trigger_id, new_ticket_modal(Prefill(subject=subject), services.tickets.customers()), respond
    )


def open_form(services: Services, trigger_id: str | None, modal: dict[str, Any], respond: Respond) -> None:
    """Open a modal for a slash command (after its ack); if Slack cannot, say so rather than fail silently."""
    try:
        services.gateway.open_view(trigger_id or "", modal)
    except SlackError as error:
        respond(
            response_type="ephemeral",
            text=f"Slack could not open the form ({error.error}). Please run the command again.",
        )


def _help(services: Services, call: Call) -> Reply:
    return commands.usage(), None


def _list(services: Services, call: Call) -> Reply:
    scope = call.parsed.arg or "open"
    return views_of.ticket_list(services.tickets.list(call.actor, scope), scope)


def _show(services: Services, call: Call) -> Reply:
    extra = (services.escalation.line, customer_context.card_line, services.people.line)
    return views_of.ticket_details(services.tickets.show(call.actor, call.parsed.key, extra))


def _claim(services: Services, call: Call) -> Reply:
    key = call.parsed.key
    change = services.tickets.claim(call.actor, key, request=call.request)
    return views_of.change_answer(change, f"{key}: it's yours.", f"{key} is already yours."), None


def _assign(services: Services, call: Call) -> Reply:
    key, who = call.parsed.key, f"<@{call.parsed.arg}>"
    change = services.tickets.assign(call.actor, key, call.parsed.arg, request=call.request)
    return views_of.change_answer(change, f"{key}: assigned to {who}.", f"{key} is already assigned to {who}."), None


def _status(services: Services, call: Call) -> Reply:
    key, status = call.parsed.key, call.parsed.arg
    change = services.tickets.set_status(call.actor, key, status, request=call.request)
    return views_of.change_answer(change, f"{key}: status is now {status}.", f"{key} is already {status}."), None


def _priority(services: Services, call: Call) -> Reply:
    key, priority = call.parsed.key, call.parsed.arg
    change = services.tickets.set_priority(call.actor, key, priority, request=call.request)
    return views_of.change_answer(change, f"{key}: priority is now {priority}.", f"{key} is already {priority}."), None


def _reply(services: Services, call: Call) -> Reply:
    key = call.parsed.key
    change = services.tickets.reply(call.actor, key, call.parsed.arg, request=call.request)
    return views_of.change_answer(change, f"{key}: reply to the customer recorded."), None


def _note(services: Services, call: Call) -> Reply:
    key = call.parsed.key
    change = services.tickets.note(call.actor, key, call.parsed.arg, request=call.request)
    return views_of.change_answer(change, f"{key}: internal note added."), None


def _customer(services: Services, call: Call) -> Reply:
    key = call.parsed.key
    change = services.tickets.customer_message(call.actor, key, call.parsed.arg, request=call.request)
    return views_of.change_answer(change, f"{key}: customer message recorded."), None


def _escalate(services: Services, call: Call) -> Reply:
    words = call.parsed.arg.split(maxsplit=1)
    policy = words[0].lower() if words and words[0].lower() in services.config.oncall.policies else None
    reason = words[1] if policy and len(words) > 1 else ("" if policy else call.parsed.arg)
    started = services.paging.escalate(call.actor, call.parsed.key, policy, reason, request=call.request)
    return started_answer(started.page, started.people, started.repeated), None


def _responder(services: Services, call: Call) -> Reply:
    return services.people.add(call.actor, call.parsed.key, call.parsed.arg, "responder"), None


def _stakeholder(services: Services, call: Call) -> Reply:
    return services.people.add(call.actor, call.parsed.key, call.parsed.arg, "stakeholder"), None


def _link(services: Services, call: Call) -> Reply:
    ticket, incident = link_args(f"{call.parsed.key} {call.parsed.arg}")
    return services.incidents.link(call.actor, incident, [ticket]), None


def _customer_channel(services: Services, call: Call) -> Reply:
    customer, channel = commands.customer_and_channel(call.parsed.arg)
    return services.customers.set_channel(call.actor, customer, channel), None


def _away(services: Services, call: Call) -> Reply:
    until = None
    if call.parsed.arg:
        now, zone = services.clock.now(), ZoneInfo(services.routing.away_zone(call.actor.user_id))
        length, at = parse_length(call.parsed.arg, "for example `/ticket away 2h` or `/ticket away until 18:00`")
        until = override_span(OnCallRequest("away", None, length=length, until=at), now, zone)[1]
    return services.routing.set_away(call.actor, until), None


def _back(services: Services, call: Call) -> Reply:
    return services.routing.set_back(call.actor), None


def _outbox(services: Services, call: Call) -> Reply:
    if not services.is_admin(call.actor.user_id):
        raise PermissionDenied("Only support agents and admins can read the outbox.")
    lines = [
        f"• `{mrkdwn(row.dedupe_key, 200)}` {row.method}: *{mrkdwn(row.last_error or '', 200)}*"
        f" (after {row.attempts} attempt{'s' if row.attempts != 1 else ''})"
        for row in services.dispatcher.parked()
    ]
    if not lines:
        return "No parked messages: everything Liaison owed Slack was delivered or is still being retried.", None
    return "*Messages Slack refused*, newest first:\n" + "\n".join(lines), None


SUBCOMMANDS: dict[str, Callable[[Services, Call], Reply]] = {
    "help": _help,
    "list": _list,
    "show": _show,
    "claim": _claim,
    "assign": _assign,
    "status": _status,
    "priority": _priority,
    "reply": _reply,
    "note": _note,
    "customer": _customer,
    "outbox": _outbox,
    "escalate": _escalate,
    "responder": _responder,
    "stakeholder": _stakeholder,
    "link": _link,
    "customer-channel": _customer_channel,
    "away": _away,
    "back": _back,
}
