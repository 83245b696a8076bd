"""incident stakeholders: people kept informed of an incident

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from models.base import UTCDateTime

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "incident_stakeholders",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("incident_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("added_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_incident_stakeholders_incident_id_incidents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_stakeholders")),
        sa.UniqueConstraint("incident_id", "user_id", name=op.f("uq_incident_stakeholders_incident_id")),
    )
    with op.batch_alter_table("incident_stakeholders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_incident_stakeholders_incident_id"), ["incident_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("incident_stakeholders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_stakeholders_incident_id"))

    op.drop_table("incident_stakeholders")
