"""each breakout client's consent to their round in the record

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("participants", sa.Column("consent_at", sa.Float(), nullable=True))


def downgrade():
    with op.batch_alter_table("participants") as batch:
        batch.drop_column("consent_at")
