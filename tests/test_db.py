"""The database layer: serialized writes, waits that never block other sessions, deleted means gone.

Rules are tested on the app's own engine (SQLite by default, PostgreSQL when
INTERVISIE_TEST_DATABASE_URL is set); what only eventlet shows runs in a
small child process that monkey-patches first, as ``wsgi.py`` does.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select, text

from intervisie import retention
from intervisie.app import create_app
from intervisie.db import Busy, db, is_busy
from intervisie.models import Session
from tests.conftest import CONFIG, PG_URL, Group
from tests.resources import fresh_postgres_database, hold_session_row, hold_sqlite_write_lock
from tests.support import ROOT

sqlite_only = pytest.mark.skipif(bool(PG_URL), reason="about the SQLite file")
postgres_only = pytest.mark.skipif(not PG_URL, reason="about PostgreSQL row locks")


@pytest.fixture
def quick_app(tmp_path, migrated_sqlite):
    """An app whose waits give up after a fraction of a second."""
    limits = {"DB_BUSY_SECONDS": 0.4, "DB_LOCK_TIMEOUT_SECONDS": 0.4}
    if PG_URL:
        app = create_app({**CONFIG, **limits, "DATABASE_URL": PG_URL})
    else:
        shutil.copy(migrated_sqlite, tmp_path / "test.sqlite3")
        url = f"sqlite:///{tmp_path / 'test.sqlite3'}"
        app = create_app({**CONFIG, **limits, "DATABASE_URL": url, "AUTO_MIGRATE": False})
    with app.app_context():
        yield app
    db.engine.dispose()


def database_file() -> str:
    return db.engine.url.database


def a_session_id(client) -> tuple[str, dict]:
    created = client.post("/api/sessions", json={"method_id": "vijf-fasen", "name": "Fien"}).get_json()
    assert created["ok"], created
    with db.session() as orm:
        return orm.scalar(select(Session.id).where(Session.code == created["code"])), created


# --- serialized writes -------------------------------------------------------------------


@sqlite_only
def test_a_write_unit_of_work_holds_the_write_lock_from_its_start_and_a_read_does_not(app):
    with app.app_context():
        outside = sqlite3.connect(database_file(), isolation_level=None, timeout=0)
        with db.session() as orm:
            orm.execute(text("SELECT 1"))
            outside.execute("BEGIN IMMEDIATE")  # a reader leaves the writer free
            outside.execute("ROLLBACK")
        with db.session(write=True), pytest.raises(sqlite3.OperationalError, match="locked"):
            outside.execute("BEGIN IMMEDIATE")  # taken before anything was read
        outside.execute("BEGIN IMMEDIATE")  # and given back when the unit of work ends
        outside.execute("ROLLBACK")
        outside.close()


@sqlite_only
def test_every_sqlite_connection_overwrites_deleted_content(app):
    with app.app_context():
        raw = db.engine.raw_connection()
        try:
            pragmas = {
                name: raw.driver_connection.execute(f"PRAGMA {name}").fetchone()[0]
                for name in ("secure_delete", "journal_mode", "foreign_keys")
            }
        finally:
            raw.close()
    assert pragmas == {"secure_delete": 1, "journal_mode": "wal", "foreign_keys": 1}


@sqlite_only
def test_a_write_waits_for_a_lock_released_in_time(quick_app):
    holder = hold_sqlite_write_lock(database_file(), 0.2)
    started = time.monotonic()
    with db.session(write=True) as orm:
        orm.execute(text("SELECT 1"))
    assert 0.15 < time.monotonic() - started < 0.4
    holder.join()


@sqlite_only
def test_a_write_gives_up_with_busy_when_the_lock_stays_taken(quick_app):
    holder = hold_sqlite_write_lock(database_file(), 1.5)
    started = time.monotonic()
    with pytest.raises(Busy), db.session(write=True):
        pass
    assert 0.3 < time.monotonic() - started < 1.0
    holder.join()
    with db.session(write=True) as orm:  # nothing is left behind: the next write goes ahead
        orm.execute(text("SELECT 1"))


def test_an_event_meeting_a_held_lock_answers_busy_and_changes_nothing(quick_app):
    group = Group(quick_app, quick_app.test_client(), participants=1)
    person = group.people[0]
    if PG_URL:
        holder = hold_session_row(PG_URL, person.snapshot["session"]["id"], 1.5)
    else:
        holder = hold_sqlite_write_lock(database_file(), 1.5)
    started = time.monotonic()
    ack = person.emit("language:set", lang="en")
    assert time.monotonic() - started < 1.2  # it gave up at its limit, not when the lock went
    assert ack["ok"] is False and ack["error"] == "busy", ack
    assert ack["message"] == "The server is busy for a moment. Nothing changed; try again shortly."
    holder.join()
    assert person.ok("session:resume", token=person.token)["snapshot"]["me"]["lang"] != "en"
    assert person.emit("language:set", lang="en")["ok"]


@sqlite_only
def test_a_request_meeting_a_locked_database_answers_busy(quick_app):
    client = quick_app.test_client()
    holder = hold_sqlite_write_lock(database_file(), 1.5)
    answer = client.post("/api/sessions", json={"method_id": "vijf-fasen", "name": "Gijs"})
    assert answer.status_code == 503 and answer.get_json()["error"] == "busy"
    assert answer.headers["Retry-After"]
    holder.join()
    assert client.post("/api/sessions", json={"method_id": "vijf-fasen", "name": "Gijs"}).get_json()["ok"]


def test_lock_session_needs_a_write_unit_of_work(quick_app):
    session_id, _created = a_session_id(quick_app.test_client())
    with db.session() as orm, pytest.raises(RuntimeError, match="write=True"):
        db.lock_session(orm, session_id)
    with db.session(write=True) as orm:
        assert db.lock_session(orm, session_id).id == session_id
        assert db.lock_session(orm, "no-such-id") is None


@postgres_only
def test_a_locked_session_row_makes_the_next_writer_wait_then_answers_busy(quick_app):
    import psycopg

    session_id, _created = a_session_id(quick_app.test_client())
    with psycopg.connect(PG_URL) as outside:
        outside.execute("SELECT id FROM sessions WHERE id = %s FOR UPDATE", (session_id,))
        started = time.monotonic()
        with pytest.raises(Busy), db.session(write=True) as orm:
            db.lock_session(orm, session_id)
        assert 0.3 < time.monotonic() - started < 2
        outside.rollback()
    with db.session(write=True) as orm:
        assert db.lock_session(orm, session_id).id == session_id


def test_busy_is_recognised_on_both_engines():
    assert is_busy(sqlite3.OperationalError("database is locked"))
    assert not is_busy(sqlite3.OperationalError("no such table: x"))

    class PgError(Exception):
        sqlstate = "55P03"

    assert is_busy(PgError())
    PgError.sqlstate = "23505"
    assert not is_busy(PgError())


# --- deleted means unreadable on disk -----------------------------------------------------


def on_disk(folder: Path, needle: str) -> list[str]:
    """The files in ``folder`` (the database, its -wal and -shm) that still hold ``needle``."""
    return sorted(p.name for p in folder.iterdir() if p.is_file() and needle.encode() in p.read_bytes())


def session_with_secrets(app, client, marker: str) -> Group:
    group = Group(app, client, participants=2)
    group.start()
    hidden = group.participants[0].add("checkin", f"Verborgen {marker}")
    assert hidden["ok"], hidden
    assert group.facilitator.emit("contribution:hide", id=hidden["contribution"]["id"])["ok"]
    group.go(1)
    assert group.case_bringer.add("case", f"Mijn casus {marker}: het team zwijgt.")["ok"]
    return group


@sqlite_only
def test_delete_now_leaves_no_trace_of_the_case_in_the_instance_folder(app, client, tmp_path):
    marker = f"Zeldzaam-{uuid.uuid4().hex[:12]}"
    group = session_with_secrets(app, client, marker)
    assert on_disk(tmp_path, marker)  # the test can see it while it is there
    answer = client.post(
        f"/api/sessions/{group.code}/delete", json={"token": group.created["token"], "confirm": group.code}
    )
    assert answer.get_json()["ok"], answer.get_json()
    assert on_disk(tmp_path, marker) == []


@sqlite_only
def test_purge_leaves_no_trace_of_an_expired_session(app, client, tmp_path):
    marker = f"Zeldzaam-{uuid.uuid4().hex[:12]}"
    group = session_with_secrets(app, client, marker)
    group.facilitator.ok("session:end")
    with app.app_context():
        with db.session() as orm:
            orm.execute(text("UPDATE sessions SET ended_at = 0"))
            orm.commit()
        assert retention.purge(notify=False) == 1
    assert on_disk(tmp_path, marker) == []


@sqlite_only
def test_scrub_waits_for_an_open_reader_then_truncates_the_log(app, tmp_path):
    with app.app_context():
        a_session_id(app.test_client())
        reader = sqlite3.connect(database_file(), isolation_level=None, check_same_thread=False)
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM sessions").fetchone()  # a snapshot from before the change
        with db.session(write=True) as orm:
            orm.execute(text("UPDATE sessions SET title = 'x'"))
            orm.commit()
        threading.Timer(0.3, reader.execute, ("ROLLBACK",)).start()
        started = time.monotonic()
        assert db.scrub()
        assert time.monotonic() - started >= 0.25  # it waited for the reader
        reader.close()
    assert (tmp_path / "test.sqlite3-wal").stat().st_size == 0


# --- under eventlet, a wait lets every other session go on --------------------------------

PROBE = textwrap.dedent(
    """
    import sys, time, warnings
    warnings.filterwarnings("ignore")
    import eventlet
    eventlet.monkey_patch()
    from sqlalchemy import text
    from intervisie import db as dbmod

    url, hold = sys.argv[1], float(sys.argv[2])
    engine = dbmod.make_engine(url, busy_seconds=10)
    gaps, stop = [], []

    def ticker():
        last = time.monotonic()
        while not stop:
            eventlet.sleep(0.01)
            now = time.monotonic()
            gaps.append(now - last)
            last = now

    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
        conn.commit()
    tick = eventlet.spawn(ticker)
    eventlet.sleep(0.05)
    print("ready", flush=True)
    started = time.monotonic()
    write = {"intervisie_write": True}
    if url.startswith("sqlite"):
        # The file is locked by another process: this write waits for its turn.
        with engine.connect().execution_options(**write) as conn:
            conn.execute(text("SELECT 1"))
            conn.commit()
    else:
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_sleep(:s)"), {"s": hold})
            conn.commit()
    waited = time.monotonic() - started
    stop.append(1)
    tick.wait()
    print(f"waited={waited:.3f} max_gap={max(gaps):.3f}")
    """
)


def probe(url: str, hold: float, when_ready=lambda: None) -> tuple[float, float]:
    """Run PROBE in a child process; ``when_ready`` runs once its write or query is about to start."""
    command = [sys.executable, "-c", PROBE, url, str(hold)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True) as child:
        assert child.stdout.readline().strip() == "ready"
        when_ready()
        out, _err = child.communicate(timeout=60)
    assert child.returncode == 0
    fields = dict(part.split("=") for part in out.split())
    return float(fields["waited"]), float(fields["max_gap"])


def test_under_eventlet_a_write_waiting_for_a_locked_sqlite_file_lets_others_run(tmp_path):
    path = tmp_path / "locked.sqlite3"
    first = sqlite3.connect(path)
    first.execute("PRAGMA journal_mode=WAL")
    first.close()
    script = (
        "import sqlite3, sys; c = sqlite3.connect(sys.argv[1], isolation_level=None);"
        " c.execute('BEGIN IMMEDIATE'); print('held', flush=True); sys.stdin.readline(); c.execute('ROLLBACK')"
    )
    hold = [sys.executable, "-c", script, str(path)]
    with subprocess.Popen(hold, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) as holder:
        assert holder.stdout.readline().strip() == "held"

        def release_later():
            time.sleep(1.0)
            holder.stdin.write("go\n")
            holder.stdin.flush()

        waited, max_gap = probe(f"sqlite:///{path}", 0, release_later)
        holder.wait(10)
    assert waited > 0.9  # it did wait for the other process...
    assert max_gap < 0.2  # ...while everything else kept running


def test_under_eventlet_a_postgresql_wait_lets_others_run():
    url = PG_URL or fresh_postgres_database("intervisie_db_probe_test")
    waited, max_gap = probe(url, 1.0)
    assert waited >= 1.0
    assert max_gap < 0.2


def test_only_the_event_loop_thread_counts_as_green():
    script = (
        "import warnings; warnings.filterwarnings('ignore'); import eventlet; eventlet.monkey_patch();"
        "from eventlet import tpool; from intervisie.db import green;"
        "print(green(), tpool.execute(green), eventlet.spawn(green).wait())"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True)
    # The loop and its green threads must never wait in C; eventlet's real worker threads may.
    assert result.stdout.split() == ["True", "False", "True"], result.stderr
