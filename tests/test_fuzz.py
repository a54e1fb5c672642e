"""Every event in docs/protocol.md, in any shape, from anyone, in any session state, gets a documented answer.

A property-based test (hypothesis): arbitrary JSON payloads (of every size and
type, with the protocol's field names and values mixed in), any number of
arguments, from each role (facilitator, case bringer, participant, shared
screen, a connection that never joined) in each session status (lobby,
running, ended, and a running card step). For every event:

- an acknowledgement comes back;
- it is ``{"ok": true, ...}`` or ``{"ok": false, "error": <code>, "message": <text>}``,
  never ``server_error``;
- a refusal changes nothing in the database.

The suite runs a few hundred cases; ``bench/fuzz.py`` runs 10,000 with the
same code and writes ``bench/FUZZ.md``.
"""

from __future__ import annotations

import re
import shutil
import uuid
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from sqlalchemy import select, text

from intervisie.app import create_app
from intervisie.db import db
from intervisie.models import Base, Contribution, Participant, Session
from tests.conftest import CONFIG, PG_URL, Group, Person

ROOT = Path(__file__).resolve().parent.parent


def protocol_events() -> list[str]:
    """The client events documented in docs/protocol.md (its tables between the two event headings)."""
    doc = (ROOT / "docs" / "protocol.md").read_text(encoding="utf-8")
    part = doc.split("## Client to server events", 1)[1].split("## Server to client events", 1)[0]
    return sorted(set(re.findall(r"^\| `([a-z]+:[a-z]+)` \|", part, flags=re.M)))


EVENTS = protocol_events()
ROLES = ("facilitator", "case_bringer", "participant", "screen", "not_joined")
STATUSES = ("lobby", "running", "ended", "cards")
# Nothing limits the fuzz but the rules themselves: it sends far faster than any person.
UNLIMITED = {
    "EVENTS_PER_SECOND": 1e9,
    "EVENT_BURST": 1e9,
    "ADDRESS_EVENTS_PER_SECOND": 1e9,
    "ADDRESS_EVENT_BURST": 1e9,
    "SESSION_EVENTS_PER_SECOND": 1e9,
    "SESSION_EVENT_BURST": 1e9,
    "LOOKUPS_PER_ADDRESS_PER_MINUTE": 1e9,
    "CREATIONS_PER_ADDRESS_PER_MINUTE": 1e9,
}

# --- payloads ---------------------------------------------------------------------------------------

