"""The people in the room, through the live protocol: waiting for a key person who dropped out,
the co-facilitator, the case bringer's private signal, and the room with one screen."""

import time

import pytest
from sqlalchemy import update

from intervisie import events, service
from intervisie.db import db
from intervisie.export import build_record, to_markdown
from intervisie.extensions import socketio
from intervisie.models import Connection, Session
from tests.conftest import Group, Person


def session_id(group) -> str:
    return group.facilitator.snapshot["session"]["id"]


def grace_over(app, group) -> None:
    """The grace period (0.2 s in tests) ran out: presence is decided again, as the recheck after a drop does."""
    time.sleep(0.25)
    with app.app_context():
        events.deliver(service.presence_state(session_id(group), time.time()))


def come_back(person) -> dict:
    """A dropped person connects again with their token; the snapshot they get."""
    person.io = socketio.test_client(person.app)
    return person.ok("session:resume", token=person.token)["snapshot"]


def last_state(person) -> dict:
    return [m["args"][0] for m in person.received("session:state")][-1]


def control(person) -> int:
    return person.current_control()


@pytest.fixture
def running(group):
    """A session in the question step with its timer running."""
    group.start()
    group.go(2)
    group.facilitator.ok("timer:control", action="start")
    group.drain()
    return group


# --- waiting for a key person --------------------------------------------------------------------


@pytest.mark.parametrize("who", ["case_bringer", "facilitator"])
def test_the_timer_pauses_for_a_key_person_away_and_runs_on_when_they_are_back(app, running, who):
    group = running
    key = group.case_bringer if who == "case_bringer" else group.facilitator
    watcher = group.participants[0]
    key.io.disconnect()
    grace_over(app, group)
    state = last_state(watcher)
    assert state["timer"]["state"] == "paused"
    assert state["waiting"]["paused"] is True
    assert [p["id"] for p in state["waiting"]["people"]] == [key.id]
    assert state["waiting"]["people"][0]["name"] == key.name
    assert state["waiting"]["people"][0]["since_ms"] <= time.time() * 1000
    left = state["timer"]["remaining_ms"]

    grace_over(app, group)  # a second recheck (another process, another drop) changes nothing
    assert last_state(watcher)["timer"]["remaining_ms"] == left

    back = come_back(key)
    assert back["waiting"] is None
    assert back["timer"]["state"] == "running"
    assert abs(back["timer"]["remaining_ms"] - left) < 2000
    assert last_state(watcher)["timer"]["state"] == "running"


def test_a_participant_away_pauses_nothing(app, running):
    running.participants[0].io.disconnect()
    grace_over(app, running)
    state = last_state(running.case_bringer)
    assert state["timer"]["state"] == "running" and state["waiting"] is None


def test_inside_the_grace_period_nothing_pauses(app, running):
    running.case_bringer.io.disconnect()
    with app.app_context():
        events.deliver(service.presence_state(session_id(running), time.time()))
    assert last_state(running.facilitator)["timer"]["state"] == "running"


def test_the_facilitator_goes_on_without_them_and_a_later_drop_counts_again(app, running):
    group, f, cb = running, running.facilitator, running.case_bringer
    cb.io.disconnect()
    grace_over(app, group)
    assert group.participants[0].emit("waiting:end", control=control(f))["error"] == "forbidden_role"
    assert f.emit("waiting:end", control=control(f) - 1)["error"] == "stale"
    state = f.ok("waiting:end", control=control(f))["state"]
    assert state["timer"]["state"] == "running" and state["waiting"] is None
    grace_over(app, group)
    assert last_state(f)["timer"]["state"] == "running"  # not paused again for the same absence
    assert f.emit("waiting:end", control=control(f))["error"] == "nobody_away"

    come_back(cb)
    cb.io.disconnect()
    grace_over(app, group)
    assert last_state(f)["waiting"]["paused"] is True


def test_waiting_without_a_running_timer_shows_and_pauses_nothing(app, group):
    group.start()
    group.case_bringer.io.disconnect()
    grace_over(app, group)
    state = last_state(group.facilitator)
    assert state["timer"]["state"] == "idle"
    assert state["waiting"] == {
        "people": [state["waiting"]["people"][0]],
        "paused": False,
    }
    # Starting the time by hand is going on without them.
    started = group.facilitator.ok("timer:control", action="start")["state"]
    assert started["waiting"] is None


def test_opening_another_step_goes_on_without_them(app, running):
    running.case_bringer.io.disconnect()
    grace_over(app, running)
    state = running.go("next")
    assert state["waiting"] is None and state["session"]["step_index"] == 3


def test_the_pause_survives_a_server_restart(app, client, running):
    running.case_bringer.io.disconnect()
    grace_over(app, running)
    with app.app_context(), db.session() as orm:
        stored = orm.get(Session, session_id(running))
        assert stored.absence_paused and stored.timer_state == "paused"
    assert running.participants[0].reconnect()["snapshot"]["waiting"]["paused"] is True


# --- the co-facilitator --------------------------------------------------------------------------


