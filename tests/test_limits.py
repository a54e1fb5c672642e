"""No single client, address or session takes more than its share (intervisie/limits.py).

Driven through the Flask-SocketIO test client, which passes every packet
through the same guard as a real transport. Live counterparts (a real flood
next to a real session, connections per address): tests/live/test_transport.py.
"""

from __future__ import annotations

import shutil
import time

import pytest
from sqlalchemy import event

from intervisie import events
from intervisie.app import create_app
from intervisie.db import db
from intervisie.extensions import socketio
from intervisie.limits import CUT, OK, REFUSE, TokenBuckets
from tests.conftest import CONFIG, PG_URL, Group, Person


@pytest.fixture
def make_app(tmp_path, migrated_sqlite):
    """An app with some limits set for the test (SQLite only: the limits are in memory, not in the database)."""
    if PG_URL:
        pytest.skip("limits keep nothing in the database")
    made = []

    def make(**limits):
        shutil.copy(migrated_sqlite, tmp_path / "limits.sqlite3")
        config = {
            **CONFIG,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'limits.sqlite3'}",
            "AUTO_MIGRATE": False,
            **limits,
        }
        made.append(create_app(config))
        return made[-1]

    yield make
    db.engine.dispose()


def test_bucket_refills_and_counts_strikes():
    bucket = TokenBuckets(rate=10, burst=3, strikes=2)
    assert [bucket.check("a", 0.0) for _ in range(6)] == [OK, OK, OK, REFUSE, REFUSE, CUT]
    assert bucket.check("b", 0.0) == OK  # another key has its own budget
    assert bucket.empty("a", 0.0) and not bucket.empty("a", 0.2)
    assert bucket.check("a", 0.5) == OK  # time refills tokens and wears strikes off
    bucket.forget("a")
    assert bucket.buckets.get("a") is None


def test_sending_at_twice_the_rate_is_refused_but_not_cut():
    bucket = TokenBuckets(rate=10, burst=5)
    verdicts = [bucket.check("a", i / 20) for i in range(400)]  # 20 a second for 20 seconds
    assert REFUSE in verdicts and CUT not in verdicts


def _queries(app):
    """A list that collects every SQL statement the app runs."""
    seen: list[str] = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *args: seen.append(args[2]))
    return seen


def test_a_refusal_costs_no_database_work_and_speaks_the_connections_language(make_app):
    app = make_app(EVENTS_PER_SECOND=0.001, EVENT_BURST=12)
    group = Group(app, app.test_client(), participants=1)
    person = group.participants[0]
    assert person.emit("language:set", lang="en")["ok"]
    seen = _queries(app)
    answers = [person.emit("ready:set", ready=True) for _ in range(20)]
    refused = [a for a in answers if a.get("error") == "rate_limited"]
    assert refused and refused[0]["message"].startswith("Slow down")
    seen.clear()
    assert person.emit("ready:set", ready=True)["error"] == "rate_limited"
    assert seen == []


def test_a_flooding_connection_is_disconnected(make_app):
    app = make_app(EVENTS_PER_SECOND=0.001, EVENT_BURST=5, FLOOD_STRIKES=20)
    group = Group(app, app.test_client(), participants=1)
    flooder, other = group.participants[0], group.case_bringer
    for _ in range(40):
        if not flooder.io.is_connected():
            break
        flooder.io.emit("ready:set", {"ready": True})
    deadline = time.monotonic() + 5
    while flooder.io.is_connected() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not flooder.io.is_connected()
    assert other.emit("language:set", lang="nl")["ok"]  # the others carry on


def person_at(app, address: str) -> Person:
    """A test client whose connection comes from ``address`` (the test client sets none)."""
    person = Person(app, "guess")
    socketio.server.environ[person.io.eio_sid]["REMOTE_ADDR"] = address
    return person


def test_join_code_lookups_are_limited_per_address_over_socketio_and_http(make_app):
    app = make_app(LOOKUPS_PER_ADDRESS_PER_MINUTE=6)
    http = app.test_client()
    created = http.post("/api/sessions", json={"method_id": "vijf-fasen", "name": "Fien"}).get_json()
    answers = []
    for i in range(4):  # a fresh connection for every guess: the budget is the address's
        guesser = person_at(app, "127.0.0.1")
        answers.append(guesser.emit("session:join", code=f"ZZZZ{i:02d}", name="Robin")["error"])
        guesser.io.disconnect()
    assert answers == ["unknown_session"] * 4
    assert http.get("/s/ZZZZ99").status_code == 404
    assert http.get(f"/s/{created['code']}").status_code == 200
    refused = http.get(f"/s/{created['code']}", headers={"Accept-Language": "en"})
    assert refused.status_code == 429 and "Please wait" in refused.get_data(as_text=True)
    assert refused.headers["Retry-After"]
    api = http.get(f"/api/sessions/{created['code']}/record.json")
    assert api.status_code == 429 and api.get_json()["error"] == "rate_limited"
    late = person_at(app, "127.0.0.1")
    assert late.emit("session:join", code=created["code"], name="Robin")["error"] == "rate_limited"
    other_address = app.test_client()
    page = other_address.get(f"/s/{created['code']}", environ_base={"REMOTE_ADDR": "10.0.0.7"})
    assert page.status_code == 200