FIELDS = [
    "code", "name", "lang", "token", "key", "to", "action", "seconds", "participant_id", "role",
    "joining_locked", "auto_advance", "id", "hidden", "client_id", "kind", "text", "details", "value",
    "on", "ready", "card_id", "quadrant", "control", "from", "who", "when", "measure", "step_index",
]  # fmt: skip
VALUES = [
    "next", "prev", "start", "pause", "resume", "add", "reset", "case_bringer", "participant",
    "facilitator", "question", "answer", "action", "takeaway", "learned", "perspective", "cause",
    "solution", "check-in", "warm", "neutral", "cold", "keep", "helped", "vote", "appeals", "nl", "en",
    "xx", "", " ", "\ud83d", "\u200b", "Zoë", "😀" * 3, "a" * 64, None, True, False, 0, 1, 2, 6, -1,
    10**100, 2**63, 1.5, float("inf"),
]  # fmt: skip
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(10**120), max_value=10**120)
    | st.floats(allow_nan=False)
    | st.text(max_size=50)
    | st.text(min_size=1900, max_size=2100, alphabet=st.sampled_from("ab 😀\n"))
    | st.sampled_from(VALUES)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=8), inner, max_size=5)
    ),
    max_leaves=12,
)
# Each event's own fields (docs/protocol.md), so the fuzz also walks the accepted paths.
EVENT_FIELDS = {
    "session:join": ["code", "name", "lang"],
    "session:resume": ["token", "code", "lang"],
    "session:watch": ["code", "key"],
    "session:claim": ["code", "key"],
    "session:start": ["control"],
    "session:end": ["control"],
    "session:settings": ["joining_locked", "auto_advance", "co_facilitator_id", "control"],
    "step:go": ["to", "control", "from"],
    "timer:control": ["action", "seconds", "control"],
    "turn:next": ["control"],
    "role:assign": ["participant_id", "role"],
    "participant:remove": ["participant_id"],
    "ready:set": ["ready"],
    "language:set": ["lang"],
    "contribution:add": ["client_id", "kind", "text", "details", "step_index"],
    "contribution:mark": ["id", "value", "on"],
    "contribution:hide": ["id", "hidden"],
    "case:vote": ["id"],
    "case:choose": ["id"],
    "breakout:next": ["group", "round", "phase"],
    "card:play": ["client_id", "card_id", "text"],
    "cards:draw": ["participant_id", "quadrant"],
    "cards:deal": ["control"],
    "cards:reshuffle": ["control"],
    "cards:focus": ["quadrant", "control"],
    "waiting:end": ["control"],
    "lead:take": ["control"],
    "screen:show": ["spotlight", "instructions"],
    "signal:send": ["signal", "pause_timer"],
    "signal:clear": [],
}
# Placeholders that send() swaps for a real id of the session the case is sent in.
REFS = ["@facilitator", "@case_bringer", "@participant", "@contribution", "@card", "@quadrant", "@client_id"]
plausible_value = st.sampled_from(VALUES + REFS) | st.sampled_from(REFS) | json_values
details = st.fixed_dictionaries({}, optional={k: plausible_value for k in ("who", "when", "measure")})


GOOD = {
    "ready": [True, False],
    "lang": ["nl", "en"],
    "to": ["next", "prev", 0, 1, 2, 3, 6],
    "action": ["start", "pause", "resume", "add", "reset"],
    "seconds": [60, -30, 5],
    "kind": [
        "question",
        "answer",
        "action",
        "takeaway",
        "learned",
        "perspective",
        "cause",
        "solution",
        "check-in",
    ],
    "text": ["Wat maakt het lastig voor jou?", "Bellen", "😀" * 2000, "a" * 2001],
    "details": [{"who": "ik", "when": "morgen", "measure": "klaar"}, {"who": "x" * 201}],
    "value": ["warm", "neutral", "cold", "keep", "helped", "vote", "appeals"],
    "on": [True, False],
    "hidden": [True, False],
    "role": ["case_bringer", "participant", "facilitator"],
    "name": ["Robin", "Zoë", "Ayla"],
    "joining_locked": [True, False],
    "auto_advance": [True, False],
    "client_id": ["@client_id"],
    "participant_id": ["@facilitator", "@case_bringer", "@participant"],
    "id": ["@contribution"],
    "card_id": ["@card"],
    "quadrant": ["@quadrant", None],
    "co_facilitator_id": ["@participant", None],
    "spotlight": ["@contribution", None],
    "instructions": [True, False],
    "signal": ["pause", "slower", "enough"],
    "pause_timer": [True, False],
}


def good(field: str):
    return st.sampled_from(GOOD[field]) if field in GOOD else plausible_value


def plausible(event: str):
    """The event's own fields: all of them with values that make sense, or some of them with any value."""
    fields = [f for f in EVENT_FIELDS.get(event, []) if f not in ("control", "code", "key", "token", "from")]
    extra = ("details", "step_index", "quadrant", "seconds", "on")
    sensible = st.fixed_dictionaries(
        {f: good(f) for f in fields if f not in extra}, optional={f: good(f) for f in fields if f in extra}
    )
    optional = {
        f: (details | plausible_value) if f == "details" else (good(f) | plausible_value) for f in fields
    }
    return sensible | st.fixed_dictionaries({}, optional=optional)


def payloads(event: str):
    return (
        plausible(event)
        | plausible(event)
        | st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=6)
        | json_values
    )


