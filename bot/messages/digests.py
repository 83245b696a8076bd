"""The digest and `/ticket stats` as Block Kit: prose from a Jinja2 template (the operator's, if configured), cut
into sections at blank lines, under a header and a line saying what period and tickets it covers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader
from slack_sdk.models.blocks import ContextBlock, HeaderBlock, MarkdownTextObject, SectionBlock

from bot.digests.figures import Achievement, Count, Figures, IncidentLine, TicketLine
from bot.messages.common import as_dicts
from bot.messages.sla import span
from bot.sla.policy import METRIC_LABELS
from bot.templating import environment as default_environment
from bot.text import mrkdwn, plain

SECTION_LIMIT, MAX_SECTIONS = 3000, 45
COUNTS_SHOWN = 5


@dataclass(frozen=True)
class Links:
    """What turns keys and ids into links and names: the workspace's address (for message links) and names of
    the people mentioned (never mentions: a digest must not ping the agents it names)."""

    workspace_url: str | None = None
    names: Mapping[str, str] = field(default_factory=dict)

    def card(self, line: TicketLine) -> str:
        if not self.workspace_url or not line.card_ts:
            return f"*{line.key}*"
        url = f"{self.workspace_url.rstrip('/')}/archives/{line.queue_channel}/p{line.card_ts.replace('.', '')}"
        return f"<{url}|*{line.key}*>"

    def name(self, user_id: str | None) -> str:
        if not user_id:
            return "unassigned"
        return mrkdwn(self.names.get(user_id) or user_id, 80)


def template_environment(override: Path | None) -> Environment:
    """Ours, or one that looks in the operator's directory first and falls back to ours."""
    if override is None:
        return default_environment
    environment = default_environment.overlay(
        loader=ChoiceLoader([FileSystemLoader(str(override)), default_environment.loader])  # type: ignore[list-item]
    )
    return environment


def digest_message(
    environment: Environment,
    figures: Figures,
    *,
    title: str,
    period: str,
    links: Links,
    all_clear: str,
    late: str | None = None,
) -> tuple[str, list[dict[str, Any]]]:
    body = environment.get_template("digest.md.j2").render(
        f=figures,
        title=title,
        period=period,
        late=late,
        all_clear=mrkdwn(all_clear, 500),
        at_risk=figures.limits.at_risk,
        unusual_pause=figures.limits.unusual_pause,
        card=links.card,
        incident=_incident,
        span=span,
        ago=lambda moment: f"{span(figures.now - moment)} ago",
        due=lambda moment: f"in {span(moment - figures.now)}",
        name=links.name,
        counts=lambda counts, people=False: _counts(counts, links if people else None),
        metric=lambda name: METRIC_LABELS.get(name, name),
        percent=_percent,
    )
    sections = _sections(body)
    context = f"{period} · {figures.filter.describe()}"
    blocks = [HeaderBlock(text=plain(title, 150)), ContextBlock(elements=[MarkdownTextObject(text=context)])]
    blocks += [SectionBlock(text=MarkdownTextObject(text=section)) for section in sections]
    fallback = f"{title}: {sections[0] if sections else ''}"
    return fallback[:3000], as_dicts(blocks)


def _sections(body: str) -> list[str]:
    parts = [part.strip() for part in body.strip().split("\n\n") if part.strip()]
    # A section too long for one block loses its last lines, never half a line (or half a link).
    out = [p if len(p) <= SECTION_LIMIT else p[: SECTION_LIMIT - 2].rsplit("\n", 1)[0] + "\n…" for p in parts]
    if len(out) > MAX_SECTIONS:
        out = out[: MAX_SECTIONS - 1] + ["_…the rest did not fit in one message; ask `/ticket stats` for it._"]
    return out


def _counts(counts: Sequence[Count], links: Links | None) -> str:
    label = links.name if links else (lambda text: mrkdwn(text or "none", 60))
    shown = [f"{label(c.label)} {c.count}" for c in counts[:COUNTS_SHOWN]]
    more = len(counts) - COUNTS_SHOWN
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "") if shown else "none"


def _percent(achievement: Achievement) -> str:
    value = achievement.percent
    return "n/a" if value is None else f"{value:.0f}%"


def _incident(line: IncidentLine) -> str:
    # A channel link names the channel for everyone and pings nobody.
    return f"*{line.key}* <#{line.channel_id}>" if line.channel_id else f"*{line.key}*"


def period_label(start: datetime, end: datetime) -> str:
    """The period in Slack's own date formatting (each reader sees it in their time zone)."""
    return (
        f"<!date^{int(start.timestamp())}^{{date_short_pretty}} {{time}}|{start:%Y-%m-%d %H:%M} UTC> – "
        f"<!date^{int(end.timestamp())}^{{date_short_pretty}} {{time}}|{end:%Y-%m-%d %H:%M} UTC>"
    )
