"""Tickets from Slack messages: the emoji trigger reads the message and opens a ticket from it."""

from __future__ import annotations

from bot.gateway import SlackGateway
from bot.tickets import rules
from bot.tickets.service import Actor, Opened, TicketDraft, TicketService

UNKNOWN_CUSTOMER = "Unknown customer"


class MessageIntake:
    def __init__(self, tickets: TicketService, gateway: SlackGateway) -> None:
        self.tickets = tickets
        self.gateway = gateway

    def ticket_from_reaction(self, actor: Actor, channel: str, ts: str) -> Opened | None:
        """Open a ticket from the message someone reacted to; every later reaction finds the same ticket."""
        source_ref = f"message:{channel}:{ts}"
        existing = self.tickets.find_by_source(source_ref)
        if existing is not None:
            return Opened(existing, created=False)
        message = self.gateway.message(channel, ts)
        if message is None:
            return None
        text = message.get("text", "")
        draft = TicketDraft(
            subject=rules.subject_from(text) or "Ticket from a Slack message",
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
