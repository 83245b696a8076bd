"""agent_presence: each agent's active tickets and waiting offers, counted as they change from today's rows

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# bot/tickets/rules.py ACTIVE_STATUSES, as of this revision
ACTIVE = "('new', 'open', 'pending', 'on-hold')"


def upgrade() -> None:
    with op.batch_alter_table("agent_presence", schema=None) as batch_op:
        batch_op.add_column(sa.Column("open_tickets", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("offers_waiting", sa.Integer(), server_default="0", nullable=False))
    # The counts start from the rows as they are: every agent holding a ticket gets a row, then both are counted.
    op.execute(
        "INSERT INTO agent_presence (user_id, updated_at) "
        f"SELECT assignee_id, max(updated_at) FROM tickets WHERE assignee_id IS NOT NULL AND status IN {ACTIVE} "
        "GROUP BY assignee_id ON CONFLICT (user_id) DO NOTHING"
    )
    op.execute(
        "UPDATE agent_presence SET "
        "open_tickets = (SELECT count(*) FROM tickets "
        f"WHERE tickets.assignee_id = agent_presence.user_id AND tickets.status IN {ACTIVE}), "
        "offers_waiting = (SELECT count(*) FROM routing_offers "
        "WHERE routing_offers.user_id = agent_presence.user_id AND routing_offers.state = 'offered')"
    )


def downgrade() -> None:
    with op.batch_alter_table("agent_presence", schema=None) as batch_op:
        batch_op.drop_column("offers_waiting")
        batch_op.drop_column("open_tickets")
