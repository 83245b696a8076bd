"""SQLAlchemy models, one module per aggregate; importing this package registers every table on `Base.metadata`."""

from models.base import Base
from models.customer import Customer
from models.digest import DigestRun, DigestSubscription
from models.incident import (
    Incident,
    IncidentEvent,
    IncidentRole,
    IncidentStakeholder,
    IncidentSuggestion,
    IncidentTicket,
)
from models.oncall import OnCallOverride, ScheduleFeed
from models.outbox import OutboxMessage
from models.page import Page, PageNotice
from models.request import AppliedRequest
from models.routing import AgentPresence, RoutingOffer
from models.satisfaction import Satisfaction
from models.sla import SlaClock, Timer
from models.ticket import Ticket, TicketEvent, TicketPerson

__all__ = [
    "AgentPresence",
    "AppliedRequest",
    "Base",
    "Customer",
    "DigestRun",
    "DigestSubscription",
    "Incident",
    "IncidentEvent",
    "IncidentRole",
    "IncidentStakeholder",
    "IncidentSuggestion",
    "IncidentTicket",
    "OnCallOverride",
    "OutboxMessage",
    "Page",
    "PageNotice",
    "RoutingOffer",
    "Satisfaction",
    "ScheduleFeed",
    "SlaClock",
    "Ticket",
    "TicketEvent",
    "TicketPerson",
    "Timer",
]
