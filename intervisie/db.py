"""The database engine, units of work, and schema migrations (Alembic).

Two rules hold here for every engine and async mode:

- **A change to a session is serialized.** ``db.session(write=True)`` starts a
  write transaction: ``BEGIN IMMEDIATE`` on SQLite (one writer at a time, taken
  before anything is read), and on PostgreSQL a transaction with a lock
  timeout in which the service locks the session row (``lock_session``).
- **A database wait never blocks other sessions.** Under eventlet the whole
  server runs on one OS thread, so a wait inside a C function (SQLite's busy
  handler, psycopg's ``wait_c``) would stop every session. On SQLite the busy
  timeout is 0 under eventlet and a write waits for its turn in a Python loop
  that sleeps cooperatively; on PostgreSQL psycopg waits through ``select``,
  which eventlet makes cooperative (see ``cooperative_psycopg``). A wait has a
  limit; past it the unit of work raises ``Busy``, which the client gets as the
  error ``busy``.
"""

from __future__ import annotations

import logging
import sqlite3
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, event, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import sessionmaker

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"

# How long a write waits for its turn (SQLite) before it answers ``busy``.
BUSY_SECONDS = 10.0
# PostgreSQL: how long a statement waits for a lock, and how long any statement may run.
LOCK_TIMEOUT_SECONDS = 5.0
STATEMENT_TIMEOUT_SECONDS = 15.0
# How long ``scrub`` keeps trying to checkpoint past open readers.
SCRUB_SECONDS = 5.0

# Execution options read by the ``begin`` listeners.
WRITE = "intervisie_write"  # this transaction will write: BEGIN IMMEDIATE on SQLite
TIMEOUTS = "intervisie_timeouts"  # False: no lock/statement timeout (migrations)

# PostgreSQL error codes that mean "someone else holds it; try again shortly".
BUSY_SQLSTATES = {
    "55P03",  # lock_not_available: lock_timeout expired
    "57014",  # query_canceled: statement_timeout expired
    "40P01",  # deadlock_detected
}


class Busy(Exception):
    """The database stayed busy (a lock held elsewhere) past the wait limit; nothing changed, try again."""


def busy_response(_exc: Busy):
    """Any HTTP request that met ``Busy``: 503 with the error ``busy``, in the asker's language."""
    from flask import request

    from . import i18n

    lang = i18n.pick(request.args.get("lang") or i18n.best_match(request.accept_languages))
    body = {"ok": False, "error": "busy", "message": i18n.translate(lang, "error.busy")}
    return body, 503, {"Retry-After": "2", "Cache-Control": "no-store"}


def green() -> bool:
    """Whether this OS thread runs eventlet's loop: then any wait in C stops every session.

    False in a process that eventlet has not monkey-patched, and in eventlet's
    worker threads (``tpool``, see ``offload.run_off_loop``), which are real
    threads where a wait in C blocks only themselves.
    """
    patcher = sys.modules.get("eventlet.patcher")
    if not (patcher and patcher.is_monkey_patched("thread")):
        return False
    real = patcher.original("threading")
    return real.current_thread() is real.main_thread()


def is_busy(exc: BaseException) -> bool:
    """Whether a database error means a lock held elsewhere (not a bug, not a broken database)."""
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    if isinstance(orig, sqlite3.OperationalError):
        message = str(orig).lower()
        return "locked" in message or "busy" in message
    return getattr(orig, "sqlstate", None) in BUSY_SQLSTATES


