"""Two server processes behind one PostgreSQL database and a Redis message queue.

Runs for real in CI; elsewhere it is skipped when either service is missing.
"""

from __future__ import annotations

import os
import socket
import time
import uuid

import pytest

from tests.live.test_live_server import Client
from tests.support import LiveServer

pytestmark = pytest.mark.live

PG_URL = (
    os.environ.get("INTERVISIE_TEST_DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/intervisie_test"
)
REDIS_URL = os.environ.get("INTERVISIE_TEST_REDIS_URL", "redis://127.0.0.1:6379/7")


def reachable(url: str, default_port: int) -> bool:
    host_port = url.split("@")[-1].split("/")[2 if "@" not in url else 0]
    host, _, port = host_port.partition(":")
    try:
        with socket.create_connection((host, int(port or default_port)), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def two_servers(tmp_path):
    missing = [
        name
        for name, url, port in (("PostgreSQL", PG_URL, 5432), ("Redis", REDIS_URL, 6379))
        if not reachable(url, port)
    ]
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"CI needs {', '.join(missing)} for the scale-out test")
        pytest.skip(f"{', '.join(missing)} not reachable on this machine")
    env = {"DATABASE_URL": PG_URL, "INTERVISIE_MESSAGE_QUEUE": REDIS_URL}
    servers = [LiveServer(tmp_path / f"instance{i}", env=env).start() for i in (1, 2)]
    yield servers
    for server in servers:
        server.stop()


def test_two_processes_share_one_session(two_servers):
    one, two = two_servers
    created = one.create_session()
    facilitator = Client(one.url).connect().resume(created["token"])
    case_bringer = Client(two.url).connect().join(created["code"], "Ayla")
    participant = Client(two.url).connect().join(created["code"], "Bram")
    facilitator.call("role:assign", participant_id=case_bringer.snapshot["me"]["id"], role="case_bringer")
    facilitator.call("session:start")
    facilitator.call("step:go", to=2)

    # A contribution posted on process two reaches the facilitator on process one.
    sent = participant.call(
        "contribution:add", client_id=uuid.uuid4().hex, kind="question", text="Wat speelt er?"
    )
    received = facilitator.wait_for("contribution:new")
    assert received["id"] == sent["contribution"]["id"]

    # Both processes watch the timer; time's up is announced once.
    timer = facilitator.call("timer:control", action="start")["state"]["timer"]
    facilitator.call("timer:control", action="add", seconds=2 - timer["remaining_ms"] // 1000)
    case_bringer.wait_for("timer:expired", timeout=10)
    facilitator.wait_for("timer:expired", timeout=10)
    time.sleep(1.5)
    for client in (facilitator, case_bringer, participant):
        assert sum(1 for name, _ in client.events if name == "timer:expired") == 1

    # Presence is shared: the facilitator on process one sees both people from process two.
    state = facilitator.call("session:resume", token=facilitator.token)["snapshot"]
    presence = {p["name"]: p["presence"] for p in state["participants"]}
    assert presence == {"Fien": "online", "Ayla": "online", "Bram": "online"}
    for client in (facilitator, case_bringer, participant):
        client.close()
