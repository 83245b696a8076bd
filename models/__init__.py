"""SQLAlchemy models, one module per aggregate; importing this package registers every table on `Base.metadata`."""

from models.base import Base
from models.customer import Customer
from models.outbox import OutboxMessage
from models.request import AppliedRequest
from models.sla import SlaClock, Timer
from models.ticket import Ticket, TicketEvent

__all__ = ["AppliedRequest", "Base", "Customer", "OutboxMessage", "SlaClock", "Ticket", "TicketEvent", "Timer"]