def test_the_facilitator_names_a_co_facilitator_among_participants(running):
    f, co = running.facilitator, running.participants[0]
    for wrong in (running.case_bringer.id, f.id, "nobody", 3):
        assert f.emit("session:settings", co_facilitator_id=wrong)["error"] == "unknown_participant"
    assert co.emit("session:settings", co_facilitator_id=co.id)["error"] == "forbidden_role"
    assert f.ok("session:settings", co_facilitator_id=co.id)["state"]["co_facilitator_id"] == co.id
    assert last_state(co)["co_facilitator_id"] == co.id
    assert f.ok("session:settings", co_facilitator_id=None)["state"]["co_facilitator_id"] is None


def test_the_co_facilitator_takes_over_while_the_facilitator_is_away_and_hands_back(app, running):
    group, f, co = running, running.facilitator, running.participants[0]
    f.ok("session:settings", co_facilitator_id=co.id)
    other = group.participants[1]
    assert co.emit("lead:take", control=control(co))["error"] == "facilitator_present"
    assert other.emit("lead:take", control=control(other))["error"] == "not_co_facilitator"
    f.io.disconnect()
    grace_over(app, group)
    assert last_state(co)["timer"]["state"] == "paused"
    assert co.emit("lead:take", control=control(co) - 1)["error"] == "stale"
    state = co.ok("lead:take", control=control(co))["state"]
    roles = {p["id"]: p["role"] for p in state["participants"]}
    assert roles[co.id] == "facilitator" and roles[f.id] == "participant"
    assert state["stood_in_for"] == f.id and state["co_facilitator_id"] is None
    assert state["waiting"] is None  # the new lead holds the timer
    assert co.received("session:resync")
    assert co.emit("lead:take", control=control(co))["error"] == "not_co_facilitator"  # once

    # The one who took over leads now: the timer is theirs.
    assert co.ok("timer:control", action="resume")["state"]["timer"]["state"] == "running"
    come_back(f)
    back = co.ok("role:assign", participant_id=f.id, role="facilitator")["state"]
    roles = {p["id"]: p["role"] for p in back["participants"]}
    assert roles[f.id] == "facilitator" and roles[co.id] == "participant"
    assert back["stood_in_for"] is None and back["co_facilitator_id"] == co.id


def test_the_facilitator_link_ends_a_stand_in(app, client, running):
    group, f, co = running, running.facilitator, running.participants[0]
    f.ok("session:settings", co_facilitator_id=co.id)
    f.io.disconnect()
    grace_over(app, group)
    co.ok("lead:take", control=control(co))
    claimed = Person(app, "Fien").ok("session:claim", code=group.code, key=group.created["facilitator_key"])
    assert claimed["snapshot"]["stood_in_for"] is None
    assert {p["id"]: p["role"] for p in claimed["snapshot"]["participants"]}[co.id] == "participant"


# --- the case bringer's private signal -----------------------------------------------------------


def test_a_signal_reaches_only_the_facilitator(app, client, running):
    group, f, cb = running, running.facilitator, running.case_bringer
    screen = Person(app, "screen")
    screen.ok("session:watch", code=group.code, key=group.created["screen_key"])
    group.drain()
    screen.received()
    ack = cb.ok("signal:send", signal="slower")
    assert ack["signal"]["kind"] == "slower" and ack["signal"]["paused"] is False
    assert [m["args"][0]["kind"] for m in f.received("signal:new")] == ["slower"]
    for other in [*group.participants, screen]:
        got = other.received()
        assert not any(m["name"].startswith("signal:") for m in got), other.name
        assert "slower" not in str(got)
    assert f.reconnect()["snapshot"]["signal"]["kind"] == "slower"  # survives a reload
    assert group.participants[0].reconnect()["snapshot"]["signal"] is None
    watched = Person(app, "screen").ok("session:watch", code=group.code, key=group.created["screen_key"])
    assert watched["snapshot"]["signal"] is None


def test_a_signal_may_pause_the_timer_and_the_facilitator_clears_it(running):
    group, f, cb = running, running.facilitator, running.case_bringer
    ack = cb.ok("signal:send", signal="pause", pause_timer=True)
    assert ack["signal"]["paused"] is True
    state = last_state(group.participants[0])
    assert state["timer"]["state"] == "paused" and "signal" not in state
    again = cb.ok("signal:send", signal="enough", pause_timer=True)
    assert again["signal"]["paused"] is False  # it was paused already
    group.drain()
    assert f.ok("signal:clear")
    assert f.received("signal:cleared") and cb.received("signal:cleared")
    assert not group.participants[0].received("signal:cleared")
    assert f.reconnect()["snapshot"]["signal"] is None


@pytest.mark.parametrize(
    "payload, error",
    [
        ({"signal": "louder"}, "bad_request"),
        ({"signal": None}, "bad_request"),
        ({"signal": "pause", "pause_timer": "yes"}, "bad_request"),
    ],
)
def test_a_signal_is_checked(running, payload, error):
    assert running.case_bringer.emit("signal:send", payload)["error"] == error


