"""Tickets from Slack messages: the emoji trigger and the "Create ticket" shortcut read a message into a ticket."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.gateway import SlackError, SlackGateway, SlackRejected
from bot.text import from_slack
from bot.tickets import rules
from bot.tickets.service import Actor, Opened, TicketDraft, TicketService

log = logging.getLogger(__name__)

UNKNOWN_CUSTOMER = "Unknown customer"
SUBJECT_MAX = 150


@dataclass(frozen=True)
class NeedsConfirmation:
    """The message is in a private conversation: only the reactor may decide to copy it into the queue."""

    channel: str
    ts: str


def subject_of(text: str, limit: int = SUBJECT_MAX) -> str:
    """A subject from a message as typed: its first non-empty line, shortened with an ellipsis."""
    line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


class MessageIntake:
    def __init__(self, tickets: TicketService, gateway: SlackGateway) -> None:
        self.tickets = tickets
        self.gateway = gateway

    def as_typed(self, text: str) -> str:
        """Message text as its author typed it, mentions named after the people (see bot.text.from_slack)."""
        return from_slack(text, self._user_name)

    def ticket_from_reaction(self, actor: Actor, channel: str, ts: str) -> Opened | NeedsConfirmation | None:
        """Open a ticket from the message someone reacted to; every later reaction finds the same ticket.

        None when the message or its conversation is gone; NeedsConfirmation when it is private."""
        source_ref = f"message:{channel}:{ts}"
        existing = self.tickets.find_by_source(source_ref)
        if existing is not None:
            return Opened(existing, created=False)
        try:
            if self.gateway.is_private(channel):
                return NeedsConfirmation(channel, ts)
        except SlackRejected as error:  # the channel is gone, or was never one the bot could see
            log.info("no ticket from %s/%s: %s", channel, ts, error)
            return None
        text = self.message_text(channel, ts)
        if text is None:
            return None
        draft = TicketDraft(
            subject=subject_of(text) or "Ticket from a Slack message",
            description=text,
            new_customer=UNKNOWN_CUSTOMER,
            customer_channel=channel,
            source=rules.SOURCE_REACTION,
            source_ref=source_ref,
            source_channel=channel,
            source_ts=ts,
            source_permalink=self.gateway.permalink(channel, ts),
        )
        return self.tickets.open(actor, draft)

    def message_text(self, channel: str, ts: str) -> str | None:
        """The text of a message as typed, or None when it is gone (deleted, or its channel is)."""
        try:
            message = self.gateway.message(channel, ts)
        except SlackRejected as error:  # e.g. deleted while the event was on its way: thread_not_found
            log.info("message %s/%s is gone: %s", channel, ts, error)
            return None
        if message is None:
            log.info("message %s/%s is gone", channel, ts)
            return None
        return self.as_typed(message.get("text", ""))

    def _user_name(self, user_id: str) -> str | None:
        try:
            return self.gateway.user_name(user_id)
        except SlackError as error:
            log.info("no name for %s: %s", user_id, error)
            return None
