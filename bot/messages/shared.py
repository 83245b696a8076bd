"""What the customer sees in their shared channel: the ticket's status line, one message kept current."""

from __future__ import annotations

from bot.text import mrkdwn
from models import Ticket


def status_line(ticket: Ticket, assignee_name: str | None) -> str:
    """One line saying where the request stands, in the customer's words (names, never mentions: no pings)."""
    key = f"*{ticket.key}*"
    who = f" by *{mrkdwn(assignee_name, 80)}*" if assignee_name else ""
    if ticket.status == "new":
        return f":inbox_tray: We have your request as {key}; we will answer in this thread."
    if ticket.status == "open":
        if ticket.assignee_id:
            return f":technologist: {key} is being worked on{who}; we will answer in this thread."
        return f":inbox_tray: {key} is in our queue; we will answer in this thread."
    if ticket.status == "pending":
        return f":hourglass_flowing_sand: {key} is waiting on you: reply in this thread when you can."
    if ticket.status == "on-hold":
        return f":double_vertical_bar: {key} is on hold on our side; we will update this thread."
    return f":white_check_mark: {key} is solved. Reply in this thread if anything is still wrong."
