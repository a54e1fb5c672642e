"""Retention: expired sessions disappear with every row they had, and nothing else does."""

from __future__ import annotations

import time

from sqlalchemy import select, text, update

from intervisie import cli, retention
from intervisie.app import create_app
from intervisie.config import Config
from intervisie.db import db
from intervisie.models import Session
from tests.conftest import Group
from tests.test_export import added, play_session
from tests.test_records import rows_of

DAY = 86400


def age(code: str, **fields) -> str:
    """Move a session's times into the past; returns its id."""
    with db.session() as orm:
        session = orm.scalar(select(Session).where(Session.code == code))
        for name, value in fields.items():
            setattr(session, name, value)
        orm.commit()
        return session.id


def test_purge_removes_expired_sessions_and_nothing_else(app, client, group):
    now = time.time()
    play_session(group)  # ended, with contributions, marks, visits and connections
    expired = age(group.code, ended_at=now - 31 * DAY)
    recent = Group(app, client, participants=1)
    recent.start()
    added(recent.facilitator, "checkin", "Goed.")
    recent.facilitator.ok("session:end")
    kept_ended = age(recent.code, ended_at=now - 29 * DAY)
    idle = Group(app, client, participants=1)
    idle_id = age(idle.code, updated_at=now - 15 * DAY)  # never started, nobody did anything
    running = Group(app, client, participants=1)
    running.start()
    added(running.facilitator, "checkin", "Goed.")
    running_id = age(running.code, updated_at=now - 13 * DAY)
    assert all(rows_of(expired).values())
    kept_rows = {sid: rows_of(sid) for sid in (kept_ended, running_id)}

    with app.app_context():
        removed = retention.purge(now)

    assert removed == 2
    assert set(rows_of(expired).values()) == {0}
    assert set(rows_of(idle_id).values()) == {0}
    assert {sid: rows_of(sid) for sid in (kept_ended, running_id)} == kept_rows
    assert group.participants[0].received("session:deleted")
    assert not recent.facilitator.received("session:deleted")
    with app.app_context():
        assert retention.purge(now) == 0


def test_retention_days_come_from_the_config(app, client, group):
    play_session(group)
    session_id = age(group.code, ended_at=time.time() - 3 * DAY)
    app.config["RETENTION_DAYS"] = 2
    with app.app_context():
        assert retention.purge() == 1
    assert set(rows_of(session_id).values()) == {0}


def test_the_database_would_cascade_too(app, client, group):
    """Belt and braces: the foreign keys alone also clear a session's rows on this database."""
    play_session(group, end=False)
    session_id = group.created["session_id"]
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM sessions WHERE id = :id"), {"id": session_id})
    assert set(rows_of(session_id).values()) == {0}


def test_purge_at_start_up(app, client, group, monkeypatch):
    play_session(group)
    session_id = age(group.code, ended_at=time.time() - 40 * DAY)
    first = db.engine
    create_app({**app.config, "BACKGROUND_TASKS": False})
    first.dispose()
    assert set(rows_of(session_id).values()) == {0}


def test_purge_command(app, client, group, monkeypatch, capsys):
    play_session(group)
    session_id = age(group.code, ended_at=time.time() - 40 * DAY)
    Group(app, client, participants=1)
    monkeypatch.setattr(Config, "DATABASE_URL", app.config["DATABASE_URL"])
    monkeypatch.setattr(Config, "ASYNC_MODE", "threading")
    monkeypatch.setattr(Config, "BACKGROUND_TASKS", False)

    first = db.engine
    assert cli.main(["purge"]) == 0
    first.dispose()

    assert capsys.readouterr().out.strip() == "removed 1 expired session(s)"
    assert set(rows_of(session_id).values()) == {0}
    with db.session() as orm:
        assert orm.scalar(select(Session.id)) is not None  # the other one is still there


def test_idle_days_count_from_the_last_activity(app, client):
    group = Group(app, client, participants=1)
    now = time.time()
    with db.session() as orm:
        orm.execute(update(Session).values(updated_at=now - 14 * DAY + 60))
        orm.commit()
    with app.app_context():
        assert retention.purge(now) == 0
        assert retention.purge(now + 120) == 1
    assert set(rows_of(group.created["session_id"]).values()) == {0}
