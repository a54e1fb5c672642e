"""The database engine, sessions, and schema migrations (Alembic)."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import sessionmaker

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class Database:
    """Holds the engine of one app; ``db.session()`` gives a unit of work."""

    def __init__(self):
        self.engine: Engine | None = None
        self._factory: sessionmaker | None = None

    def init_app(self, app) -> None:
        url = app.config["DATABASE_URL"]
        self.engine = make_engine(url)
        self._factory = sessionmaker(self.engine, expire_on_commit=False)
        app.extensions["intervisie_db"] = self

    @contextmanager
    def session(self):
        """A unit of work: committed by the caller, rolled back on any error, always closed."""
        orm: OrmSession = self._factory()
        try:
            yield orm
        except BaseException:
            orm.rollback()
            raise
        finally:
            orm.close()

    def upgrade(self) -> None:
        upgrade(self.engine)


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 15})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def alembic_config(engine: Engine):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest revision; server processes starting together take turns."""
    from alembic import command

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
