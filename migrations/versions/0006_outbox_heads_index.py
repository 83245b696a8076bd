"""outbox heads index: (ordering_key, state, id)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_ordering_key_state")
        batch_op.create_index("ix_outbox_ordering_key_state_id", ["ordering_key", "state", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_ordering_key_state_id")
        batch_op.create_index("ix_outbox_ordering_key_state", ["ordering_key", "state"], unique=False)
