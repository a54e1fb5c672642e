"""A real server process on a loopback port, real python-socketio clients over WebSocket.

Covers what only a real transport shows: reconnecting after a dropped
connection and after a server restart, with nothing acknowledged lost and
the timer's deadline intact; time's up and presence driven by the server's
background work.
"""

from __future__ import annotations

import socket
import threading
import time
import uuid

import pytest
import socketio

from tests.conftest import CONTROLS
from tests.support import DROPPED_SOCKETS, LiveServer

pytestmark = [
    pytest.mark.live,
    # Killing a client's socket (a dropped network) leaves the client library's dead socket to
    # the garbage collector; that is the scenario under test, not a leak in the app.
    *DROPPED_SOCKETS,
]


class Client:
    """A participant's device: resumes with its token on every (re)connect, like the browser does."""

    def __init__(self, url: str):
        self.url = url
        self.io = socketio.Client(reconnection=True, reconnection_delay=0.2, reconnection_delay_max=0.5)
        self.token: str | None = None
        self.snapshot: dict | None = None
        self.events: list[tuple[str, dict]] = []
        self.resumed = threading.Event()
        self.io.on("connect", self._on_connect)
        for name in ("contribution:new", "session:state", "timer:expired"):
            self.io.on(name, lambda data, name=name: self.events.append((name, data)))

    def _on_connect(self):
        if self.token:
            threading.Thread(target=self._resume, daemon=True).start()

    def _resume(self):
        ack = self.io.call("session:resume", {"token": self.token}, timeout=10)
        assert ack["ok"], ack
        self.snapshot = ack["snapshot"]
        self.resumed.set()

    def connect(self) -> Client:
        self.io.connect(self.url, transports=["websocket"], wait_timeout=10)
        return self

    def call(self, event: str, **payload) -> dict:
        """Send and wait for the ack; a facilitator control acts on the newest state this client has."""
        if event in CONTROLS and "control" not in payload:
            payload["control"] = self.control()
        ack = self.io.call(event, payload, timeout=10)
        assert ack["ok"], (event, ack)
        return ack

    def control(self) -> int:
        """The ``control`` count of the newest state this client received (docs/protocol.md)."""
        states = [data for name, data in self.events if name == "session:state"]
        if self.snapshot is not None:
            states.insert(0, self.snapshot)
        return max(states, key=lambda s: s["version"])["control"]

    def join(self, code: str, name: str) -> Client:
        ack = self.call("session:join", code=code, name=name)
        self.token, self.snapshot = ack["token"], ack["snapshot"]
        return self

    def resume(self, token: str) -> Client:
        self.token = token
        self.snapshot = self.call("session:resume", token=token)["snapshot"]
        return self

    def wait_resumed(self, timeout: float = 20) -> dict:
        assert self.resumed.wait(timeout), "client did not come back"
        self.resumed.clear()
        return self.snapshot

    def wait_for(self, name: str, timeout: float = 15) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for event, data in self.events:
                if event == name:
                    return data
            time.sleep(0.05)
        raise AssertionError(f"no {name} within {timeout}s")

    def close(self):
        self.io.disconnect()


def started_session(server: LiveServer) -> tuple[Client, Client, dict]:
    created = server.create_session()
    facilitator = Client(server.url).connect().resume(created["token"])
    case_bringer = Client(server.url).connect().join(created["code"], "Ayla")
    facilitator.call("role:assign", participant_id=case_bringer.snapshot["me"]["id"], role="case_bringer")
    facilitator.call("session:start")
    return facilitator, case_bringer, created


@pytest.fixture(params=["eventlet", "threading"])
def server(request, tmp_path):
    live = LiveServer(
        tmp_path / "instance", mode=request.param, env={"INTERVISIE_PRESENCE_GRACE_SECONDS": "1"}
    )
    live.start()
    yield live
    live.stop()


