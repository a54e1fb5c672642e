"""Events that arrive at once: every read-check-write of a session takes its turn.

Real server processes, real python-socketio clients over WebSocket. Each race
opens its connections first, then fires one event 20 times at once (a barrier
releases all threads together, each on its own connection) and checks the rule
against what the server stored, read back in a fresh snapshot:

- 20 joins with one name (and with forms of it that normalise alike): one person;
- 20 check-ins by one person in a step with ``max_per_person: 1``: one stored;
- 20 votes by one person where a step allows ``count: 3``: at most three;
- 20 card plays by one player: every card once, in a hand, the pile or played;
- 20 role changes to case bringer: one case bringer;
- 20 ``step:go next`` sent from the same state: the step moves once, the rest are stale.

Each race runs against one process in threading mode and one in eventlet mode
(SQLite; PostgreSQL in the PostgreSQL pass of ``./dev test``), and against two
processes on a fresh PostgreSQL database and Redis, in each mode, with the
connections spread over both. A last test resumes 30 times while two others
post, and checks that no acknowledged contribution falls between the snapshot
and the stream (issue 8, items 5 and 6). Each race prints its figures
(``-rP`` shows them); a broken rule fails with the same line.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from itertools import cycle, islice

import pytest

from tests.live.test_live_server import Client
from tests.resources import fresh_postgres_database, fresh_redis_db
from tests.support import DROPPED_SOCKETS, ROOT, LiveServer

pytestmark = [
    pytest.mark.live,
    *DROPPED_SOCKETS,
]

AT_ONCE = 20
WAIT = 20  # seconds: the longest any single wait in these tests may take

# The per-connection, per-address and per-session limits are not under test here: lift them.
UNLIMITED = {
    name: "100000"
    for name in (
        "INTERVISIE_EVENTS_PER_SECOND",
        "INTERVISIE_EVENT_BURST",
        "INTERVISIE_CONNECTIONS_PER_ADDRESS",
        "INTERVISIE_ADDRESS_EVENTS_PER_SECOND",
        "INTERVISIE_ADDRESS_EVENT_BURST",
        "INTERVISIE_LOOKUPS_PER_ADDRESS_PER_MINUTE",
        "INTERVISIE_CREATIONS_PER_ADDRESS_PER_MINUTE",
        "INTERVISIE_SESSION_EVENTS_PER_SECOND",
        "INTERVISIE_SESSION_EVENT_BURST",
    )
}

# No bundled method limits marks with a count; this one does (three votes each).
VOTES = """\
id: stemmen
names: {nl: Stemmen, en: Voting}
descriptions: {nl: Ideeën verzamelen en er drie kiezen., en: Collect ideas and pick three.}
audience: team
group_size: [2, 30]
steps:
  - id: ideeen
    names: {nl: Ideeën, en: Ideas}
    purpose: {nl: Ideeën verzamelen en kiezen., en: Collect and pick ideas.}
    instructions: {nl: Schrijf ideeën op en stem op drie., en: Write ideas down and vote for three.}
    minutes: 10
    contribute:
      - kind: solution
        roles: [facilitator, participant]
    rules:
      - {type: marks, kind: solution, values: [vote], by: [participant], count: 3}