@st.composite
def cases(draw):
    """One event: who sends it, in which session, with which arguments."""
    count = draw(st.sampled_from([1] * 12 + [0, 2, 3]))
    event = draw(st.sampled_from(EVENTS))
    args = [draw(payloads(event)) for _ in range(count)]
    return {
        "status": draw(st.sampled_from(STATUSES)),
        "role": draw(st.sampled_from(ROLES)),
        "event": event,
        "args": args,
        # Most facilitator controls only get past the stale check with the current control count.
        "with_control": draw(st.booleans()),
        # The right secrets now and then, so the accepted paths are walked too.
        "with_secret": draw(st.sampled_from([None, "code", "token", "key"])),
    }


# --- the world: one session per status, one connection per role --------------------------------------


class World:
    """Sessions in every status with a connection for every role; rebuilt where an accepted event moved it."""

    def __init__(self, app):
        self.app, self.http = app, app.test_client()
        self.groups: dict[str, Group] = {}
        self.sent = 0
        self.people: dict[str, dict[str, Person]] = {}
        for status in STATUSES:
            self.build(status)

    def build(self, status: str) -> None:
        with self.app.app_context():
            if status == "cards":
                group = Group(self.app, self.http, participants=2, method_id="manager-coachkwadrant")
            else:
                group = Group(self.app, self.http, participants=2)
            if status != "lobby":
                group.start()
            if status == "cards":
                group.go(3)  # kaartrondes: hands are dealt
            if status == "ended":
                group.facilitator.ok("session:end")
            screen = Person(self.app, "screen")
            screen.ok("session:watch", code=group.code, key=group.created["screen_key"])
            stranger = Person(self.app, "stranger")
            group.drain()
        self.groups[status] = group
        self.people[status] = {
            "facilitator": group.facilitator,
            "case_bringer": group.case_bringer,
            "participant": group.participants[0],
            "screen": screen,
            "not_joined": stranger,
        }

    def expected(self, status: str) -> bool:
        """Is this session still as built (status, roles, nobody removed)?"""
        group = self.groups[status]
        with self.app.app_context(), db.session() as orm:
            session = orm.scalar(select(Session).where(Session.code == group.code))
            roles = {
                p.id: (p.role, p.removed)
                for p in orm.scalars(select(Participant).where(Participant.session_id == session.id))
            }
        want = {"cards": "running"}.get(status, status)
        return (
            all(person.io.is_connected() for person in self.people[status].values())
            and session.status == want
            and (status != "cards" or session.step_index == 3)
            and roles.get(group.facilitator.id, (None,))[0] == "facilitator"
            and roles.get(group.case_bringer.id, (None,))[0] == "case_bringer"
            and roles.get(group.participants[0].id, (None,))[0] == "participant"
            and not any(removed for _role, removed in roles.values())
        )

    def fingerprint(self) -> tuple:
        """Every row of every table that belongs to the world's sessions: what a refusal must leave as it was."""
        with self.app.app_context(), db.session() as orm:
            ids = list(
                orm.scalars(
                    select(Session.id).where(Session.code.in_([g.code for g in self.groups.values()]))
                )
            )
            rows = []
            for table in Base.metadata.sorted_tables:
                column = table.c.id if table.name == "sessions" else table.c.session_id
                query = select(table).where(column.in_(ids)).order_by(*table.primary_key.columns)
                rows.append(tuple(tuple(row) for row in orm.execute(query)))
            return tuple(rows)

    def resolve(self, value, status: str):
        """The value with each placeholder (``@participant``, ``@contribution``, ...) made a real id."""
        if isinstance(value, dict):
            return {k: self.resolve(v, status) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v, status) for v in value]
        if not (isinstance(value, str) and value in REFS):
            return value
        group = self.groups[status]
        if value == "@client_id":
            return uuid.uuid4().hex
        if value in ("@facilitator", "@case_bringer", "@participant"):
            return self.people[status][value[1:]].id
        with self.app.app_context(), db.session() as orm:
            session = orm.scalar(select(Session).where(Session.code == group.code))
            if value == "@contribution":
                found = orm.scalar(select(Contribution.id).where(Contribution.session_id == session.id))
                return found or "none"
            deck = session.deck or {}
            hands = (session.cards or {}).get("hands") or {}
            if value == "@card":
                held = [card for hand in hands.values() for card in hand]
                return held[0] if held else "none"
            quadrants = deck.get("quadrants") or [{"id": "none"}]
            return quadrants[0]["id"]

    def payload_secret(self, case: dict, status: str) -> dict:
        group = self.groups[status]
        return {
            "code": {"code": group.code},
            "token": {"token": group.participants[0].token},
            "key": {"code": group.code, "key": group.created["facilitator_key"]},
        }.get(case["with_secret"], {})


