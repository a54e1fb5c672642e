"""The transport under hostile and unusual input, on a real server in both async modes.

- The message size limit holds for the whole message, however it is framed
  (raw WebSocket frames: FIN=0 and continuation frames).
- The largest valid payload fits in its worst encoding (a client whose JSON
  escapes every non-ASCII character).
- What no decoder can read still gets an answer when it asks for one.
- A flooding connection is cut off while another session's acknowledgements
  stay fast; guessing join codes from one address is cut off, over Socket.IO
  and HTTP alike.
"""

from __future__ import annotations

import contextlib
import json
import statistics
import time
import urllib.error
import urllib.request

import pytest
import socketio

from bench.rawsocket import CONTINUATION, TEXT, RawSocketIO, event, frame
from intervisie.config import Config
from tests.support import DROPPED_SOCKETS, LiveServer

pytestmark = [
    pytest.mark.live,
    *DROPPED_SOCKETS,
]

LIMIT = Config.MAX_MESSAGE_BYTES


@pytest.fixture(scope="module", params=["eventlet", "threading"])
def server(request, tmp_path_factory):
    live = LiveServer(tmp_path_factory.mktemp(request.param), mode=request.param).start()
    yield live
    live.stop()


class Client:
    """A python-socketio client over WebSocket; its JSON escapes everything but ASCII (``ensure_ascii``)."""

    def __init__(self, url: str):
        self.io = socketio.Client(reconnection=False)
        self.io.connect(url, transports=["websocket"], wait_timeout=10)

    def call(self, event_name: str, **payload) -> dict:
        return self.io.call(event_name, payload, timeout=10)

    def ok(self, event_name: str, **payload) -> dict:
        ack = self.call(event_name, **payload)
        assert ack["ok"], (event_name, ack)
        return ack


def test_python_socketio_escapes_non_ascii():
    """The premise of the worst case: this client sends an emoji as 12 bytes."""
    assert socketio.packet.Packet.json.dumps("😀") == '"\\ud83d\\ude00"'


def test_largest_valid_action_fits_in_its_worst_encoding(server):
    created = server.create_session()
    facilitator = Client(server.url)
    bringer = Client(server.url)
    try:
        facilitator.ok("session:resume", token=created["token"])
        me = bringer.ok("session:join", code=created["code"], name="Ayla")["snapshot"]["me"]
        state = facilitator.ok("role:assign", participant_id=me["id"], role="case_bringer")["state"]
        state = facilitator.ok("session:start", control=state.get("control"))["state"]
        facilitator.ok("step:go", to=6, control=state.get("control"))  # opbrengst: actions
        text, detail = "😀" * Config.MAX_TEXT_LENGTH, "🌻" * Config.MAX_DETAIL_LENGTH
        payload = {
            "client_id": "a" * 64,
            "kind": "action",
            "text": text,
            "details": {"who": detail, "when": detail, "measure": detail},
        }
        size = len(event("contribution:add", payload, 999).encode("ascii"))
        assert LIMIT - 1024 < size <= LIMIT
        ack = bringer.call("contribution:add", **payload)
        assert ack["ok"], ack
        assert ack["contribution"]["text"] == text
    finally:
        facilitator.io.disconnect()
        bringer.io.disconnect()


def _send_quietly(raw: RawSocketIO, data: bytes) -> None:
    with contextlib.suppress(OSError):  # the server may close while we are still writing: that is the point
        raw.send_raw(data)


def test_fragmented_message_over_the_limit_is_closed_with_1009(server):
    raw = RawSocketIO(server.port).connect()
    try:
        piece = "x" * 8000
        _send_quietly(raw, frame('42["ready:set",{"x":"' + piece, TEXT, fin=False))
        for _ in range(40):  # 320 KB in continuation frames, ten times the limit, never finished
            _send_quietly(raw, frame(piece, CONTINUATION, fin=False))
        assert raw.wait_closed(timeout=5) == 1009
    finally:
        raw.close()


def test_one_frame_over_the_limit_is_closed(server):
    raw = RawSocketIO(server.port).connect()
    try:
        _send_quietly(raw, frame(event("ready:set", {"x": "x" * LIMIT}, 1)))
        assert raw.wait_closed(timeout=5) in (1009, None)
    finally:
        raw.close()


