"""items.attempts and items.failed_at: an item that keeps failing is set aside, with its reason

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

import veille.models

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("items") as batch:
        batch.add_column(
            sa.Column("attempts", sa.Integer(), nullable=False, server_default=sa.text("0"))
        )
        batch.add_column(
            sa.Column("failed_at", veille.models.UTCDateTime(timezone=True), nullable=True)
        )
        batch.create_index("ix_items_failed_at", ["failed_at"])


def downgrade() -> None:
    with op.batch_alter_table("items") as batch:
        batch.drop_index("ix_items_failed_at")
        batch.drop_column("failed_at")
        batch.drop_column("attempts")
