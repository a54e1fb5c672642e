"""Deleting sessions: at once by the facilitator, or when they expire.

Confidential cases should not linger. A session is removed RETENTION_DAYS
after it ended, and one that never ended after IDLE_SESSION_DAYS without any
activity. Removal deletes every row of the session in every table with
explicit statements, so it does not depend on foreign-key cascades being on.
"""

from __future__ import annotations

import logging
import time

from flask import current_app
from sqlalchemy import and_, delete, or_, select
from sqlalchemy.exc import SQLAlchemyError

from .db import db
from .extensions import socketio
from .models import Connection, Contribution, Mark, Participant, Session, StepVisit
from .service import room_all

log = logging.getLogger(__name__)
DAY = 86400
BATCH = 200
# Children first: nothing is left pointing at a row that is gone.
TABLES = (Mark, Contribution, Connection, StepVisit, Participant)


def delete_sessions(orm, session_ids: list[str]) -> int:
    """Delete these sessions and all their rows; the caller commits, and the commit scrubs them off the disk."""
    if session_ids:
        db.scrub_after_commit(orm)  # deleted means unreadable on disk, write-ahead log included
    removed = 0
    for first in range(0, len(session_ids), BATCH):
        ids = session_ids[first : first + BATCH]
        for table in TABLES:
            orm.execute(
                delete(table).where(table.session_id.in_(ids)),
                execution_options={"synchronize_session": False},
            )
        removed += orm.execute(
            delete(Session).where(Session.id.in_(ids)), execution_options={"synchronize_session": False}
        ).rowcount
    return removed


def expired(orm, now: float, retention_days: float, idle_days: float) -> list[str]:
    """Ids of sessions past their retention: ended long enough ago, or idle too long without ending."""
    query = select(Session.id).where(
        or_(
            Session.ended_at < now - retention_days * DAY,
            and_(Session.ended_at.is_(None), Session.updated_at < now - idle_days * DAY),
        )
    )
    return list(orm.scalars(query))


def purge(now: float | None = None, *, notify: bool = True) -> int:
    """Remove every expired session; returns how many were removed."""
    now = now or time.time()
    config = current_app.config
    with db.session(write=True) as orm:
        ids = expired(orm, now, config["RETENTION_DAYS"], config["IDLE_SESSION_DAYS"])
        removed = delete_sessions(orm, ids)
        orm.commit()
    if notify:
        announce(ids)
    return removed


def announce(session_ids: list[str]) -> None:
    """Tell anyone still connected that the session is gone, so their screen can say so."""
    for session_id in session_ids:
        try:
            socketio.emit("session:deleted", {}, to=room_all(session_id))
        except Exception:
            log.exception("could not announce a deleted session")


def purge_at_start(app) -> None:
    """Run at start-up; a database without the schema yet (``db upgrade`` pending) is left alone."""
    with app.app_context():
        try:
            removed = purge(notify=False)
        except SQLAlchemyError:
            log.warning("start-up purge skipped: the database is not ready")
            return
    if removed:
        log.info("removed %d expired session(s)", removed)
