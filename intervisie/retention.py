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
from sqlalchemy.orm import Session as OrmSession

from .db import WRITE, Database, db, make_engine
from .extensions import socketio
from .models import BreakoutGroup, Connection, Contribution, Mark, Participant, Session, StepVisit
from .offload import on_eventlet_loop, run_off_loop
from .service import room_all

log = logging.getLogger(__name__)
DAY = 86400
BATCH = 200
# Children first: nothing is left pointing at a row that is gone.
TABLES = (Mark, Contribution, BreakoutGroup, Connection, StepVisit, Participant)


def delete_sessions(orm, session_ids: list[str], *, scrub: bool = True) -> int:
    """Delete these sessions and all their rows; the caller commits, and the commit scrubs them off the disk.

    ``scrub=False``: the caller scrubs (``Database.scrub``) after the commit itself.
    """
    if session_ids and scrub:
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
    """Remove every expired session; returns how many were removed.

    Under eventlet the deleting (thousands of rows after a quiet month) and
    the scrub of the write-ahead log run off the event loop, in a worker thread
    with a database engine of its own: the app's connection pool guards itself
    with eventlet's green locks, which must never be shared with a real thread.
    """
    now = now or time.time()
    config = current_app.config
    window = (now, config["RETENTION_DAYS"], config["IDLE_SESSION_DAYS"])
    if on_eventlet_loop():
        ids = run_off_loop(_purge_apart, config["DATABASE_URL"], *window)
    else:
        with db.session(write=True) as orm:
            ids = expired(orm, *window)
            delete_sessions(orm, ids)
            orm.commit()
    if notify:
        announce(ids)
    return len(ids)


def _purge_apart(url: str, now: float, retention_days: float, idle_days: float) -> list[str]:
    """In a worker thread: delete the expired sessions, and scrub, through an engine no other thread uses."""
    apart = Database()
    apart.engine = make_engine(url)
    try:
        with OrmSession(apart.engine) as orm:
            orm.connection(execution_options={WRITE: True})  # serialized like every write
            ids = expired(orm, now, retention_days, idle_days)
            delete_sessions(orm, ids, scrub=False)
            orm.commit()
        if ids:
            apart.scrub()
        return ids
    finally:
        apart.engine.dispose()


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
