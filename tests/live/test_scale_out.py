"""Two server processes behind one PostgreSQL database and a Redis message queue.

Runs for real in CI; elsewhere it is skipped when either service is missing.
"""

from __future__ import annotations

import time
import uuid

import pytest

from tests.live.test_live_server import Client
from tests.resources import fresh_postgres_database, fresh_redis_db
from tests.support import LiveServer

pytestmark = pytest.mark.live


@pytest.fixture
def two_servers(tmp_path):
    """Two eventlet processes on a database and a Redis db made fresh for this test."""
    env = {
        "DATABASE_URL": fresh_postgres_database("intervisie_scale_test"),
        "INTERVISIE_MESSAGE_QUEUE": fresh_redis_db(),
    }
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
