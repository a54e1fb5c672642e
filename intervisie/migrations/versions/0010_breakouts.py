"""breakout groups: a step's groups with their own position and timer; contributions carry their group

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "breakout_groups",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column(
            "session_id", sa.String(32), sa.ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("step_index", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("members", sa.JSON(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("phase", sa.Integer(), nullable=False),
        sa.Column("done", sa.Boolean(), nullable=False),
        sa.Column("timer_state", sa.String(16), nullable=False),
        sa.Column("timer_duration", sa.Float(), nullable=False),
        sa.Column("timer_deadline", sa.Float(), nullable=True),
        sa.Column("timer_remaining", sa.Float(), nullable=False),
        sa.UniqueConstraint("session_id", "step_index", "number", name="uq_breakout_groups_number"),
    )
    op.create_index("ix_breakout_groups_session_id", "breakout_groups", ["session_id"])
    op.create_index("ix_breakout_groups_timer_due", "breakout_groups", ["timer_state", "timer_deadline"])
    # Contributions from before were written in the whole group: they carry no group.
    with op.batch_alter_table("contributions") as batch:
        batch.add_column(sa.Column("group_id", sa.String(32), nullable=True))
        batch.add_column(sa.Column("round", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_contributions_group_id", "breakout_groups", ["group_id"], ["id"], ondelete="CASCADE"
        )
        batch.create_index("ix_contributions_group_id", ["group_id"])


def downgrade():
    with op.batch_alter_table("contributions") as batch:
        batch.drop_index("ix_contributions_group_id")
        batch.drop_constraint("fk_contributions_group_id", type_="foreignkey")
        batch.drop_column("round")
        batch.drop_column("group_id")
    op.drop_index("ix_breakout_groups_timer_due", "breakout_groups")
    op.drop_index("ix_breakout_groups_session_id", "breakout_groups")
    op.drop_table("breakout_groups")