def send(world: World, case: dict) -> dict:
    """Send one case; return what came back and whether anything changed."""
    status, role = case["status"], case["role"]
    world.sent += 1
    if world.sent % 500 == 0:  # fresh sessions now and then: what piled up in them slows every check
        for each in STATUSES:
            world.build(each)
    elif not world.expected(status):
        world.build(status)
    person = world.people[status][role]
    args = [world.resolve(arg, status) for arg in case["args"]]
    if args and isinstance(args[0], dict):
        args[0] = {**args[0], **world.payload_secret(case, status)}
        if case["with_control"] and role == "facilitator":
            args[0]["control"] = person.current_control()
    before = world.fingerprint()
    with world.app.app_context():
        ack = person.io.emit(case["event"], *args, callback=True)
    after = world.fingerprint()
    return {"ack": ack, "changed": before != after}


def verdict(outcome: dict) -> str | None:
    """What is wrong with an outcome, or None."""
    ack = outcome["ack"]
    if ack is None:
        return "no acknowledgement"
    if not isinstance(ack, dict) or not isinstance(ack.get("ok"), bool):
        return f"not an acknowledgement: {ack!r}"[:200]
    if ack["ok"]:
        return None
    if ack.get("error") == "server_error":
        return "server_error"
    if not isinstance(ack.get("error"), str) or not isinstance(ack.get("message"), str) or not ack["message"]:
        return f"refusal without code or message: {ack!r}"[:200]
    if outcome["changed"]:
        return f"refused ({ack['error']}) but changed the database"
    return None


# --- the test ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(tmp_path_factory, migrated_sqlite):
    folder = tmp_path_factory.mktemp("fuzz")
    if PG_URL:
        config = {**CONFIG, **UNLIMITED, "DATABASE_URL": PG_URL}
    else:
        shutil.copy(migrated_sqlite, folder / "fuzz.sqlite3")
        config = {
            **CONFIG,
            **UNLIMITED,
            "DATABASE_URL": f"sqlite:///{folder / 'fuzz.sqlite3'}",
            "AUTO_MIGRATE": False,
        }
    app = create_app(config)
    if PG_URL:
        names = ", ".join(t.name for t in reversed(Base.metadata.sorted_tables))
        with db.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {names} CASCADE"))
    yield World(app)
    db.engine.dispose()


def test_protocol_lists_every_event():
    assert len(EVENTS) >= 22 and "session:join" in EVENTS and "cards:focus" in EVENTS


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(case=cases())
def test_every_event_gets_a_documented_answer(world, case):
    problem = verdict(send(world, case))
    assert problem is None, (problem, case)


def run_many(world: World, count: int, seed: int = 0) -> dict:
    """``count`` cases for bench/fuzz.py: outcomes per event, and every problem found."""
    tally: Counter = Counter()
    problems: list[tuple[str, dict]] = []

    @settings(max_examples=count, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(case=cases())
    def one(case):
        outcome = send(world, case)
        ack = outcome["ack"] if isinstance(outcome["ack"], dict) else {}
        tally[(case["event"], "ok" if ack.get("ok") else str(ack.get("error")))] += 1
        problem = verdict(outcome)
        if problem:
            problems.append((problem, case))

    hypothesis_seed(seed)(one)()
    return {"tally": tally, "problems": problems}
