"""incidents: channels, roles with history, linked tickets, timeline; pages about incidents

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from models.base import UTCDateTime

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "incidents",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("title", sa.String(length=250), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("severity", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("declared_by", sa.String(length=32), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=True),
        sa.Column("channel_name", sa.String(length=80), nullable=True),
        sa.Column("bridge_url", sa.String(length=500), nullable=True),
        sa.Column("provision_owner", sa.String(length=64), nullable=True),
        sa.Column("provision_until", UTCDateTime(timezone=True), nullable=True),
        sa.Column("provision_error", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("request", sa.String(length=200), nullable=True),
        sa.Column("row_version", sa.Integer(), server_default="1", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
        sa.UniqueConstraint("request", name=op.f("uq_incidents_request")),
    )
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.create_index("ix_incidents_status", ["status"], unique=False)

    op.create_table(
        "incident_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("incident_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("author_id", sa.String(length=32), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_incident_events_incident_id_incidents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_events")),
    )
    with op.batch_alter_table("incident_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_incident_events_incident_id"), ["incident_id"], unique=False)

    op.create_table(
        "incident_roles",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("incident_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("assigned_by", sa.String(length=32), nullable=False),
        sa.Column("started_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_incident_roles_incident_id_incidents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_roles")),
    )
    with op.batch_alter_table("incident_roles", schema=None) as batch_op:
        batch_op.create_index("ix_incident_roles_incident_id_role", ["incident_id", "role"], unique=False)

    op.create_table(
        "incident_tickets",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("incident_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("ticket_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("linked_by", sa.String(length=32), nullable=False),
        sa.Column("linked_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_incident_tickets_incident_id_incidents")
        ),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name=op.f("fk_incident_tickets_ticket_id_tickets")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_tickets")),
        sa.UniqueConstraint("incident_id", "ticket_id", name=op.f("uq_incident_tickets_incident_id")),
    )
    with op.batch_alter_table("incident_tickets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_incident_tickets_incident_id"), ["incident_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_incident_tickets_ticket_id"), ["ticket_id"], unique=False)

    with op.batch_alter_table("pages", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("incident_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True)
        )
        batch_op.add_column(sa.Column("purpose", sa.String(length=32), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_pages_incident_id_incidents"), "incidents", ["incident_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("pages", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_pages_incident_id_incidents"), type_="foreignkey")
        batch_op.drop_column("purpose")
        batch_op.drop_column("incident_id")

    with op.batch_alter_table("incident_tickets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_tickets_ticket_id"))
        batch_op.drop_index(batch_op.f("ix_incident_tickets_incident_id"))

    op.drop_table("incident_tickets")
    with op.batch_alter_table("incident_roles", schema=None) as batch_op:
        batch_op.drop_index("ix_incident_roles_incident_id_role")

    op.drop_table("incident_roles")
    with op.batch_alter_table("incident_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_events_incident_id"))

    op.drop_table("incident_events")
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_index("ix_incidents_status")

    op.drop_table("incidents")
