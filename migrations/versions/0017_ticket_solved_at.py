"""tickets.solved_at: when a ticket last went from an active status to solved or closed, for the customer context

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from models.base import UTCDateTime

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# bot/tickets/rules.py ACTIVE_STATUSES and bot/sla/clocks.py STOPPED_STATUSES, as of this revision
ACTIVE, STOPPED = ("new", "open", "pending", "on-hold"), ("solved", "closed")


def upgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("solved_at", UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_tickets_customer_id_solved_at", ["customer_id", "solved_at"], unique=False)
        batch_op.create_index("ix_tickets_customer_id_status", ["customer_id", "status"], unique=False)
    # Tickets solved or closed now: the last logged solve, else (none logged) their last update, as the customer
    # context counted it before.
    tickets = sa.table(
        "tickets",
        sa.column("id"),
        sa.column("status"),
        sa.column("updated_at", UTCDateTime()),
        sa.column("solved_at", UTCDateTime()),
    )
    events = sa.table(
        "ticket_events",
        sa.column("ticket_id"),
        sa.column("kind"),
        sa.column("data", sa.JSON()),
        sa.column("created_at"),
    )
    last_solve = (
        sa.select(sa.func.max(events.c.created_at))
        .where(
            events.c.ticket_id == tickets.c.id,
            events.c.kind == "status_change",
            events.c.data["old"].as_string().in_(ACTIVE),
            events.c.data["new"].as_string().in_(STOPPED),
        )
        .scalar_subquery()
    )
    solved = tickets.c.status.in_(STOPPED)
    op.execute(tickets.update().where(solved).values(solved_at=sa.func.coalesce(last_solve, tickets.c.updated_at)))


def downgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_customer_id_status")
        batch_op.drop_index("ix_tickets_customer_id_solved_at")
        batch_op.drop_column("solved_at")
