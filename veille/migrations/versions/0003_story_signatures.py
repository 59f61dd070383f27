"""story signatures and LSH bands: near-duplicate wire rewrites are one story

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("stories") as batch:
        batch.add_column(sa.Column("signature", sa.LargeBinary(), nullable=True))
    op.create_table(
        "story_bands",
        sa.Column("band", sa.String(length=24), nullable=False),
        sa.Column("story_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["story_id"], ["stories.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("band", "story_id"),
    )


def downgrade() -> None:
    op.drop_table("story_bands")
    with op.batch_alter_table("stories") as batch:
        batch.drop_column("signature")
