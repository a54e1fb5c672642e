"""Outside resources a test needs, made fresh by the test that uses them.

A fresh machine has no test database and no Redis keys from an earlier run,
so every test that talks to PostgreSQL or Redis creates what it uses first.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import threading
import time
from urllib.parse import urlsplit

import pytest

PG_ADMIN_URL = os.environ.get("INTERVISIE_TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("INTERVISIE_TEST_REDIS_URL", "redis://127.0.0.1:6379/7")


def reachable(url: str, default_port: int) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or default_port), timeout=1):
            return True
    except OSError:
        return False


def require(*services: tuple[str, str, int]) -> None:
    """Skip when a service is missing here; in CI (``CI`` set) a missing service fails the test."""
    missing = [name for name, url, port in services if not reachable(url, port)]
    if not missing:
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI needs {', '.join(missing)} for this test")
    pytest.skip(f"{', '.join(missing)} not reachable on this machine")


def fresh_postgres_database(name: str) -> str:
    """Drop and create database ``name`` on the test server; returns its URL."""
    import psycopg

    require(("PostgreSQL", PG_ADMIN_URL, 5432))
    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def fresh_redis_db(url: str = REDIS_URL) -> str:
    """Empty the Redis database of ``url`` (the tests' own db number); returns the URL."""
    import redis

    require(("Redis", url, 6379))
    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    finally:
        client.close()
    return url


def hold_sqlite_write_lock(path: str, seconds: float) -> threading.Thread:
    """Another program (a backup, a cron purge) holds SQLite's write lock on ``path`` for ``seconds``."""

    def hold(taken: threading.Event) -> None:
        outside = sqlite3.connect(path, isolation_level=None, timeout=0)
        outside.execute("BEGIN IMMEDIATE")
        taken.set()
        time.sleep(seconds)
        outside.execute("ROLLBACK")
        outside.close()

    return _holding(hold)


def hold_session_row(url: str, session_id: str, seconds: float) -> threading.Thread:
    """A long transaction elsewhere holds one session's row lock (PostgreSQL at ``url``) for ``seconds``."""
    import psycopg

    def hold(taken: threading.Event) -> None:
        with psycopg.connect(url) as outside:
            outside.execute("SELECT id FROM sessions WHERE id = %s FOR UPDATE", (session_id,))
            taken.set()
            time.sleep(seconds)
            outside.rollback()

    return _holding(hold)


def _holding(hold) -> threading.Thread:
    """Run ``hold(taken)`` in a thread; return once it holds its lock."""
    taken = threading.Event()
    holder = threading.Thread(target=hold, args=(taken,), daemon=True)
    holder.start()
    assert taken.wait(5), "the outside transaction did not get its lock"
    return holder
