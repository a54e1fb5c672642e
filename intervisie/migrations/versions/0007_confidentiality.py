"""the group's confidentiality agreement: who confirmed it and when, and the case bringer's
consent before the record can be downloaded

Revision ID: 0007
Revises: 0004
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    # Sessions that exist already never asked for the agreement: they keep working as they did.
    op.add_column(
        "sessions", sa.Column("confidentiality", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.add_column("sessions", sa.Column("record_consent_at", sa.Float(), nullable=True))
    op.add_column("participants", sa.Column("agreed_at", sa.Float(), nullable=True))


def downgrade():
    with op.batch_alter_table("participants") as batch:
        batch.drop_column("agreed_at")
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("record_consent_at")
        batch.drop_column("confidentiality")