def test_one_busy_session_does_not_starve_another(make_app):
    app = make_app(SESSION_EVENTS_PER_SECOND=0.001, SESSION_EVENT_BURST=10)
    busy = Group(app, app.test_client(), participants=2)
    calm = Group(app, app.test_client(), participants=2)
    answers = [busy.participants[i % 2].emit("language:set", lang="nl") for i in range(20)]
    assert {"rate_limited"} <= {a.get("error") for a in answers}
    assert all(calm.participants[0].emit("language:set", lang="nl")["ok"] for _ in range(3))


def test_an_address_shares_one_budget_across_its_connections(make_app):
    app = make_app(ADDRESS_EVENTS_PER_SECOND=0.001, ADDRESS_EVENT_BURST=10)
    people = [Person(app, f"p{i}") for i in range(6)]  # 6 connects spend 6
    answers = [people[i % 6].emit("language:set", lang="nl") for i in range(12)]
    assert sum(a.get("error") == "rate_limited" for a in answers) >= 6


@pytest.mark.parametrize(
    "args",
    [(), ({}, {}), ({"ready": True}, "x", 3), ("text",), ([1, 2],), (None,), (10**100,)],
    ids=["none", "two", "three", "string", "list", "null", "huge-int"],
)
def test_any_argument_count_or_shape_is_bad_request(group, args):
    ack = group.participants[0].io.emit("ready:set", *args, callback=True)
    assert ack["ok"] is False and ack["error"] == "bad_request" and ack["message"]


def test_an_unknown_event_or_an_integer_over_100_digits_is_bad_request(group):
    group.start()
    person = group.participants[0]
    assert person.io.emit("no:such:event", {}, callback=True)["error"] == "bad_request"
    ack = person.io.emit("step:go", {"to": 10**100}, callback=True)
    assert ack["error"] == "bad_request"
    group.facilitator.ok("step:go", to=1)  # and the session still works


def test_the_language_comes_from_memory_after_a_join(app, client):
    group = Group(app, client, participants=1)
    person = group.participants[0]
    assert person.emit("language:set", lang="en")["ok"]
    sid = socketio.server.manager.sid_from_eio_sid(person.io.eio_sid, "/")
    assert events.describe(sid)[0] == "en"


def test_a_connection_that_never_joined_costs_no_database_work(app):
    stranger = Person(app, "stranger")
    seen = _queries(app)
    answers = [
        stranger.io.emit(name, {"to": 1}, callback=True) for name in ("ready:set", "step:go", "card:play")
    ]
    assert [a["error"] for a in answers] == ["not_joined"] * 3
    assert seen == []


@pytest.mark.parametrize(
    "event_name, payload, answer",
    [
        # Found by bench/fuzz.py: server_error (SQLite's driver cannot encode the id).
        ("contribution:mark", {"id": "\ud83d", "value": "warm"}, "bad_request"),
        ("contribution:hide", {"id": "\ud83d", "hidden": True}, "bad_request"),
        ("role:assign", {"participant_id": "\udc00", "role": "participant"}, "unknown_participant"),
        ("session:resume", {"token": "\ud83d" * 32}, "bad_request"),
        ("session:watch", {"code": "\ud83d", "key": "\ud83d"}, "bad_request"),
        ("participant:remove", {"participant_id": "\ud83d"}, "unknown_participant"),
        ("cards:draw", {"participant_id": "\ud83d"}, "no_deck"),
    ],
)
def test_a_lone_surrogate_in_an_id_or_token_is_refused_not_a_server_error(group, event_name, payload, answer):
    group.start()
    person = group.facilitator
    ack = person.io.emit(event_name, {**payload, "control": person.current_control()}, callback=True)
    assert ack["ok"] is False and ack["error"] == answer, ack


def test_a_refused_connect_is_not_connected(make_app):
    app = make_app(ADDRESS_EVENTS_PER_SECOND=0.001, ADDRESS_EVENT_BURST=2)
    assert Person(app, "one").io.is_connected() and Person(app, "two").io.is_connected()
    assert not Person(
        app, "three"
    ).io.is_connected()  # told with connect_error (tests/live/test_transport.py)
