"""`/oncall …`: who is on call now and next, a schedule's week, and overrides."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext, Respond

from bot.access import require_agent
from bot.errors import UserFacingError
from bot.messages import oncall as views_of
from bot.oncall import commands
from bot.services import Services
from handlers import payloads
from handlers.commands.ticket import open_form


def oncall_command(ack: Ack, command: dict[str, Any], context: BoltContext, respond: Respond) -> None:
    services: Services = context["services"]
    slash = payloads.slash_command(command)
    try:
        request = commands.parse_oncall(slash.text, services.oncall.names())
        if request.name == "override_form":
            _agents_only(services, slash.user)
            ack()
            form = views_of.override_modal(services.oncall.names(), request.schedule)
            open_form(services, slash.trigger_id, form, respond)
            return
        text = _answer(services, slash, request)
    except UserFacingError as error:
        ack(response_type="ephemeral", text=str(error))
        return
    ack(response_type="ephemeral", text=text)


def _answer(services: Services, slash: payloads.SlashCommand, request: commands.OnCallRequest) -> str:
    if request.name == "help":
        return commands.ONCALL_USAGE
    if request.name == "overview":
        rows = [views_of.ScheduleNow(*row) for row in services.oncall.now_and_next()]
        return views_of.overview(rows)
    spec = services.oncall.spec(request.schedule or "")
    assert spec is not None  # the parser only accepts configured schedules
    if request.name == "schedule":
        return views_of.schedule_week(spec.name, spec.timezone.key, services.oncall.week(spec.name))
    _agents_only(services, slash.user)
    start, end = commands.override_span(request, services.clock.now(), spec.timezone)
    assert request.user is not None
    services.oncall.add_override(spec.name, request.user, start, end, by=slash.user, request=slash.key)
    return views_of.override_done(spec.name, request.user, start, end)


def _agents_only(services: Services, user_id: str) -> None:
    require_agent(services.actor(user_id), "change who is on call")