def test_reconnect_after_a_dropped_connection(server):
    facilitator, case_bringer, created = started_session(server)
    participant = Client(server.url).connect().join(created["code"], "Bram")
    facilitator.call("step:go", to=2)
    acked = [participant.call("contribution:add", client_id=uuid.uuid4().hex, kind="question", text="Wat?")]
    # The network drops under the participant: no goodbye, the socket just dies.
    participant.io.eio.ws.sock.shutdown(socket.SHUT_RDWR)
    snapshot = participant.wait_resumed()
    assert [c["id"] for c in snapshot["contributions"]] == [acked[0]["contribution"]["id"]]
    # A send whose ack was lost is sent again with the same client id: stored once.
    client_id = uuid.uuid4().hex
    first = participant.call("contribution:add", client_id=client_id, kind="question", text="Hoe?")
    participant.io.eio.ws.sock.shutdown(socket.SHUT_RDWR)
    participant.wait_resumed()
    again = participant.call("contribution:add", client_id=client_id, kind="question", text="Hoe?")
    assert again["duplicate"] and again["contribution"]["id"] == first["contribution"]["id"]
    for client in (facilitator, case_bringer, participant):
        client.close()


def test_server_restart_loses_nothing_and_keeps_the_deadline(server):
    facilitator, case_bringer, created = started_session(server)
    participant = Client(server.url).connect().join(created["code"], "Bram")
    acked = {
        participant.call("contribution:add", client_id=uuid.uuid4().hex, kind="checkin", text=f"Regel {i}")[
            "contribution"
        ]["id"]
        for i in range(1)
    }
    facilitator.call("step:go", to=2)
    for i in range(5):
        ack = participant.call(
            "contribution:add", client_id=uuid.uuid4().hex, kind="question", text=f"Wat {i}?"
        )
        acked.add(ack["contribution"]["id"])
    deadline = facilitator.call("timer:control", action="start")["state"]["timer"]["deadline_ms"]

    server.kill()
    time.sleep(0.5)
    server.start()

    for client in (facilitator, case_bringer, participant):
        snapshot = client.wait_resumed()
        assert {c["id"] for c in snapshot["contributions"]} == acked
        assert snapshot["timer"]["state"] == "running"
        assert snapshot["timer"]["deadline_ms"] == deadline
        assert snapshot["session"]["step_index"] == 2
    # And the session goes on after the restart.
    after = participant.call(
        "contribution:add", client_id=uuid.uuid4().hex, kind="question", text="Hoe verder?"
    )
    assert after["contribution"]["step_id"] == "vragen"
    for client in (facilitator, case_bringer, participant):
        client.close()


def test_times_up_reaches_everyone_once(server):
    facilitator, case_bringer, _created = started_session(server)
    facilitator.call("timer:control", action="start")
    deadline = facilitator.call("timer:control", action="add", seconds=-298)["state"]["timer"]["deadline_ms"]
    expired = case_bringer.wait_for("timer:expired", timeout=10)
    assert expired["deadline_ms"] == deadline
    assert time.time() * 1000 >= deadline - 50
    time.sleep(1)
    assert sum(1 for name, _ in case_bringer.events if name == "timer:expired") == 1
    state = [data for name, data in case_bringer.events if name == "session:state"][-1]
    assert state["timer"]["state"] == "expired" and state["session"]["step_index"] == 0
    facilitator.close()
    case_bringer.close()


def test_presence_goes_away_after_the_grace_period(server):
    facilitator, case_bringer, _created = started_session(server)
    me = case_bringer.snapshot["me"]["id"]
    facilitator.events.clear()
    case_bringer.close()
    state = None
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        states = [d for n, d in facilitator.events if n == "session:state"]
        if states and {p["id"]: p["presence"] for p in states[-1]["participants"]}[me] == "away":
            state = states[-1]
            break
        time.sleep(0.1)
    assert state is not None, "never shown as away"
    facilitator.close()