def test_only_the_case_bringer_signals_and_only_in_a_running_session(group):
    assert group.case_bringer.emit("signal:send", signal="pause")["error"] == "not_started"
    group.start()
    for person in (group.facilitator, group.participants[0]):
        assert person.emit("signal:send", signal="pause")["error"] == "signal_case_bringer"
    assert group.participants[0].emit("signal:clear", {})["error"] == "forbidden_role"


# --- a room with one screen ----------------------------------------------------------------------


def test_the_facilitator_adds_for_someone_without_a_device(app, client, running):
    group, f = running, running.facilitator
    p = group.participants[0]
    ack = f.add("question", "Wat maakt het lastig?", on_behalf_of="Joke")
    c = ack["contribution"]
    assert c["author_id"] is None and c["author_name"] == "Joke" and c["entered_by"] == "Fien"
    seen = [m["args"][0] for m in p.received("contribution:new")]
    assert seen[-1]["author_name"] == "Joke" and seen[-1]["entered_by"] == "Fien"
    # A name of someone in the session makes them the author; their role's rules apply.
    named = f.add("question", "Hoe reageerde je team?", on_behalf_of=p.name.upper())["contribution"]
    assert named["author_id"] == p.id and named["entered_by"] == "Fien"
    assert f.add("answer", "Zo", on_behalf_of=p.name)["error"] == "forbidden_role"
    assert p.add("question", "Wat nog?", on_behalf_of="Joke")["error"] == "forbidden_role"
    for bad in ("", "   ", 7, "x" * 200):
        assert f.add("question", "Wat?", on_behalf_of=bad)["error"] == "name_required"
    # A resend by the facilitator is stored once.
    again = f.emit(
        "contribution:add", client_id=c["client_id"], kind="question", text="x", on_behalf_of="Joke"
    )
    assert again["duplicate"] is True
    with app.app_context(), db.session() as orm:
        record = build_record(orm, orm.get(Session, session_id(group)), lang="nl", names=True)
    entries = [c for step in record["steps"] for c in step["contributions"]]
    joke = next(c for c in entries if c["text"] == "Wat maakt het lastig?")
    assert joke["author"] == "Joke" and joke["entered_by"] == "Fien"
    assert "Vraag (Joke, ingevoerd door Fien): Wat maakt het lastig?" in to_markdown(record).decode()


def test_on_behalf_counts_the_named_persons_cap(app, client):
    group = Group(app, client)
    group.start()  # check-in: one line each
    f = group.facilitator
    assert f.add("checkin", "Goed", on_behalf_of="Joke")["ok"]
    assert f.add("checkin", "Nog eens", on_behalf_of="Joke")["error"] == "limit_reached"
    assert f.add("checkin", "Moe", on_behalf_of="Kees")["ok"]


def test_the_screen_shows_a_spotlight_and_the_instructions(app, client, running):
    group, f = running, running.facilitator
    q = group.participants[0].add("question", "Wat maakt het lastig?")["contribution"]
    state = f.ok("screen:show", spotlight=q["id"])["state"]
    assert state["screen"] == {"spotlight": q["id"], "instructions": False}
    assert f.ok("screen:show", instructions=True)["state"]["screen"] == {
        "spotlight": q["id"],
        "instructions": True,
    }
    watched = Person(app, "screen").ok("session:watch", code=group.code, key=group.created["screen_key"])
    assert watched["snapshot"]["screen"]["spotlight"] == q["id"]
    assert group.participants[0].emit("screen:show", spotlight=None)["error"] == "forbidden_role"
    for bad, error in (
        ({"spotlight": 5}, "bad_request"),
        ({"spotlight": "nope"}, "unknown_contribution"),
        ({"instructions": "yes"}, "bad_request"),
    ):
        assert f.emit("screen:show", bad)["error"] == error
    # Hiding it takes it off the screen; so does the next step.
    assert f.ok("contribution:hide", id=q["id"], hidden=True)
    assert last_state(group.participants[1])["screen"]["spotlight"] is None
    assert f.emit("screen:show", spotlight=q["id"])["error"] == "unknown_contribution"
    other = group.participants[1].add("question", "Wat wil je bereiken?")["contribution"]
    f.ok("screen:show", spotlight=other["id"])
    assert group.go("next")["screen"] == {"spotlight": None, "instructions": True}


def test_a_case_bringer_on_a_server_process_that_died_is_waited_for(app, running):
    """Their connection row outlives the process; another process's heartbeat drops it and decides."""
    cb = running.case_bringer
    with app.app_context(), db.session(write=True) as orm:
        orm.execute(
            update(Connection)
            .where(Connection.participant_id == cb.id)
            .values(server_id="died", seen_at=time.time() - 3600)
        )
        orm.commit()
    with app.app_context():
        lost = service.heartbeat(time.time())
        assert lost == [session_id(running)]
        for sid in lost:
            events.deliver(service.presence_state(sid, time.time()))
    state = last_state(running.facilitator)
    assert state["waiting"]["people"][0]["id"] == cb.id and state["timer"]["state"] == "paused"
