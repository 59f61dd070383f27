"""items.body (full text of fulltext feeds); feeds.interval_hint (adaptive interval)

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("items") as batch:
        batch.add_column(sa.Column("body", sa.Text(), nullable=True))
    with op.batch_alter_table("feeds") as batch:
        batch.add_column(sa.Column("interval_hint", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("feeds") as batch:
        batch.drop_column("interval_hint")
    with op.batch_alter_table("items") as batch:
        batch.drop_column("body")
