"""leases on outbox rows and timers, message ts, applied requests, ticket row version

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from models.base import UTCDateTime

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lease_owner", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("lease_until", UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("in_doubt", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("posted_channel", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("posted_ts", sa.String(length=32), nullable=True))
    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lease_owner", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("lease_until", UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("last_error", sa.Text(), nullable=True))
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("row_version", sa.Integer(), server_default="1", nullable=False))
    op.create_table(
        "applied_requests",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_applied_requests")),
        sa.UniqueConstraint("key", name=op.f("uq_applied_requests_key")),
    )
    with op.batch_alter_table("applied_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_applied_requests_created_at"), ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_table("applied_requests")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_column("row_version")
    with op.batch_alter_table("timers", schema=None) as batch_op:
        for column in ("last_error", "attempts", "lease_until", "lease_owner"):
            batch_op.drop_column(column)
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        for column in ("posted_ts", "posted_channel", "in_doubt", "lease_until", "lease_owner"):
            batch_op.drop_column(column)
