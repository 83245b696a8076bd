"""One line of a ticket's activity, as posted in its card's thread and listed by `/ticket show`."""

from __future__ import annotations

from bot.templating import render
from models import Ticket, TicketEvent


def activity_text(ticket: Ticket, event: TicketEvent) -> str:
    return render(
        "activity.md.j2",
        kind=event.kind,
        author=event.author_id,
        key=ticket.key,
        body=event.body,
        data=event.data,
        source=ticket.source,
    )
