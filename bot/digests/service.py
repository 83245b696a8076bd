"""Digests on schedule: subscriptions, and each (subscription, period) sent exactly once by any number of processes.

Every process runs the digest job. For each due period it inserts the period's run row, whose unique key
(subscription, period end) lets exactly one process win, and queues the digest message (rendered from the
figures when the outbox delivers it) and its chart in the same commit. A period that fell due while no process was
running is sent when one starts, marked late; after a long outage only the last MISSED_LIMIT periods are sent.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot import outbox
from bot.clock import Clock
from bot.config import LiaisonConfig
from bot.db import Database, insert_new
from bot.digests.chart import Day, render_chart
from bot.digests.figures import Figures, compute, daily
from bot.digests.filters import Filter, parse_filter
from bot.digests.schedule import Cadence, due_sends, parse_cadence, period_before, send_after
from bot.errors import PermissionDenied, UsageError, UserFacingError
from bot.gateway import SlackError, SlackGateway
from bot.messages.common import slack_date
from bot.messages.digests import Links, digest_message, period_label, template_environment
from bot.outbox import Rejected, RetryLater
from bot.sla.calendar_days import wall_to_utc
from bot.tickets.service import Actor
from models import DigestRun, DigestSubscription

log = logging.getLogger(__name__)

RENDERER, CHART_METHOD = "digest", "liaison.digest_chart"
MISSED_LIMIT = 7
# A run claimed this long after its send time was missed (no process was up), and says so.
LATE_AFTER = timedelta(minutes=10)
CHART_DAYS = 14


@dataclass(frozen=True)
class ChartRequest:
    """What the chart row carries: enough to draw it at delivery without the run (a preview has none)."""

    channel: str
    end: datetime
    tz: str
    filter: str
    title: str
    filename: str

    def payload(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "end": self.end.isoformat(),
            "tz": self.tz,
            "filter": self.filter,
            "title": self.title,
            "filename": self.filename,
        }


class DigestService:
    def __init__(self, database: Database, clock: Clock, config: LiaisonConfig, gateway: SlackGateway) -> None:
        self.database = database
        self.clock = clock
        self.config = config
        self.settings = config.digests
        self.gateway = gateway
        self.environment = template_environment(self.settings.templates)
        self._synced = False
        self._workspace_url: str | None = None
        self._names: dict[str, str] = {}

    # Subscriptions

    def subscribe(self, actor: Actor, channel: str, cadence_text: str, filter_text: str) -> DigestSubscription:
        self._require_agent(actor)
        cadence = parse_cadence(cadence_text, self.settings.timezone)
        wanted = parse_filter(filter_text)
        now = self.clock.now()
        with self.database.session() as session:
            same = session.scalar(
                select(DigestSubscription).where(
                    DigestSubscription.channel_id == channel,
                    DigestSubscription.cadence == cadence.spec(),
                    DigestSubscription.filter == wanted.spec(),
                    DigestSubscription.active.is_(True),
                )
            )
            if same is not None:
                return same
            row = DigestSubscription(
                channel_id=channel,
                cadence=cadence.spec(),
                filter=wanted.spec(),
                created_by=actor.user_id,
                created_at=now,
                starts_at=now,
                active=True,
            )
            session.add(row)
            session.flush()
            return row

    def unsubscribe(self, actor: Actor, channel: str) -> int:
        """Stop every digest of the channel made in Slack; the policy file's own stay (they would come back)."""
        self._require_agent(actor)
        with self.database.session() as session:
            return int(
                session.execute(
                    update(DigestSubscription)
                    .where(
                        DigestSubscription.channel_id == channel,
                        DigestSubscription.active.is_(True),
                        DigestSubscription.name.is_(None),
                    )
                    .values(active=False, row_version=DigestSubscription.row_version + 1)
                    .execution_options(synchronize_session=False)
                ).rowcount
            )

    def subscriptions(self) -> list[DigestSubscription]:
        self._ensure_synced()
        with self.database.session() as session:
            query = select(DigestSubscription).where(DigestSubscription.active.is_(True))
            return list(session.scalars(query.order_by(DigestSubscription.id)))

    def next_send(self, row: DigestSubscription) -> datetime:
        return send_after(self.cadence(row), self.clock.now())

    def _ensure_synced(self) -> None:
        if not self._synced:
            self.sync_config()
            self._synced = True

    def sync_config(self) -> None:
        """Make the policy file's digests the active named subscriptions (each process may do it; names are unique)."""
        now = self.clock.now()
        with self.database.session() as session:
            for spec in self.settings.subscriptions:
                values = {"channel_id": spec.channel, "cadence": spec.cadence.spec(), "filter": spec.filter.spec()}
                inserted = insert_new(
                    session,
                    DigestSubscription,
                    {"name": spec.name, "created_by": "policy-file", "created_at": now, "starts_at": now}
                    | values
                    | {"active": True, "row_version": 1},
                    unique="name",
                )
                if not inserted:
                    session.execute(
                        update(DigestSubscription)
                        .where(DigestSubscription.name == spec.name)
                        .values(active=True, **values)
                        .execution_options(synchronize_session=False)
                    )
            names = [spec.name for spec in self.settings.subscriptions]
            session.execute(
                update(DigestSubscription)
                .where(DigestSubscription.name.is_not(None), DigestSubscription.name.not_in(names))
                .values(active=False)
                .execution_options(synchronize_session=False)
            )

    # The job

    def run(self) -> int:
        """Queue every digest that is due; the number queued by this process."""
        self._ensure_synced()
        now = self.clock.now()
        with self.database.session() as session:
            rows = list(session.scalars(select(DigestSubscription).where(DigestSubscription.active.is_(True))))
            last = dict(
                session.execute(
                    select(DigestRun.subscription_id, func.max(DigestRun.period_end)).group_by(
                        DigestRun.subscription_id
                    )
                ).all()
            )
            session.expunge_all()
        queued = 0
        for row in rows:
            try:
                cadence = self.cadence(row)
            except UserFacingError as error:  # a time zone the system no longer knows: that digest waits, not all
                log.warning("digest %s (%s) skipped: %s", row.id, row.cadence, error)
                continue
            after = max(row.starts_at, last.get(row.id) or row.starts_at)
            for send in due_sends(cadence, after, now, limit=MISSED_LIMIT):
                queued += self.database.transaction(lambda session, r=row, s=send: self._queue(session, r, s, now))
        return queued

    def _queue(self, session: Session, row: DigestSubscription, send: datetime, now: datetime) -> int:
        cadence = self.cadence(row)
        start, end = period_before(cadence, send)
        values = {
            "subscription_id": row.id,
            "period_start": start,
            "period_end": end,
            "late": now - send > LATE_AFTER,
            "created_at": now,
        }
        if not insert_new(session, DigestRun, values, unique="subscription_id, period_end"):
            return 0  # another process has it
        run_id = session.scalar(
            select(DigestRun.id).where(DigestRun.subscription_id == row.id, DigestRun.period_end == end)
        )
        ordering = f"digest:{row.id}"
        outbox.enqueue(
            session,
            now=now,
            dedupe_key=f"digest:{run_id}",
            method=outbox.POST,
            payload={"channel": row.channel_id, outbox.RENDER: RENDERER, outbox.SUBJECT: run_id},
            ordering_key=ordering,
        )
        if self.settings.chart:
            chart = ChartRequest(
                row.channel_id, end, cadence.tz, row.filter, self._chart_title(end, cadence.tz), f"sla-{run_id}.png"
            )
            outbox.enqueue(
                session,
                now=now,
                dedupe_key=f"digest:{run_id}:chart",
                method=CHART_METHOD,
                payload=chart.payload(),
                ordering_key=ordering,
                channel=row.channel_id,
            )
        log.info("digest %s for %s queued (period ending %s)", run_id, row.channel_id, end.isoformat())
        return 1

    # Delivery: the outbox renders the message and draws the chart when it sends them

    def render_run(self, session: Session, run_id: int, now: datetime) -> dict[str, Any]:
        run = session.get(DigestRun, run_id)
        row = session.get(DigestSubscription, run.subscription_id) if run is not None else None
        if run is None or row is None:
            raise Rejected(f"digest run {run_id} is gone")
        cadence = self.cadence(row)
        figures = self.figures(session, run.period_start, run.period_end, now, parse_filter(row.filter))
        late = slack_date(run.period_end) if run.late else None
        text, blocks = self.message(figures, title=f"Support digest · {cadence.describe()}", late=late)
        return {"text": text, "blocks": blocks, "unfurl_links": False, "unfurl_media": False}

    def figures(self, session: Session, start: datetime, end: datetime, now: datetime, wanted: Filter) -> Figures:
        return compute(session, self.config.sla, start, end, now, wanted, self.settings.limits)

    def message(self, figures: Figures, *, title: str, late: str | None = None, period: str | None = None) -> tuple:
        links = Links(self._workspace(), self._people(figures))
        return digest_message(
            self.environment,
            figures,
            title=title,
            period=period or period_label(figures.start, figures.end),
            links=links,
            all_clear=self.settings.all_clear,
            late=late,
        )

    def preview_chart(self, user_id: str, now: datetime, tz: str, wanted: Filter, request: str | None) -> None:
        """Queue the chart of a preview for the person's DM (files cannot be ephemeral)."""
        key = request or f"{user_id}:{now.timestamp()}"
        chart = ChartRequest(user_id, now, tz, wanted.spec(), self._chart_title(now, tz), "sla-preview.png")
        with self.database.session() as session:
            outbox.enqueue(
                session,
                now=now,
                dedupe_key=f"digest-preview:{key}",
                method=CHART_METHOD,
                payload=chart.payload(),
                ordering_key=f"user:{user_id}",
                channel=user_id,
            )

    def send_chart(self, args: dict[str, Any]) -> dict[str, Any]:
        """The outbox adapter for CHART_METHOD: draw the last 14 days and upload it; the digest text is already out."""
        chart = ChartRequest(**{k: args[k] for k in ("channel", "tz", "filter", "title", "filename")}, end=_at(args))
        bounds = day_bounds(chart.end, chart.tz, CHART_DAYS)
        with self.database.session() as session:
            series = daily(session, bounds, parse_filter(chart.filter))
        zone = ZoneInfo(chart.tz)
        days = [Day(bound.astimezone(zone).date(), n, met) for bound, (n, met) in zip(bounds, series, strict=False)]
        image = render_chart(days, title=chart.title)
        try:
            channel = self.gateway.open_dm(chart.channel) if chart.channel[:1] in ("U", "W") else chart.channel
            if args.get(outbox.IN_DOUBT) and self._already_shared(channel, chart.filename):
                return {"ok": True, "already": True}
            return self.gateway.upload_file(channel, filename=chart.filename, content=image, title=chart.title)
        except SlackError as error:
            if error.transient:
                raise RetryLater(f"{error.method}: {error.error}") from None
            if error.permanent:
                raise Rejected(f"{error.method}: {error.error}") from None
            raise

    def _already_shared(self, channel: str, filename: str) -> bool:
        """An upload whose outcome was never recorded: is the file in the channel already?"""
        history = self.gateway.call("conversations.history", channel=channel, limit=50)
        return any(f.get("name") == filename for m in history.get("messages", []) for f in m.get("files") or [])

    # Helpers

    def cadence(self, row: DigestSubscription) -> Cadence:
        return parse_cadence(row.cadence, self.settings.timezone)

    @staticmethod
    def _chart_title(end: datetime, tz: str) -> str:
        return f"SLA breaches and achievement, {CHART_DAYS} days to {_last_day(end, tz):%d %b %Y}"

    def _workspace(self) -> str | None:
        if self._workspace_url is None:
            try:
                self._workspace_url = str(self.gateway.call("auth.test").get("url") or "")
            except SlackError as error:
                log.info("digests: no workspace address yet (%s); tickets are named without links", error.error)
        return self._workspace_url or None

    def _people(self, figures: Figures) -> dict[str, str]:
        wanted = {c.label for c in figures.breaches_by.get("agent", []) if c.label}
        wanted |= {t.assignee for t in figures.breached_open + figures.at_risk if t.assignee}
        for user_id in wanted - set(self._names):
            try:
                self._names[user_id] = self.gateway.user_name(user_id)
            except SlackError:
                pass  # named by id this time; asked again next time
        return {user: self._names[user] for user in wanted if user in self._names}

    def _require_agent(self, actor: Actor) -> None:
        if not actor.is_agent:
            raise PermissionDenied("Only support agents can change digest subscriptions.")


def day_bounds(end: datetime, tz: str, days: int) -> list[datetime]:
    """Local midnights of the `days` whole days before the one `end` falls in, and the midnight that ends them."""
    zone, last = ZoneInfo(tz), _last_day(end, tz)
    dates = [last - timedelta(days=n) for n in range(days - 1, -2, -1)]
    return [wall_to_utc(datetime.combine(d, time(0)), zone) for d in dates]


def _last_day(end: datetime, tz: str) -> date:
    """The last whole local day before `end`'s own day (a digest at 09:00 charts up to yesterday)."""
    return end.astimezone(ZoneInfo(tz)).date() - timedelta(days=1)


def _at(args: dict[str, Any]) -> datetime:
    try:
        return datetime.fromisoformat(str(args["end"]))
    except ValueError:
        raise UsageError("a chart row without a valid end") from None
