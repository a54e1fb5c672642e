"""The sample deployment in deploy/, run for real: three processes behind nginx, Redis and PostgreSQL.

nginx runs ``deploy/intervisie.conf`` with only its ports and certificate
paths changed; each process starts as ``deploy/intervisie@.service`` starts
it (``wsgi.py`` in the checkout, ``deploy/intervisie.env`` with only its two
URLs changed to a fresh database and Redis db). Three people, each on another
process: contributions, the timer, presence and time's up cross the processes
exactly once; then the process of one of them is killed (``kill -9``) and they
come back in through nginx on another process, losing nothing acknowledged.

Skipped without nginx, PostgreSQL or Redis; in CI they are required.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests

from tests.live.test_deploy_nginx import (
    Device,
    SourceAddress,
    Stack,
    logged_process,
    nginx_in_front,
    self_signed_certificate,
    tool,
)
from tests.resources import REDIS_URL, fresh_postgres_database, fresh_redis_db
from tests.support import ROOT, LiveServer

pytestmark = pytest.mark.live

DEPLOY = ROOT / "deploy"
# A Redis db of our own: other live tests empty 7 and 8.
THREE_REDIS_URL = re.sub(r"/\d+$", "/9", REDIS_URL)


def unit_environment(**urls: str) -> dict[str, str]:
    """deploy/intervisie.env as a dict, with ``urls`` (DATABASE_URL, the queue) replaced."""
    env = {}
    for line in (DEPLOY / "intervisie.env").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, value = line.partition("=")
            env[name] = value
    assert set(urls) <= set(env), "deploy/intervisie.env no longer names these settings"
    return env | urls


def test_the_unit_starts_wsgi_py_with_the_env_file():
    unit = (DEPLOY / "intervisie@.service").read_text()
    assert "ExecStart=/srv/intervisie/.venv/bin/python wsgi.py" in unit
    assert "EnvironmentFile=/etc/intervisie/intervisie.env" in unit
    assert "INTERVISIE_PORT=%i" in unit


@pytest.fixture(scope="module")
def three(tmp_path_factory):
    tool("nginx")
    folder = tmp_path_factory.mktemp("three")
    env = unit_environment(
        DATABASE_URL=fresh_postgres_database("intervisie_three_test"),
        INTERVISIE_MESSAGE_QUEUE=fresh_redis_db(THREE_REDIS_URL),
    )
    cert, key = self_signed_certificate(folder)
    # As the unit's ExecStartPre: the schema first, so the three start at once.
    upgrade = [str(Path(sys.executable).parent / "intervisie"), "db", "upgrade"]
    subprocess.run(upgrade, cwd=ROOT, env={**os.environ, **env}, check=True, capture_output=True)
    servers, nginx = [LiveServer(folder / f"instance{i}", env=env) for i in (1, 2, 3)], None
    try:
        for server in servers:
            server.start()
        nginx, port = nginx_in_front(folder, (DEPLOY / "intervisie.conf").read_text(), servers, cert, key)
        yield Stack(nginx, port, cert, servers)
    finally:
        if nginx:
            nginx.stop()
        for server in servers:
            server.kill()


def process_of(stack: Stack, source: str) -> str:
    """The process (``127.0.0.1:port``) nginx sends client address ``source`` to now."""
    probe = uuid.uuid4().hex
    with requests.Session() as http:
        http.trust_env = False
        http.verify = str(stack.ca)
        http.mount("https://", SourceAddress(source))
        assert http.get(f"{stack.public}/healthz?probe={probe}", timeout=10).status_code == 200
    return logged_process(stack, probe)


def one_source_per_process(stack: Stack) -> dict[str, str]:
    """Process address -> a client address that ip_hash sends there, for each of the three."""
    found: dict[str, str] = {}
    for octet in range(64):
        source = f"127.0.{octet}.1"
        found.setdefault(process_of(stack, source), source)
        if len(found) == 3:
            return found
    raise AssertionError(f"ip_hash used only {sorted(found)} for 64 client addresses")


def ask(device: Device, event: str, **payload) -> dict:
    """``device.call``, sent again after a pause while a process answers ``busy`` (its back-pressure,
    which this shared machine's load can set off), as the browser does with what it sends."""
    deadline = time.monotonic() + 30
    while True:
        ack = device.io.call(event, payload, timeout=20)
        if ack.get("error") != "busy" or time.monotonic() > deadline:
            assert ack["ok"], (event, ack)
            return ack
        time.sleep(0.5)


def count(device: Device, name: str, match=lambda data: True) -> int:
    return sum(1 for event, data in device.events if event == name and match(data))


def test_three_processes_behind_nginx_and_a_killed_one(three):
    stack = three
    sources = one_source_per_process(stack)
    (one, s1), (two, s2), (gone, s3) = sources.items()
    facilitator, case_bringer, participant = Device(stack, s1), Device(stack, s2), Device(stack, s3)
    devices = [facilitator, case_bringer, participant]
    for device in devices:
        device.io.on("timer:expired", lambda data, d=device: d.events.append(("timer:expired", data)))
    try:
        created = facilitator.create_session()
        facilitator.connect(["websocket"]).resume(created["token"])
        case_bringer.connect(["websocket"]).join(created["code"], "Ayla")
        participant.connect(["websocket"]).join(created["code"], "Bram")
        ayla = case_bringer.snapshot["me"]["id"]
        state = ask(facilitator, "role:assign", participant_id=ayla, role="case_bringer")["state"]
        state = ask(facilitator, "session:start", control=state["control"])["state"]
        state = ask(facilitator, "step:go", to=2, control=state["control"], confirm=True)["state"]

        # A question from the third process reaches the other two, once each.
        sent = ask(
            participant,
            "contribution:add",
            client_id=uuid.uuid4().hex,
            kind="question",
            text="Wat speelt er?",
        )
        first = sent["contribution"]["id"]
        for reader in (facilitator, case_bringer):
            reader.wait_for("contribution:new", lambda c: c["id"] == first)
        time.sleep(0.5)
        assert [count(d, "contribution:new", lambda c: c["id"] == first) for d in devices] == [1, 1, 1]

        # Presence is shared: the facilitator sees all three online.
        snapshot = ask(facilitator, "session:resume", token=facilitator.token)["snapshot"]
        assert {p["name"]: p["presence"] for p in snapshot["participants"]} == {
            "Fien": "online",
            "Ayla": "online",
            "Bram": "online",
        }

        # Every process watches the timers; time's up is announced once, to everyone. (The step's
        # timer started by itself: bring it down to about two seconds.)
        timer = state["timer"]
        assert timer["state"] == "running"
        seconds = 2 - timer["remaining_ms"] // 1000
        ask(facilitator, "timer:control", action="add", seconds=seconds, control=snapshot["control"])
        for device in devices:
            device.wait_for("timer:expired", timeout=15)
        time.sleep(2)
        assert [count(d, "timer:expired") for d in devices] == [1, 1, 1]

        # kill -9 of the participant's process, right after an acknowledged question.
        second = ask(
            participant,
            "contribution:add",
            client_id=uuid.uuid4().hex,
            kind="question",
            text="Wat heb je al geprobeerd?",
        )["contribution"]["id"]
        next(s for s in stack.servers if s.url.endswith(gone)).kill()
        participant.close()
        back = Device(stack, s3).connect(["websocket"]).resume(participant.token)
        devices.append(back)
        assert process_of(stack, s3) != gone  # nginx sent them to a process still alive
        mine = {c["id"] for c in back.snapshot["contributions"]}
        assert {first, second} <= mine, "an acknowledged contribution was lost with its process"
        try:
            third = ask(back, "contribution:add", client_id=uuid.uuid4().hex, kind="question", text="En nu?")
        except Exception as exc:
            raise AssertionError(f"no answer after coming back\n{stack.logs()}") from exc
        facilitator.wait_for("contribution:new", lambda c: c["id"] == third["contribution"]["id"])
        case_bringer.wait_for("contribution:new", lambda c: c["id"] == third["contribution"]["id"])
        assert {one, two} == {a for a in sources if a != gone}
    finally:
        for device in devices:
            device.close()