class Database:
    """Holds the engine of one app; ``db.session()`` gives a unit of work."""

    def __init__(self):
        self.engine: Engine | None = None
        self._factory: sessionmaker | None = None

    def init_app(self, app) -> None:
        url = app.config["DATABASE_URL"]
        self.engine = make_engine(
            url,
            busy_seconds=app.config.get("DB_BUSY_SECONDS", BUSY_SECONDS),
            lock_timeout=app.config.get("DB_LOCK_TIMEOUT_SECONDS", LOCK_TIMEOUT_SECONDS),
            statement_timeout=app.config.get("DB_STATEMENT_TIMEOUT_SECONDS", STATEMENT_TIMEOUT_SECONDS),
            pool=(app.config.get("DB_POOL_SIZE", 10), app.config.get("DB_MAX_OVERFLOW", 20)),
        )
        self._factory = sessionmaker(self.engine, expire_on_commit=False)
        app.extensions["intervisie_db"] = self
        app.register_error_handler(Busy, busy_response)

    @contextmanager
    def session(self, write: bool = False):
        """A unit of work: committed by the caller, rolled back on any error, always closed.

        ``write=True``: a serialized write transaction, begun at once (``BEGIN
        IMMEDIATE`` on SQLite, waiting cooperatively for its turn). Use it for
        every read-check-write; on PostgreSQL also lock the session row with
        ``lock_session``. After a commit the session may go on reading; that is
        a new, plain transaction. A lock wait past its limit raises ``Busy``.
        """
        orm: OrmSession = self._factory()
        try:
            if write:
                orm.connection(execution_options={WRITE: True})
            yield orm
        except BaseException as exc:
            orm.rollback()
            if isinstance(exc, DBAPIError) and is_busy(exc):
                raise Busy(str(exc.orig)) from exc
            raise
        finally:
            orm.close()

    def lock_session(self, orm: OrmSession, session_id: str):
        """Load the session row to change it; the ``Session`` (or None) as stored now.

        On PostgreSQL this is ``SELECT ... FOR UPDATE``: other writers of this
        session wait (up to the lock timeout) until this unit of work ends. On
        SQLite ``BEGIN IMMEDIATE`` has already serialized every writer, so it is
        a plain read. Either way it must run inside ``db.session(write=True)``.
        """
        from .models import Session

        if not orm.connection().get_execution_options().get(WRITE):
            raise RuntimeError("lock_session needs a unit of work from db.session(write=True)")
        query = (
            select(Session)
            .where(Session.id == session_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return orm.scalar(query)

    def scrub(self) -> bool:
        """Make deleted rows unreadable on disk; True when done. Call it after a deletion is committed.

        SQLite: every connection runs with ``secure_delete=ON``, so deleted
        content is overwritten with zeros in the database pages; but the old
        pages stay readable in the write-ahead log until it is checkpointed.
        This copies the log into the database and truncates it to zero bytes
        (``PRAGMA wal_checkpoint(TRUNCATE)``), waiting cooperatively for open
        readers up to ``SCRUB_SECONDS``; False if they did not finish in time
        (the next deletion or purge tries again).

        PostgreSQL: nothing to do here. A deleted row can no longer be read
        through the database; its old version stays in the table file until
        (auto)vacuum reuses the space, as with any PostgreSQL deletion.
        Protecting the server's files (disk encryption, access) is part of the
        deployment (docs/deploy.md).
        """
        if self.engine is None or self.engine.dialect.name != "sqlite":
            return True
        deadline = time.monotonic() + SCRUB_SECONDS
        pause = 0.005
        raw = self.engine.raw_connection()
        try:
            while True:
                try:
                    busy, _log, _done = raw.driver_connection.execute(
                        "PRAGMA wal_checkpoint(TRUNCATE)"
                    ).fetchone()
                except sqlite3.OperationalError as exc:
                    if not is_busy(exc):
                        raise
                    busy = 1
                if not busy:
                    return True
                if time.monotonic() >= deadline:
                    log.warning("could not checkpoint the write-ahead log: readers stayed open")
                    return False
                time.sleep(pause)  # cooperative under eventlet
                pause = min(pause * 2, 0.1)
        finally:
            raw.close()

    def scrub_after_commit(self, orm: OrmSession) -> None:
        """Run ``scrub`` once this unit of work commits (for code that deletes and leaves the commit to its caller)."""
        if orm.info.get("scrub_after_commit"):
            return
        orm.info["scrub_after_commit"] = True

        def scrub_now(_orm):
            _orm.info.pop("scrub_after_commit", None)
            try:
                self.scrub()
            except Exception:
                log.exception("could not scrub after a deletion")

        event.listen(orm, "after_commit", scrub_now, once=True)

    def upgrade(self) -> None:
        upgrade(self.engine)


def cooperative_psycopg() -> None:
    """Make psycopg 3 wait for the server through ``select``, which eventlet makes cooperative.

    psycopg runs every query as a generator and hands the waiting to
    ``psycopg.waiting.wait`` (looked up at each call). With its C extension
    installed it picks ``wait_c``, a wait in C that eventlet cannot switch away
    from: one session waiting for a row lock stopped every session. psycopg
    itself avoids ``wait_c`` when gevent has patched ``select``, and its
    maintainers name replacing ``waiting.wait`` as the way for other green
    libraries. We use psycopg's own ``wait_select``: it calls ``select.select``
    at each wait, and eventlet's monkey-patching replaces that function in the
    ``select`` module itself, so it works whether psycopg was imported before
    or after patching (the ``PSYCOPG_WAIT_FUNC`` variable would have to be set
    before the import). Connecting uses ``wait_conn``, which builds a
    ``DefaultSelector`` bound at import; it gets eventlet's green one. The
    choice is made per wait: eventlet's real worker threads (``tpool``) keep
    ``wait_c``, which blocks only themselves.
    """
    import selectors

    from psycopg import waiting

    if not green() or getattr(waiting, "intervisie_cooperative", False):
        return
    in_c = waiting.wait

    def wait(gen, fileno, interval=0.0, timeout=None):
        chosen = waiting.wait_select if green() else in_c
        return chosen(gen, fileno, interval, timeout)

    waiting.wait = wait
    waiting.DefaultSelector = selectors.DefaultSelector
    waiting.intervisie_cooperative = True


def make_engine(
    url: str,
    *,
    busy_seconds: float = BUSY_SECONDS,
    lock_timeout: float = LOCK_TIMEOUT_SECONDS,
    statement_timeout: float = STATEMENT_TIMEOUT_SECONDS,
    pool: tuple[int, int] = (10, 20),
) -> Engine:
    """The engine for ``url``; ``pool`` is (connections kept open, more at a peak) for a database server."""
    if url.startswith("sqlite"):
        return _sqlite_engine(url, busy_seconds)
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    if url.startswith("postgresql+psycopg:"):
        cooperative_psycopg()
    engine = create_engine(url, pool_pre_ping=True, pool_size=pool[0], max_overflow=pool[1])
    settings = "SELECT set_config('lock_timeout', %(lock)s, true), set_config('statement_timeout', %(statement)s, true)"
    values = {"lock": f"{round(lock_timeout * 1000)}ms", "statement": f"{round(statement_timeout * 1000)}ms"}

    @event.listens_for(engine, "begin")
    def _timeouts(conn):
        # SET LOCAL: for this transaction only, so a pooled connection carries nothing over.
        if conn.get_execution_options().get(TIMEOUTS, True):
            conn.exec_driver_sql(settings, values)

    return engine


def _sqlite_engine(url: str, busy_seconds: float) -> Engine:
    """SQLite in WAL mode; SQLAlchemy emits BEGIN itself (the pysqlite recipe), so writes can BEGIN IMMEDIATE."""
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 0})

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # no implicit BEGIN from the driver
        # Under eventlet no wait in C: a locked database answers at once and we wait in Python.
        wait_ms = 0 if green() else round(busy_seconds * 1000)
        for pragma in (
            f"PRAGMA busy_timeout={wait_ms}",
            "PRAGMA journal_mode=WAL",
            "PRAGMA synchronous=NORMAL",
            "PRAGMA foreign_keys=ON",
            "PRAGMA secure_delete=ON",  # deleted text is overwritten, not left in free pages
        ):
            dbapi_connection.execute(pragma)

    @event.listens_for(engine, "begin")
    def _begin(conn):
        if not conn.get_execution_options().get(WRITE):
            conn.exec_driver_sql("BEGIN")  # deferred: a reader never waits in WAL mode
            return
        begin_immediate(conn.connection.driver_connection, busy_seconds)

    return engine


