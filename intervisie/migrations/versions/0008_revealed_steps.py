"""a session remembers which 'reveal together' steps the facilitator revealed

Revision ID: 0008
Revises: 0003
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("sessions", sa.Column("revealed_steps", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("revealed_steps")
