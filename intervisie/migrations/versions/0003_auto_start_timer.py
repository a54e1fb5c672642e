"""a session may start each step's timer when the step opens

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    # Sessions that exist already keep the timer they know (off); new ones start it by default.
    op.add_column(
        "sessions",
        sa.Column("auto_start_timer", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    with op.batch_alter_table("sessions") as batch:
        batch.alter_column("auto_start_timer", existing_type=sa.Boolean(), server_default=sa.true())


def downgrade():
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("auto_start_timer")