def begin_immediate(dbapi_connection: sqlite3.Connection, limit: float) -> None:
    """Take SQLite's write lock, waiting for it in Python (``time.sleep`` is green under eventlet).

    Under eventlet the busy timeout is 0, so each try answers at once; with
    real threads the busy timeout already waited in C, in this thread only.
    Raises ``Busy`` when the lock is still held elsewhere after ``limit`` seconds.
    """
    deadline = time.monotonic() + limit
    pause = 0.002
    while True:
        try:
            dbapi_connection.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as exc:
            if not is_busy(exc):
                raise
            if time.monotonic() >= deadline or not green():  # with real threads SQLite already waited
                raise Busy("the database stayed locked for a write") from exc
        time.sleep(pause)
        pause = min(pause * 1.5, 0.05)


def alembic_config(engine: Engine):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest revision; server processes starting together take turns."""
    from alembic import command

    # A migration may wait for other processes and run long: no lock or statement timeout.
    engine = engine.execution_options(**{TIMEOUTS: False})
    if engine.dialect.name != "postgresql":
        command.upgrade(alembic_config(engine), "head")
        return
    with engine.connect() as conn:
        conn.exec_driver_sql("SELECT pg_advisory_lock(4242)")
        try:
            command.upgrade(alembic_config(engine), "head")
        finally:
            conn.exec_driver_sql("SELECT pg_advisory_unlock(4242)")
            conn.commit()


db = Database()
