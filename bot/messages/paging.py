"""How a page reads: the DM with Acknowledge and Decline, its edits once answered, and the thread lines."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from slack_sdk.models.blocks import ActionsBlock, ButtonElement, ContextBlock, MarkdownTextObject, SectionBlock

from bot.messages.common import as_dicts, person, slack_date
from bot.messages.sla import span
from bot.oncall.config import GROUP, target_kind
from bot.sla.policy import METRIC_LABELS
from bot.text import mrkdwn
from models import Page, Ticket

# Action ids of the DM's buttons; the value is the page's id.
ACKNOWLEDGE, DECLINE = "page_acknowledge", "page_decline"
# Who opened a page the SLA breach ladder started.
LADDER_AUTHOR = "sla-ladder"


@dataclass(frozen=True)
class Step:
    """Where a page stands: level (1-based) of how many, and the round when the ladder repeats."""

    level: int
    levels: int
    round: int
    rounds: int

    def label(self) -> str:
        text = f"level {self.level} of {self.levels}"
        return text + (f", round {self.round} of {self.rounds}" if self.rounds > 1 else "")


def step_of(page: Page) -> Step:
    return Step(page.level + 1, len(page.policy["levels"]), page.round + 1, page.policy.get("repeat", 0) + 1)


def subject(page: Page) -> str:
    return mrkdwn(page.title, 250)


def page_dm(page: Page, step: Step, others: Sequence[str], via: str) -> tuple[str, list[dict[str, Any]]]:
    """The DM a paged person gets: what, why, which level, who else, and the two buttons."""
    policy = page.policy.get("name")
    how = f"policy *{mrkdwn(policy, 100)}*, {step.label()}" if policy else step.label()
    lines = [
        f":rotating_light: *You are paged{_reached(via)}:* {subject(page)}",
        f"{page.key} · {how} · from {opener(page)}",
    ]
    if page.reason:
        lines.append("> " + mrkdwn(page.reason, 1500).replace("\n", "\n> "))
    lines.append("Also paged: " + (", ".join(person(u) for u in others) if others else "nobody else at this level"))
    text = f"Page {page.key}: {subject(page)}"
    blocks = [
        SectionBlock(text=MarkdownTextObject(text="\n".join(lines))),
        ActionsBlock(
            block_id=f"page:{page.id}",
            elements=[
                ButtonElement(text="Acknowledge", action_id=ACKNOWLEDGE, value=str(page.id), style="primary"),
                ButtonElement(text="Decline", action_id=DECLINE, value=str(page.id), style="danger"),
            ],
        ),
    ]
    return text, as_dicts(blocks)


def opener(page: Page) -> str:
    return "the SLA breach ladder" if page.opened_by == LADDER_AUTHOR else person(page.opened_by)


def ladder_text(ticket: Ticket, metric: str, late: timedelta, step: int, steps: int) -> str:
    """A breach-ladder step's message: which target of which ticket, how long it has been breached."""
    label = METRIC_LABELS.get(metric, metric)
    return (
        f":rotating_light: *{label}* for *{ticket.key}* {mrkdwn(ticket.subject, 200)} has been breached for "
        f"{span(late)} and is still not met (breach ladder, step {step} of {steps})."
    )


def _reached(via: str) -> str:
    if via == "user":
        return ""
    if target_kind(via) == GROUP:
        return " (as a member of a paged user group)"
    return f" (on call for *{mrkdwn(via, 60)}*)"


def page_dm_ended(page: Page, outcome: str) -> tuple[str, list[dict[str, Any]]]:
    """The DM once there is nothing left to press: what happened instead of the buttons."""
    text = f"Page {page.key}: {subject(page)}"
    blocks = [
        SectionBlock(text=MarkdownTextObject(text=f"*Page {page.key}:* {subject(page)}")),
        ContextBlock(elements=[MarkdownTextObject(text=outcome)]),
    ]
    return text, as_dicts(blocks)


def outcome_line(page: Page) -> str:
    """The page's state in one line, for edited DMs and for stale buttons."""
    if page.state == "acknowledged" and page.acked_by and page.acked_at:
        return f":white_check_mark: Acknowledged by {person(page.acked_by)} {slack_date(page.acked_at)}."
    if page.state == "resolved":
        return ":white_check_mark: Resolved: the page is closed, nothing to do."
    if page.state == "exhausted":
        return ":warning: Nobody acknowledged in time; the page has ended. You can still acknowledge it."
    return f":hourglass_flowing_sand: Still paging, {step_of(page).label()}."


def declined_line(step: Step) -> str:
    return f":no_entry_sign: You declined ({step.label()}). Liaison is paging the next level."


def level_paged_text(page: Page, step: Step, people: Sequence[str], skipped: Sequence[str]) -> str:
    """The thread line when a level is paged, naming levels skipped on the way."""
    names = ", ".join(person(u) for u in people)
    policy = page.policy.get("name")
    where = (f"*{mrkdwn(policy, 100)}*, " if policy else "") + step.label()
    reason = f": {mrkdwn(page.reason, 500)}" if page.reason else "."
    lines = [f":rotating_light: Paging {names} for {page.key} ({where}){reason}"]
    lines += [f"Skipped {skip}: nobody on call." for skip in skipped]
    return "\n".join(lines)


def moved_on_text(page: Page, why: str) -> str:
    return f":arrow_heading_up: {page.key}: {why}"


def acknowledged_text(page: Page, waited: str) -> str:
    return f":white_check_mark: {page.key} acknowledged by {person(page.acked_by)} after {waited}."


def exhausted_text(page: Page, people: Sequence[str]) -> str:
    who = ", ".join(person(u) for u in people) or "nobody"
    return (
        f":warning: Nobody acknowledged {page.key} ({subject(page)}). Paged: {who}. "
        "Pick it up here, or page again with `/ticket escalate` or `/page`."
    )


def resolved_text(page: Page) -> str:
    return f":white_check_mark: {page.key} closed: the ticket is solved."


def waited(page: Page) -> str:
    return span((page.acked_at or page.updated_at) - page.created_at)


def started_answer(page: Page, people: Sequence[str], repeated: bool) -> str:
    """The answer to whoever started a page."""
    if repeated:
        return f"{page.key} is already running: {outcome_line(page)}"
    step = step_of(page)
    return (
        f"{page.key}: paging {', '.join(person(u) for u in people)} ({step.label()}). "
        "You will see in the thread when someone acknowledges."
    )