"""

ONE_PROCESS = ["threading", "eventlet"]
TWO_PROCESSES = ["2xeventlet", "2xthreading"]  # on PostgreSQL + Redis, connections spread over both
EVERY = [*ONE_PROCESS, *TWO_PROCESSES]


# --- servers ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def methods_dir(tmp_path_factory):
    """The bundled methods and decks, plus the voting method above."""
    path = tmp_path_factory.mktemp("methods") / "methods"
    shutil.copytree(ROOT / "methods", path)
    (path / "stemmen.yaml").write_text(VOTES, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def backend(request, methods_dir, tmp_path_factory) -> list[LiveServer]:
    """The server processes of one set-up: one process in a mode, or two in a mode on PostgreSQL + Redis."""
    env = {**UNLIMITED, "INTERVISIE_METHODS_DIR": str(methods_dir)}
    base = tmp_path_factory.mktemp(request.param)
    if request.param.startswith("2x"):
        env["DATABASE_URL"] = fresh_postgres_database("intervisie_races_test")
        env["INTERVISIE_MESSAGE_QUEUE"] = fresh_redis_db()
        mode = request.param[len("2x") :]
        servers = [LiveServer(base / f"instance{i}", mode=mode, env=env) for i in (1, 2)]
    else:  # SQLite in its instance folder (the run's INTERVISIE_TEST_DATABASE_URL, when set)
        servers = [LiveServer(base / "instance", mode=request.param, env=env)]
    try:
        for server in servers:
            server.start()
        yield servers
    finally:
        for server in servers:
            server.stop()


# --- clients ---------------------------------------------------------------------------------


def parallel(function: Callable, items) -> list:
    """``function`` over ``items`` on as many threads; results in order."""
    items = list(items)
    with ThreadPoolExecutor(max_workers=max(1, len(items))) as pool:
        return list(pool.map(function, items))


def connections(servers: list[LiveServer], count: int, token: str | None = None) -> list[Client]:
    """``count`` connections spread over the servers, each resumed with ``token`` when given."""
    urls = list(islice(cycle(s.url for s in servers), count))

    def open_one(url: str) -> Client:
        client = Client(url).connect()
        return client.resume(token) if token else client

    return parallel(open_one, urls)


def close(clients: list[Client]) -> None:
    """Hang up without waiting for it: in threading mode the client waits 3 s for a close frame."""

    def hang_up(client: Client) -> None:
        with contextlib.suppress(Exception):
            client.close()

    for client in clients:
        threading.Thread(target=hang_up, args=(client,), daemon=True).start()


def at_once(sends: list[tuple[Client, str, dict]]) -> list[dict]:
    """Send every ``(client, event, payload)`` at the same moment, each from its own thread; the acks."""
    barrier = threading.Barrier(len(sends))

    def fire(send):
        client, event, payload = send
        barrier.wait(timeout=WAIT)
        return client.io.call(event, payload, timeout=WAIT)

    return parallel(fire, sends)


def tally(acks: list[dict]) -> Counter:
    """How the acks answered: ``ok`` or the error code."""
    return Counter("ok" if ack.get("ok") else ack.get("error") for ack in acks)


def control_of(view: dict) -> int | None:
    """The ``control`` count a facilitator control acts on, from an ack's state or a snapshot."""
    return view.get("control")


def snapshot(client: Client) -> dict:
    """The session as stored now, seen by this client's person."""
    return client.call("session:resume", token=client.token)["snapshot"]


def report(race: str, backend: list[LiveServer], **figures) -> str:
    """One line with the figures of a race, printed (``-rP`` shows it) and used as the assertion message."""
    database = backend[0].extra_env.get("DATABASE_URL") or os.environ.get("INTERVISIE_TEST_DATABASE_URL")
    mode = f"{len(backend)}x {backend[0].mode}, {'PostgreSQL' if database else 'SQLite'}"
    line = f"{race} [{mode}]: " + ", ".join(f"{k}={v}" for k, v in figures.items())
    print(line)
    return line


class Group:
    """A session on the servers: its facilitator (on the first) and who else joined."""

    def __init__(self, servers: list[LiveServer], method_id: str = "vijf-fasen"):
        self.servers = servers
        self.created = servers[0].create_session(method_id=method_id)
        self.code = self.created["code"]
        self.facilitator = Client(servers[0].url).connect().resume(self.created["token"])
        self.state = self.facilitator.snapshot
        self.people: dict[str, Client] = {}

    def join(self, *names: str) -> None:
        def join_one(pair):
            i, name = pair
            return Client(self.servers[i % len(self.servers)].url).connect().join(self.code, name)

        for name, client in zip(names, parallel(join_one, enumerate(names)), strict=True):
            self.people[name] = client

    def id_of(self, name: str) -> str:
        return self.people[name].snapshot["me"]["id"]

    def control(self, event: str, **payload) -> dict:
        """A facilitator control sent from the latest state this facilitator saw."""
        ack = self.facilitator.call(event, control=control_of(self.state), **payload)
        self.state = ack.get("state", self.state)
        return ack

    def start(self, case_bringer: str) -> None:
        ack = self.facilitator.call(
            "role:assign", participant_id=self.id_of(case_bringer), role="case_bringer"
        )
        self.state = ack.get("state", self.state)
        self.control("session:start")

    def fresh(self) -> dict:
        self.state = snapshot(self.facilitator)
        return self.state

    def close(self) -> None:
        close([self.facilitator, *self.people.values()])


# --- the races -------------------------------------------------------------------------------

NAME_FORMS = {
    "same": ["Robin"],
    "case": ["Robin", "robin", "ROBIN", "Ｒｏｂｉｎ"],  # the last in full-width letters (NFKC: Robin)
    "nfd": ["Zoë", "Zoe\u0308", "ZOË", "zoe\u0308"],  # composed and decomposed ë
}