def test_fragmented_message_under_the_limit_is_read_and_answered(server):
    raw = RawSocketIO(server.port).connect()
    try:
        packet = event("ready:set", {"ready": True, "pad": "p" * 20_000}, 7)
        third = len(packet) // 3
        raw.send_raw(frame(packet[:third], TEXT, fin=False))
        raw.send_raw(frame(packet[third : 2 * third], CONTINUATION, fin=False))
        raw.send_raw(frame(packet[2 * third :], CONTINUATION, fin=True))
        assert raw.ack(7)["error"] == "not_joined"
    finally:
        raw.close()


@pytest.mark.parametrize(
    "packet",
    [
        '4211["step:go",{"to":' + "1" * 101 + "}]",  # python-engineio's JSON refuses over 100 digits
        '4211["step:go",{"to":',  # not JSON at all
        '4211{"to":1}',  # not a list
        "4211[]",  # no event name
        "4211[42]",  # an event name that is not a string
        '4211["no:such:event",{}]',
        '4211["ready:set",{},{}]',  # two arguments
        '451-11["ready:set",{"_placeholder":true,"num":0}]',  # binary attachments: none in this protocol
        '4211["disconnect"]',  # the server's own events are not the client's to send
        '4211["connect",{}]',
        '4211["connect_error",{}]',
    ],
)
def test_unreadable_event_is_answered_bad_request(server, packet):
    raw = RawSocketIO(server.port).connect()
    try:
        raw.send(packet)
        ack = raw.ack(11, timeout=5)
        assert ack["ok"] is False and ack["error"] == "bad_request" and ack["message"]
        assert raw.call("ready:set", {"ready": True}, 12)["error"] == "not_joined"  # still connected
    finally:
        raw.close()


# --- one client, one address: no more than its share ------------------------------------------------


def _ack_times(client: Client, seconds: float) -> list[float]:
    """Set the language for ``seconds`` at 5 a second; the time each acknowledgement took (ms)."""
    times = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        started = time.perf_counter()
        ack = client.call("language:set", lang="nl")
        times.append((time.perf_counter() - started) * 1000)
        assert ack["ok"], ack
        time.sleep(0.2)
    return times


def test_flooding_connection_is_cut_off_and_others_stay_fast(server):
    created = server.create_session()
    normal = Client(server.url)
    raw = RawSocketIO(server.port).connect()
    try:
        normal.ok("session:resume", token=created["token"])
        # 10,000 small events in one write, as fast as the kernel takes them, from a connection that never joined.
        _send_quietly(raw, b"".join(frame('42["ready:set",{}]') for _ in range(10_000)))
        closed = raw.wait_closed(timeout=10)
        assert closed in (1000, 1005, None)  # engine.io closes it; no 1009 here, every frame was small
        times = _ack_times(normal, 2.0)
        assert statistics.quantiles(times, n=20)[-1] < 200, times
    finally:
        normal.io.disconnect()
        raw.close()


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.fixture
def strict_server(tmp_path):
    """A server with a small look-up budget per address, so guessing runs out within the test."""
    live = LiveServer(tmp_path / "strict", env={"INTERVISIE_LOOKUPS_PER_ADDRESS_PER_MINUTE": "20"}).start()
    yield live
    live.stop()


def test_guessing_join_codes_from_one_address_is_cut_off(strict_server):
    created = strict_server.create_session()
    statuses = [_status(f"{strict_server.url}/s/ZZZZZ{c}") for c in "23456789AB"]
    assert set(statuses) == {404}
    # Reconnecting for a fresh connection does not help: the budget is the address's.
    answers = []
    for i in range(12):
        client = Client(strict_server.url)
        answers.append(client.call("session:join", code=f"ZZZZ{i:02d}", name="Robin")["error"])
        client.io.disconnect()
    assert answers[:8] == ["unknown_session"] * 8 and set(answers[10:]) == {"rate_limited"}, answers
    # A hit is no longer told from a miss: the right code is refused as well, in the visitor's language.
    request = urllib.request.Request(
        f"{strict_server.url}/s/{created['code']}", headers={"Accept-Language": "en"}
    )
    try:
        urllib.request.urlopen(request, timeout=10)
        raise AssertionError("a look-up over the budget was answered")
    except urllib.error.HTTPError as error:
        assert error.code == 429 and "Please wait" in error.read().decode()
    api = _status(f"{strict_server.url}/api/sessions/{created['code']}/record.json")
    assert api == 429


