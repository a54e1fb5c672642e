"""an answer belongs to the question it answers

Revision ID: 0004
Revises: 0005
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    # Answers written before this revision name no question: they stay, shown on their own.
    with op.batch_alter_table("contributions") as batch:
        batch.add_column(sa.Column("reply_to", sa.String(length=32), nullable=True))
        batch.create_foreign_key(
            "fk_contributions_reply_to", "contributions", ["reply_to"], ["id"], ondelete="CASCADE"
        )
        batch.create_index("ix_contributions_reply_to", ["reply_to"])


def downgrade():
    with op.batch_alter_table("contributions") as batch:
        batch.drop_index("ix_contributions_reply_to")
        batch.drop_constraint("fk_contributions_reply_to", type_="foreignkey")
        batch.drop_column("reply_to")
