"""Shared fixtures: an app on a fresh database, Socket.IO test clients, a ready-made group.

Set INTERVISIE_TEST_DATABASE_URL to run everything against PostgreSQL; by
default each test gets its own SQLite file.
"""

from __future__ import annotations

import gc
import os
import shutil
import uuid
import warnings

import pytest
from sqlalchemy import select, text

from intervisie.app import create_app
from intervisie.db import db
from intervisie.extensions import socketio
from intervisie.models import Base, Connection, Session

PG_URL = os.environ.get("INTERVISIE_TEST_DATABASE_URL")

# Facilitator controls carry the ``control`` count of the state they act on (docs/protocol.md).
CONTROLS = {
    "session:start",
    "session:end",
    "step:go",
    "timer:control",
    "turn:next",
    "step:reveal",
    "step:loop",
    "cards:deal",
    "cards:reshuffle",
    "cards:focus",
    "cards:draw",  # guarded when the facilitator draws; a player's own draw ignores it
}


CONFIG = {
    "BACKGROUND_TASKS": False,
    "ASYNC_MODE": "threading",
    "MESSAGE_QUEUE": None,
    "PRESENCE_GRACE_SECONDS": 0.2,
    "PRIVACY_GUARD": False,  # a test that needs the guard loads it once: privacy.load()
}


def touches_the_database(item: pytest.Item) -> bool:
    """Whether a test's outcome can depend on the database engine: it uses the app (and so the
    database), starts a live server, or its module picks its own engine (it imports ``PG_URL``)."""
    return (
        "app" in item.fixturenames
        or item.get_closest_marker("live") is not None
        or hasattr(getattr(item, "module", None), "PG_URL")
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The PostgreSQL pass runs only the tests whose outcome can depend on the engine: the rules,
    the coach, the exports and the other pure parts gave their answer in the SQLite pass already."""
    if not PG_URL:
        return
    same_on_every_engine = [item for item in items if not touches_the_database(item)]
    if same_on_every_engine:
        config.hook.pytest_deselected(items=same_on_every_engine)
        items[:] = [item for item in items if touches_the_database(item)]


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory):
    """One SQLite file migrated to the newest schema; each test starts from a copy."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    create_app({**CONFIG, "DATABASE_URL": f"sqlite:///{path}"})
    db.engine.dispose()
    return path


@pytest.fixture
def app(tmp_path, migrated_sqlite):
    if PG_URL:
        config = {**CONFIG, "DATABASE_URL": PG_URL}
    else:
        shutil.copy(migrated_sqlite, tmp_path / "test.sqlite3")
        config = {**CONFIG, "DATABASE_URL": f"sqlite:///{tmp_path / 'test.sqlite3'}", "AUTO_MIGRATE": False}
    app = create_app(config)
    if PG_URL:
        names = ", ".join(t.name for t in reversed(Base.metadata.sorted_tables))
        with db.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {names} CASCADE"))
    yield app
    db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


class Person:
    """One Socket.IO test client acting as one person, with helpers that return the ack."""

    def __init__(self, app, name: str):
        self.app, self.name = app, name
        self.io = socketio.test_client(app)
        self.token: str | None = None
        self.id: str | None = None
        self.snapshot: dict | None = None

    def emit(self, event: str, payload=None, **fields) -> dict:
        """Send ``event``; a facilitator control acts on the session as it is now, as a live client does."""
        if payload is None:
            payload = fields
        if event in CONTROLS and isinstance(payload, dict) and "control" not in payload:
            payload = {**payload, "control": self.current_control()}
        return self.io.emit(event, payload, callback=True)

    def current_control(self) -> int | None:
        """The ``control`` count of the session this connection is in, as the newest state carries it."""
        sid = socketio.server.manager.sid_from_eio_sid(self.io.eio_sid, "/")
        with self.app.app_context(), db.session() as orm:
            return orm.scalar(select(Session.control).join(Connection).where(Connection.sid == sid))

    def ok(self, event: str, **fields) -> dict:
        ack = self.emit(event, **fields)
        assert ack["ok"], ack
        return ack

    def add(self, kind: str, text: str, **extra) -> dict:
        return self.emit("contribution:add", client_id=uuid.uuid4().hex, kind=kind, text=text, **extra)

    def received(self, name: str | None = None) -> list:
        return [m for m in self.io.get_received() if name is None or m["name"] == name]

    def reconnect(self) -> dict:
        """A new connection with the same token, as after a reload."""
        self.io.disconnect()
        self.io = socketio.test_client(self.app)
        ack = self.ok("session:resume", token=self.token)
        self.snapshot = ack["snapshot"]
        return ack


class Group:
    """A session with a facilitator, a case bringer and participants, each connected."""

    def __init__(self, app, client, participants: int = 4, method_id: str = "vijf-fasen", **create):
        # The facilitator times each step by hand here, unless a test asks for the timer to start itself.
        create.setdefault("auto_start_timer", False)
        created = client.post(
            "/api/sessions", json={"method_id": method_id, "name": "Fien", **create}
        ).get_json()
        assert created["ok"], created
        self.created, self.code = created, created["code"]
        self.facilitator = Person(app, "Fien")
        self.facilitator.token = created["token"]
        self.facilitator.id = created["participant_id"]
        self.facilitator.snapshot = self.facilitator.ok("session:resume", token=created["token"])["snapshot"]
        names = ["Ayla", "Bram", "Chen", "Daan", "Eva", "Femke", "Gijs"][: participants + 1]
        self.people = []
        for name in names:
            person = Person(app, name)
            ack = person.ok("session:join", code=self.code, name=name)
            person.token, person.id, person.snapshot = (
                ack["token"],
                ack["snapshot"]["me"]["id"],
                ack["snapshot"],
            )
            self.people.append(person)
        self.case_bringer, self.participants = self.people[0], self.people[1:]

    @property
    def everyone(self) -> list[Person]:
        return [self.facilitator, *self.people]

    def start(self) -> None:
        self.facilitator.ok("role:assign", participant_id=self.case_bringer.id, role="case_bringer")
        self.facilitator.ok("session:start")
        self.drain()

    def go(self, to) -> dict:
        """The facilitator moves on, having confirmed a move that may come early (see test_answers)."""
        return self.facilitator.ok("step:go", to=to, confirm=True)["state"]

    def drain(self) -> None:
        for person in self.everyone:
            person.io.get_received()


@pytest.fixture
def group(app, client):
    return Group(app, client)


@pytest.fixture
def managers(app, client):
    """A started manager session with question cards (coachkwadrant), in its first step."""
    group = Group(app, client, participants=3, method_id="manager-coachkwadrant")
    group.start()
    return group


@pytest.fixture
def card_round(managers):
    """The manager session in its card step: every player holds a hand."""
    managers.go(3)
    return managers


@pytest.fixture
def dead_sockets_collected():
    """Collect a test's dropped sockets within it (see ``tests.support.DROPPED_SOCKETS``)."""
    yield
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()


@pytest.fixture
def unlimited(app, monkeypatch):
    """Hundreds of events in a second: lift the per-connection, per-address and per-session rate limits."""
    from intervisie import events, limits

    monkeypatch.setattr(events, "limiter", events.RateLimiter(rate=1e9, burst=1e9))
    buckets = limits.of(app)
    buckets.addresses = buckets.sessions = limits.TokenBuckets(1e9, 1e9)
    return app