@pytest.mark.parametrize("forms", NAME_FORMS)
@pytest.mark.parametrize("backend", EVERY, indirect=True)
def test_one_name_once(backend, forms):
    group = Group(backend)
    names = list(islice(cycle(NAME_FORMS[forms]), AT_ONCE))
    newcomers = connections(backend, AT_ONCE)
    acks = at_once(
        [(c, "session:join", {"code": group.code, "name": n}) for c, n in zip(newcomers, names, strict=True)]
    )
    people = [p for p in group.fresh()["participants"] if p["id"] != group.created["participant_id"]]
    answers = tally(acks)
    line = report(f"session:join x{AT_ONCE} {forms}", backend, answers=dict(answers), stored=len(people))
    close(newcomers)
    group.close()
    assert len(people) == 1, line
    assert answers == {"ok": 1, "name_taken": AT_ONCE - 1}, line


@pytest.mark.parametrize("backend", EVERY, indirect=True)
def test_one_check_in_per_person(backend):
    group = Group(backend)
    group.join("Ayla", "Bram")
    group.start("Ayla")
    devices = connections(backend, AT_ONCE, token=group.people["Bram"].token)
    acks = at_once(
        [
            (d, "contribution:add", {"client_id": uuid.uuid4().hex, "kind": "checkin", "text": f"Goed {i}"})
            for i, d in enumerate(devices)
        ]
    )
    bram = group.id_of("Bram")
    stored = [c for c in group.fresh()["contributions"] if c["author_id"] == bram and c["kind"] == "checkin"]
    answers = tally(acks)
    line = report(f"contribution:add checkin x{AT_ONCE}", backend, answers=dict(answers), stored=len(stored))
    close(devices)
    group.close()
    assert len(stored) == 1, line
    assert answers == {"ok": 1, "limit_reached": AT_ONCE - 1}, line


@pytest.mark.parametrize("backend", EVERY, indirect=True)
def test_votes_stay_within_the_count(backend):
    group = Group(backend, method_id="stemmen")
    group.join("Ayla", "Bram")
    group.start("Ayla")
    ideas = [
        group.facilitator.call(
            "contribution:add", client_id=uuid.uuid4().hex, kind="solution", text=f"Idee {i}"
        )["contribution"]["id"]
        for i in range(AT_ONCE)
    ]
    devices = connections(backend, AT_ONCE, token=group.people["Bram"].token)
    acks = at_once(
        [
            (d, "contribution:mark", {"id": idea, "value": "vote"})
            for d, idea in zip(devices, ideas, strict=True)
        ]
    )
    bram = group.id_of("Bram")
    votes = sum(
        1
        for c in group.fresh()["contributions"]
        for m in c["marks"]
        if m["by"] == bram and m["value"] == "vote"
    )
    answers = tally(acks)
    line = report(
        f"contribution:mark vote x{AT_ONCE} (count 3)", backend, answers=dict(answers), stored=votes
    )
    close(devices)
    group.close()
    assert votes == 3, line
    assert answers == {"ok": 3, "limit_reached": AT_ONCE - 3}, line


@pytest.mark.parametrize("backend", EVERY, indirect=True)
def test_card_plays_lose_and_double_no_card(backend):
    group = Group(backend, method_id="manager-coachkwadrant")
    group.join("Ayla", "Bram")
    group.start("Ayla")
    group.control("step:go", to=3)  # kaartrondes: three cards each
    before = snapshot(group.people["Bram"])
    hand = before["hand"]
    assert before["cards"]["played"] == [] and len(hand) == 3, before["cards"]
    deck_size = len(before["deck"]["cards"])
    devices = connections(backend, AT_ONCE, token=group.people["Bram"].token)
    acks = at_once(
        [
            (d, "card:play", {"client_id": uuid.uuid4().hex, "card_id": card})
            for d, card in zip(devices, cycle(hand))
        ]
    )
    after = snapshot(group.people["Bram"])
    bram = after["me"]["id"]
    cards = after["cards"]
    played = [entry["card"] for entry in cards["played"]]
    stored = {
        c["id"]: c["details"]["card"]
        for c in after["contributions"]
        if c["author_id"] == bram and c["step_index"] == 3 and c["kind"] == "question"
    }
    acked = {ack["contribution"]["id"] for ack in acks if ack.get("ok")}
    accounted = cards["pile"] + sum(cards["hands"].values()) + len(played)
    answers = tally(acks)
    line = report(
        f"card:play x{AT_ONCE} (hand of 3)",
        backend,
        answers=dict(answers),
        played=len(played),
        distinct_played=len(set(played)),
        stored=len(stored),
        cards_accounted=f"{accounted}/{deck_size}",
    )
    close(devices)
    group.close()
    assert answers == {"ok": 3, "card_not_in_hand": AT_ONCE - 3}, line
    assert sorted(played) == sorted(hand), line  # each card of the hand played once
    assert {e["contribution"]: e["card"] for e in cards["played"]} == stored, line
    assert set(stored) == acked, line
    assert accounted == deck_size, line
    assert len(after["hand"]) == 3 and not set(after["hand"]) & set(played), line


