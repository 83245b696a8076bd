"""routing: offers of unassigned tickets to agents, and agents" presence (away, last offered)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from models.base import UTCDateTime

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "agent_presence",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("away_since", UTCDateTime(timezone=True), nullable=True),
        sa.Column("away_until", UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_offered_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_presence")),
        sa.UniqueConstraint("user_id", name=op.f("uq_agent_presence_user_id")),
    )
    op.create_table(
        "routing_offers",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("ticket_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("offered_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("answered_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name=op.f("fk_routing_offers_ticket_id_tickets")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routing_offers")),
        sa.UniqueConstraint("ticket_id", "user_id", name=op.f("uq_routing_offers_ticket_id")),
    )
    with op.batch_alter_table("routing_offers", schema=None) as batch_op:
        batch_op.create_index("ix_routing_offers_state_ticket_id", ["state", "ticket_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("routing_offers", schema=None) as batch_op:
        batch_op.drop_index("ix_routing_offers_state_ticket_id")

    op.drop_table("routing_offers")
    op.drop_table("agent_presence")
