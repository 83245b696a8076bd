"""PagerDuty's webhook events as incidents: a high-urgency trigger declares one (once per PagerDuty incident: its id is
the request key) at the configured major severity, with no commander yet (an incident admin names one) and with the
automatic customer liaison; acknowledged is noted; resolved resolves it. Acting on an event twice changes nothing."""

from __future__ import annotations

from sqlalchemy import select

from bot.incidents.service import IncidentService
from bot.messages import incidents as msg
from bot.pagerduty_webhooks import PagerDutyIncident
from bot.tickets.service import Actor
from models import Incident

# Who acts for PagerDuty's webhooks (shown as "PagerDuty", never as a mention).
PAGERDUTY = Actor(user_id="pagerduty", is_agent=True)


def handle(incidents: IncidentService, pd: PagerDutyIncident, action: str, event_type: str) -> str:
    """What became of the event, for the webhook's answer."""
    request = f"pagerduty:{pd.id}"
    if action == "open":
        title = pd.title or f"PagerDuty incident #{pd.number}"
        details = f"From PagerDuty ({pd.service})" + (f": {pd.html_url}" if pd.html_url else "")
        major = incidents.config.major
        declared = incidents.declare(
            PAGERDUTY, title, major, details, bridge=pd.conference_url, request=request, commander=None
        )
        return f"{declared.key} declared"
    with incidents.database.session() as session:
        found = session.scalar(select(Incident).where(Incident.request == request))
    if found is None:
        return "no Liaison incident for it"
    if action == "resolved":
        return (
            f"{found.key} already resolved" if found.status == "resolved" else incidents.resolve(PAGERDUTY, found.key)
        )
    incidents.note(found.key, "pagerduty", PAGERDUTY.user_id, msg.pagerduty_line(found, event_type), event=event_type)
    return f"{found.key}: {event_type} noted"
