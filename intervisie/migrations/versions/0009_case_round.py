"""a session keeps its case round: the hidden votes and the chosen pitch

Revision ID: 0009
Revises: 0007
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("sessions", sa.Column("case_votes", sa.JSON(), nullable=True))
    op.add_column("sessions", sa.Column("chosen_case_id", sa.String(32), nullable=True))


def downgrade():
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("chosen_case_id")
        batch.drop_column("case_votes")
