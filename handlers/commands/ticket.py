"""`/ticket …`: parse the text, call the ticket service, answer with an ephemeral reply or a modal."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, BoltContext, Respond

from bot.errors import PermissionDenied, UserFacingError
from bot.gateway import SlackError
from bot.messages import tickets as views_of
from bot.messages.modals import Prefill, new_ticket_modal
from bot.services import Services
from bot.text import mrkdwn
from bot.tickets import commands
from bot.tickets.service import Actor

Reply = tuple[str, list[dict[str, Any]] | None]


def ticket_command(ack: Ack, command: dict[str, Any], context: BoltContext, respond: Respond) -> None:
    services: Services = context["services"]
    try:
        parsed = commands.parse(command.get("text", ""))
        if parsed.name == "new":
            ack()
            open_new_ticket_modal(services, command, parsed.arg, respond)
            return
        actor = services.actor(command["user_id"])
        text, blocks = SUBCOMMANDS[parsed.name](services, actor, parsed)
    except UserFacingError as error:
        ack(response_type="ephemeral", text=str(error))
        return
    ack(response_type="ephemeral", text=text, blocks=blocks)


def open_new_ticket_modal(services: Services, command: dict[str, Any], subject: str, respond: Respond) -> None:
    modal = new_ticket_modal(Prefill(subject=subject), services.tickets.customers())
    try:
        services.gateway.open_view(command["trigger_id"], modal)
    except SlackError as error:
        respond(
            response_type="ephemeral",
            text=f"Slack could not open the form ({error.error}). Please run the command again.",
        )


def _help(services: Services, actor: Actor, parsed: commands.Command) -> Reply:
    return commands.usage(), None


def _list(services: Services, actor: Actor, parsed: commands.Command) -> Reply:
    scope = parsed.arg or "open"
    return views_of.ticket_list(services.tickets.list(actor, scope), scope)


def _show(services: Services, actor: Actor, parsed: commands.Command) -> Reply:
    return views_of.ticket_details(services.tickets.show(actor, parsed.key))


def _claim(services: Services, actor: Actor, parsed: commands.Command) -> Reply:
    ticket = services.tickets.claim(actor, parsed.key)
    return views_of.confirmation(ticket, "it's yours."), None


def _assign(services: Services, actor: Actor, parsed: commands.Command) -> Reply:
    ticket = services.tickets.assign(actor, parsed.key, parsed.arg)
    return views_of.confirmation(ticket, f"assigned to <@{parsed.arg}>."), None


def _status(services: Services, actor: Actor, parsed: commands.Command) -> Reply:
    ticket = services.tickets.set_status(actor, parsed.key, parsed.arg)
    return views_of.confirmation(ticket, f"status is now {ticket.status}."), None


def _priority(services: Services, actor: Actor, parsed: commands.Command) -> Reply:
    ticket = services.tickets.set_priority(actor, parsed.key, parsed.arg)
    return views_of.confirmation(ticket, f"priority is now {ticket.priority}."), None


def _reply(services: Services, actor: Actor, parsed: commands.Command) -> Reply:
    ticket = services.tickets.reply(actor, parsed.key, parsed.arg)
    return views_of.confirmation(ticket, "reply to the customer recorded."), None


def _note(services: Services, actor: Actor, parsed: commands.Command) -> Reply:
    ticket = services.tickets.note(actor, parsed.key, parsed.arg)
    return views_of.confirmation(ticket, "internal note added."), None


def _customer(services: Services, actor: Actor, parsed: commands.Command) -> Reply:
    ticket = services.tickets.customer_message(actor, parsed.key, parsed.arg)
    return views_of.confirmation(ticket, "customer message recorded."), None


def _outbox(services: Services, actor: Actor, parsed: commands.Command) -> Reply:
    if not services.is_admin(actor.user_id):
        raise PermissionDenied("Only support agents and admins can read the outbox.")
    lines = [
        f"• `{mrkdwn(row.dedupe_key, 200)}` {row.method}: *{mrkdwn(row.last_error or '', 200)}*"
        f" (after {row.attempts} attempt{'s' if row.attempts != 1 else ''})"
        for row in services.dispatcher.parked()
    ]
    if not lines:
        return "No parked messages: everything Liaison owed Slack was delivered or is still being retried.", None
    return "*Messages Slack refused*, newest first:\n" + "\n".join(lines), None


SUBCOMMANDS: dict[str, Callable[[Services, Actor, commands.Command], Reply]] = {
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
}
