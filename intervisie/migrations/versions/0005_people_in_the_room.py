"""the people in the room: waiting for a key person, a co-facilitator, the case bringer's
signal, the screen's spotlight and instructions, contributions added on someone's behalf

Revision ID: 0005
Revises: 0008
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    for column in (
        sa.Column("absence_paused", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("gone_on", sa.JSON(), nullable=True),
        sa.Column("co_facilitator_id", sa.String(length=32), nullable=True),
        sa.Column("stood_in_for", sa.String(length=32), nullable=True),
        sa.Column("signal", sa.JSON(), nullable=True),
        sa.Column("spotlight_id", sa.String(length=32), nullable=True),
        sa.Column("screen_instructions", sa.Boolean(), nullable=False, server_default=sa.false()),
    ):
        op.add_column("sessions", column)
    op.add_column("contributions", sa.Column("author_name", sa.String(length=80), nullable=True))
    op.add_column("contributions", sa.Column("entered_by", sa.String(length=32), nullable=True))


def downgrade():
    with op.batch_alter_table("contributions") as batch:
        batch.drop_column("entered_by")
        batch.drop_column("author_name")
    with op.batch_alter_table("sessions") as batch:
        for name in (
            "screen_instructions",
            "spotlight_id",
            "signal",
            "stood_in_for",
            "co_facilitator_id",
            "gone_on",
            "absence_paused",
        ):
            batch.drop_column(name)