@pytest.mark.parametrize("backend", EVERY, indirect=True)
def test_one_case_bringer(backend):
    group = Group(backend)
    names = [f"Deelnemer {i:02}" for i in range(AT_ONCE)]
    group.join(*names)
    devices = connections(backend, AT_ONCE, token=group.created["token"])
    acks = at_once(
        [
            (d, "role:assign", {"participant_id": group.id_of(name), "role": "case_bringer"})
            for d, name in zip(devices, names, strict=True)
        ]
    )
    bringers = [p for p in group.fresh()["participants"] if p["role"] == "case_bringer"]
    answers = tally(acks)
    line = report(
        f"role:assign case_bringer x{AT_ONCE}", backend, answers=dict(answers), stored=len(bringers)
    )
    close(devices)
    group.close()
    assert len(bringers) == 1, line
    assert set(answers) == {"ok"}, line


@pytest.mark.parametrize("backend", EVERY, indirect=True)
def test_next_step_moves_once(backend):
    group = Group(backend)
    group.join("Ayla")
    group.start("Ayla")
    sent_from = control_of(group.state)
    devices = connections(backend, AT_ONCE, token=group.created["token"])
    # confirm: nobody is ready yet, and the race is about the control, not the question it would ask.
    move = {"to": "next", "control": sent_from, "confirm": True}
    acks = at_once([(d, "step:go", move) for d in devices])
    step = group.fresh()["session"]["step_index"]
    answers = tally(acks)
    line = report(f"step:go next x{AT_ONCE}", backend, answers=dict(answers), step_index=f"0->{step}")
    close(devices)
    group.close()
    assert step == 1, line
    assert answers == {"ok": 1, "stale": AT_ONCE - 1}, line


# --- no gap between snapshot and stream ------------------------------------------------------

RESUMES = 30


@pytest.mark.parametrize("backend", ["threading"], indirect=True)
def test_a_resume_misses_no_contribution(backend):
    group = Group(backend)
    group.join("Ayla", "Bram", "Cas", "Dirk")
    group.start("Ayla")
    group.control("step:go", to=2)  # vragen: everyone but the case bringer asks, without a limit
    posters = [group.people["Bram"], group.people["Cas"]]
    acked: list[str] = []
    stop = threading.Event()

    def question(poster: Client) -> tuple[Client, str, dict]:
        return poster, "contribution:add", {"client_id": uuid.uuid4().hex, "kind": "question", "text": "Hoe?"}

    def keep_posting(poster: Client) -> None:
        while not stop.wait(0.2):
            client, event, payload = question(poster)
            ack = client.io.call(event, payload, timeout=WAIT)
            if ack.get("ok"):
                acked.append(ack["contribution"]["id"])

    background = [threading.Thread(target=keep_posting, args=(p,), daemon=True) for p in posters]
    for thread in background:
        thread.start()
    # Dirk reloads the page again and again: one device at a time, each time a new connection.
    dirk = group.people.pop("Dirk")
    close([dirk])
    missed: dict[int, int] = {}
    try:
        for attempt in range(RESUMES):
            device = Client(backend[0].url).connect()
            # Both posters post once more just as the resume arrives: the moment a gap would show.
            resumed, *posted = at_once(
                [(device, "session:resume", {"token": dirk.token}), *(question(p) for p in posters)]
            )
            assert resumed["ok"], resumed
            acked.extend(ack["contribution"]["id"] for ack in posted if ack.get("ok"))
            time.sleep(0.05)  # let the acks of whatever was stored around the resume arrive
            expected = set(acked)
            deadline = time.monotonic() + 1
            while True:
                seen = {c["id"] for c in resumed["snapshot"]["contributions"]}
                seen |= {data["id"] for name, data in list(device.events) if name == "contribution:new"}
                if expected <= seen or time.monotonic() > deadline:
                    break
                time.sleep(0.02)
            if expected - seen:
                missed[attempt] = len(expected - seen)
            close([device])
    finally:
        stop.set()
        for thread in background:
            thread.join(timeout=WAIT)
        group.close()
    line = report(
        f"session:resume x{RESUMES} while 2 post",
        backend,
        contributions=len(acked),
        resumes_missing_some=len(missed),
        missed=sum(missed.values()),
    )
    assert len(acked) > 2 * RESUMES, line  # the posting really went on during the resumes
    assert not missed, line
