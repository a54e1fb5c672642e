"""The session's flow: each step's timer may start itself when the step opens; who counts as ready."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command

from intervisie import service
from intervisie.db import alembic_config, db
from intervisie.models import Session
from tests.conftest import Group


def timer_state(group: Group) -> str:
    return group.facilitator.ok("session:resume", token=group.facilitator.token)["snapshot"]["timer"]["state"]


def test_a_new_session_starts_each_timer_by_itself(app, client):
    group = Group(app, client, auto_start_timer=True)
    assert group.facilitator.snapshot["session"]["auto_start_timer"] is True
    # Nobody presses start: the first step opens with its time running, for everyone.
    group.start()
    state = group.facilitator.ok("session:resume", token=group.facilitator.token)["snapshot"]
    assert state["timer"]["state"] == "running"
    assert state["timer"]["remaining_ms"] > 290_000
    # The next step, and a jump back, open with their own time running.
    assert group.go("next")["timer"]["state"] == "running"
    back = group.go(0)
    assert back["session"]["step_index"] == 0 and back["timer"]["state"] == "running"
    # A second press of start is a calm refusal, not a reset.
    assert group.facilitator.emit("timer:control", action="start")["error"] == "timer_running"


def test_the_api_default_is_on_and_the_form_may_turn_it_off(app, client):
    on = client.post("/api/sessions", json={"method_id": "vijf-fasen", "name": "Fien"}).get_json()
    off = client.post(
        "/api/sessions", json={"method_id": "vijf-fasen", "name": "Fien", "auto_start_timer": False}
    ).get_json()
    bad = client.post(
        "/api/sessions", json={"method_id": "vijf-fasen", "name": "Fien", "auto_start_timer": "ja"}
    )
    assert on["ok"] and off["ok"]
    assert bad.status_code == 400 and bad.get_json()["error"] == "bad_request"
    with app.app_context(), db.session() as orm:
        chosen = dict(orm.execute(sa.select(Session.code, Session.auto_start_timer)).all())
    assert chosen == {on["code"]: True, off["code"]: False}


def test_off_the_timer_waits_for_the_facilitator(app, client):
    group = Group(app, client, auto_start_timer=False)
    group.start()
    assert timer_state(group) == "idle"
    assert group.go("next")["timer"]["state"] == "idle"


def test_the_facilitator_turns_it_on_and_off_in_the_settings(app, client):
    group = Group(app, client, auto_start_timer=False)
    group.start()
    f = group.facilitator
    state = f.ok("session:settings", auto_start_timer=True)["state"]
    assert state["session"]["auto_start_timer"] is True
    assert state["timer"]["state"] == "idle"  # the open step is left as it is
    assert group.go("next")["timer"]["state"] == "running"
    f.ok("session:settings", auto_start_timer=False)
    assert group.go("next")["timer"]["state"] == "idle"
    assert f.emit("session:settings", auto_start_timer="yes")["error"] == "bad_request"
    refused = group.participants[0].emit("session:settings", auto_start_timer=True)
    assert refused["ok"] is False


def test_time_up_moves_on_with_the_next_timer_running_either_way(app, client):
    for auto_start in (True, False):
        group = Group(app, client, auto_start_timer=auto_start)
        group.start()
        group.facilitator.ok("session:settings", auto_advance=True)
        if not auto_start:
            group.facilitator.ok("timer:control", action="start")
        with app.app_context():
            with db.session() as orm:
                deadline = orm.scalar(sa.select(Session.timer_deadline).where(Session.code == group.code))
            emits = service.expire_due_timers(deadline + 0.1)
        state = emits[-1].data
        assert state["session"]["step_index"] == 1, auto_start
        assert state["timer"]["state"] == "running", auto_start
        assert state["timer"]["remaining_ms"] > 0


def test_turn_rounds_keep_their_own_timer(app, client):
    group = Group(app, client, method_id="manager-coachkwadrant", auto_start_timer=True)
    group.start()
    steps = group.facilitator.snapshot["method"]["steps"]
    turns = next(i for i, s in enumerate(steps) if any(r["type"] == "turn_order" for r in s["rules"]))
    group.go(turns)
    state = group.facilitator.ok("turn:next")["state"]
    assert state["turn"]["index"] == 0 and state["timer"]["state"] == "running"


def _insert_session(engine, session_id: str, status: str) -> None:
    """A session row written as a server at the current schema revision would, without the app."""
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO sessions (id, code, title, method_id, lang, status, step_index, step_minutes,"
                " facilitator_key_hash, screen_key_hash, joining_locked, auto_advance, version, control,"
                " created_at, updated_at, timer_state, timer_duration, timer_remaining)"
                " VALUES (:id, :code, '', 'vijf-fasen', 'nl', :status, 0, '{}', 'x', 'y', 0, 0,"
                " 1, 0, 0, 0, 'idle', 300, 300)"
            ),
            {"id": session_id, "code": session_id.upper()[:6], "status": status},
        )


def test_sessions_from_before_the_setting_keep_their_timer_off(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    config = alembic_config(engine)
    command.upgrade(config, "0002")
    _insert_session(engine, "old", "running")
    command.upgrade(config, "head")
    _insert_session(engine, "new", "lobby")
    with engine.begin() as conn:
        rows = dict(conn.execute(sa.text("SELECT id, auto_start_timer FROM sessions")).all())
    assert rows == {"old": 0, "new": 1}
    engine.dispose()


def test_ready_counts_only_those_who_can_say_so(app, client):
    group = Group(app, client, participants=2)
    group.start()
    f, cb, (p1, p2) = group.facilitator, group.case_bringer, group.participants
    assert f.emit("ready:set", ready=True)["error"] == "forbidden_role"
    for person in (cb, p1):
        person.ok("ready:set", ready=True)
    state = f.ok("session:resume", token=f.token)["snapshot"]
    assert state["ready"] == {"count": 2, "total": 3}
    p2.ok("ready:set", ready=True)
    state = f.ok("session:resume", token=f.token)["snapshot"]
    assert state["ready"] == {"count": 3, "total": 3}
    assert group.go("next")["ready"] == {"count": 0, "total": 3}