def test_connections_per_address_are_capped(tmp_path):
    live = LiveServer(tmp_path / "cap", env={"INTERVISIE_CONNECTIONS_PER_ADDRESS": "3"}).start()
    opened = []
    try:
        for _ in range(3):
            opened.append(RawSocketIO(live.port).connect())
        with pytest.raises((ConnectionError, OSError, AssertionError)):
            RawSocketIO(live.port).connect()
        opened.pop().close()
        time.sleep(0.5)
        opened.append(RawSocketIO(live.port).connect())  # a closed connection frees its place
    finally:
        for raw in opened:
            raw.close()
        live.stop()


def test_huge_integer_in_json_does_not_hang_the_decoder(server):
    """An integer of 5,000 digits is past Python's int max-str-digits; it is refused, not a crash."""
    raw = RawSocketIO(server.port).connect()
    try:
        raw.send('4213["step:go",{"to":' + "9" * 5000 + "}]")
        assert raw.ack(13, timeout=5)["error"] == "bad_request"
    finally:
        raw.close()


def test_polling_post_over_the_limit_is_refused(server):
    with urllib.request.urlopen(f"{server.url}/socket.io/?EIO=4&transport=polling", timeout=10) as response:
        sid = json.loads(response.read().decode()[1:])["sid"]
    body = ("42" + json.dumps(["ready:set", {"x": "x" * LIMIT}])).encode()
    request = urllib.request.Request(
        f"{server.url}/socket.io/?EIO=4&transport=polling&sid={sid}", data=body, method="POST"
    )
    assert _status_of(request) == 413


def _status_of(request) -> int:
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_behind_a_proxy_the_address_is_the_forwarded_one(tmp_path):
    """With INTERVISIE_BEHIND_PROXY, live connections are counted by X-Forwarded-For, as HTTP requests are."""
    env = {"INTERVISIE_BEHIND_PROXY": "1", "INTERVISIE_LOOKUPS_PER_ADDRESS_PER_MINUTE": "3"}
    live = LiveServer(tmp_path / "proxied", env=env).start()
    try:

        def join_from(address: str) -> str:
            raw = RawSocketIO(live.port, headers={"X-Forwarded-For": address}).connect()
            try:
                return raw.call("session:join", {"code": "ZZZZZZ", "name": "Robin"}, 1)["error"]
            finally:
                raw.close()

        assert [join_from("198.51.100.7") for _ in range(4)] == ["unknown_session"] * 3 + ["rate_limited"]
        assert join_from("198.51.100.8") == "unknown_session"  # someone else behind the same proxy
    finally:
        live.stop()


def test_a_connect_over_the_address_budget_gets_connect_error(tmp_path):
    env = {"INTERVISIE_ADDRESS_EVENTS_PER_SECOND": "0.001", "INTERVISIE_ADDRESS_EVENT_BURST": "2"}
    live = LiveServer(tmp_path / "budget", env=env).start()
    opened = []
    try:
        opened += [RawSocketIO(live.port).connect(), RawSocketIO(live.port).connect()]
        raw = RawSocketIO(live.port)
        opened.append(raw)
        assert raw.recv_text().startswith("0")  # engine.io open
        raw.send("40")
        answer = raw.recv_text()
        assert answer.startswith("44") and "rate_limited" in answer  # not silence: the client can retry later
    finally:
        for each in opened:
            each.close()
        live.stop()


def test_a_client_sent_disconnect_event_does_not_escape_removal(server):
    """A fake ``disconnect`` event once dropped the connection's row while the socket stayed in its rooms."""
    created = server.create_session()
    facilitator = socketio.Client()
    facilitator.connect(server.url, transports=["websocket"])
    state = facilitator.call("session:resume", {"token": created["token"]}, timeout=10)["snapshot"]
    raw = RawSocketIO(server.port).connect()
    try:
        kim = raw.call("session:join", {"code": created["code"], "name": "Kim"}, 1)["snapshot"]["me"]["id"]
        raw.send('42["disconnect"]')
        raw.send(event("ready:set", {"ready": True}, 2))
        assert raw.ack(2)["error"] == "not_started"  # still bound: the fake event changed nothing
        removed = facilitator.call(
            "participant:remove", {"participant_id": kim, "control": state["control"]}, timeout=10
        )
        assert removed["ok"], removed
        raw.wait_closed(timeout=10)  # removal closes the socket (TimeoutError if it stays open)
    finally:
        raw.close()
        facilitator.disconnect()
