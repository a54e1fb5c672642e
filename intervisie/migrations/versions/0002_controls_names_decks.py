"""control counter, compared names, one case bringer, the method and deck kept with a session

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _name_key(name: str) -> str:
    # The same rule as intervisie.session.name_key, frozen here as this revision applied it.
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())


def upgrade():
    op.add_column("sessions", sa.Column("control", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("sessions", sa.Column("method", sa.JSON(), nullable=True))
    op.add_column("sessions", sa.Column("deck", sa.JSON(), nullable=True))
    op.add_column("participants", sa.Column("name_key", sa.String(length=160), nullable=True))

    # Compare names as the rules now do; people who already share a name get a number.
    conn = op.get_bind()
    participants = sa.table(
        "participants",
        sa.column("id", sa.String),
        sa.column("session_id", sa.String),
        sa.column("name", sa.String),
        sa.column("name_key", sa.String),
        sa.column("removed", sa.Boolean),
        sa.column("joined_at", sa.Float),
    )
    rows = conn.execute(
        sa.select(
            participants.c.id, participants.c.session_id, participants.c.name, participants.c.removed
        ).order_by(participants.c.joined_at)
    ).all()
    taken: set[tuple[str, str]] = set()
    for pid, session_id, name, removed in rows:
        key, final, n = _name_key(name), name, 1
        while not removed and (session_id, key) in taken:
            n += 1
            final = f"{name} ({n})"
            key = _name_key(final)
        if not removed:
            taken.add((session_id, key))
        conn.execute(participants.update().where(participants.c.id == pid).values(name=final, name_key=key))

    with op.batch_alter_table("participants") as batch:
        batch.alter_column("name_key", existing_type=sa.String(length=160), nullable=False)
    op.create_index(
        "uq_participants_name",
        "participants",
        ["session_id", "name_key"],
        unique=True,
        sqlite_where=sa.text("removed = 0"),
        postgresql_where=sa.text("NOT removed"),
    )
    op.create_index(
        "uq_participants_case_bringer",
        "participants",
        ["session_id"],
        unique=True,
        sqlite_where=sa.text("role = 'case_bringer' AND removed = 0"),
        postgresql_where=sa.text("role = 'case_bringer' AND NOT removed"),
    )


def downgrade():
    op.drop_index("uq_participants_case_bringer", table_name="participants")
    op.drop_index("uq_participants_name", table_name="participants")
    with op.batch_alter_table("participants") as batch:
        batch.drop_column("name_key")
    op.drop_column("sessions", "deck")
    op.drop_column("sessions", "method")
    op.drop_column("sessions", "control")
