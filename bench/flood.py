"""One flooding client next to a normal session, on a live server: does the normal session stay fast?

    .venv/bin/python bench/flood.py                       # every scenario, eventlet, this tree
    .venv/bin/python bench/flood.py --scenarios small,guess --mode threading
    .venv/bin/python bench/flood.py --app-dir /tmp/old    # a server from another tree (git archive)

Each scenario gets a fresh server (production defaults, SQLite in a temp
folder). A normal session (facilitator, case bringer, two participants, in the
question step) posts a question every 0.5 s and polls ``/healthz`` every
0.5 s, before and during the flood. Scenarios (issue 8, item 14):

- ``small``: a connection that never joins writes 10,000 frames ``42["ready:set",{}]`` at once;
- ``big``: 400 frames of 16,000 bytes each, at once;
- ``many``: 300 connections from one address, each sending 9 events a second
  (inside the per-connection limit);
- ``guess``: join-code guessing from one address: a fresh connection per
  ``session:join`` for half the time, ``GET /s/<code>`` for the other half.

Reported per scenario: the normal session's ack p50 / p95 / max (ms) during
the flood, ``/healthz`` max, the server's CPU seconds during the flood, what
the flooder got back (answers, refusals, whether it was disconnected), and
for ``guess`` the look-ups answered (a miss or a hit, not refused). A measuring tool: it asserts
nothing. Results: bench/FLOOD.md.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import socketio  # noqa: E402

from bench.rawsocket import RawSocketIO, event, frame  # noqa: E402
from tests.support import free_port, post_json, stop_process, wait_for_port  # noqa: E402

FLOOD_SECONDS = 8.0
GUESS_SECONDS = 30.0  # long enough to see the per-minute budget, not only its burst


class Server:
    """``python wsgi.py`` from ``app_dir`` on a free port, on a fresh SQLite database."""

    def __init__(self, app_dir: Path, mode: str, folder: Path, env: dict | None = None):
        self.port = free_port()
        self.log = folder / "server.log"
        environment = {
            **os.environ,
            "INTERVISIE_ASYNC_MODE": mode,
            "INTERVISIE_INSTANCE_PATH": str(folder),
            "INTERVISIE_PORT": str(self.port),
            "INTERVISIE_HOST": "127.0.0.1",
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        }
        environment.pop("DATABASE_URL", None)
        with open(self.log, "ab") as handle:
            self.proc = subprocess.Popen(
                [sys.executable, str(app_dir / "wsgi.py")],
                cwd=app_dir,
                env=environment,
                stdout=handle,
                stderr=handle,
            )
        wait_for_port(self.port, proc=self.proc)
        self.url = f"http://127.0.0.1:{self.port}"

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        stop_process(self.proc)


class NormalSession:
    """Four people in one session; one of them asks a question every 0.5 s and times the ack."""

    def __init__(self, url: str):
        self.url = url
        created = post_json(f"{url}/api/sessions", {"method_id": "vijf-fasen", "name": "Fien"})
        self.clients = []
        facilitator = self._client()
        facilitator.call("session:resume", {"token": created["token"]}, timeout=10)
        people = []
        for name in ("Ayla", "Bram", "Chen"):
            client = self._client()
            ack = client.call("session:join", {"code": created["code"], "name": name}, timeout=10)
            people.append((client, ack["snapshot"]["me"]["id"]))
        state = facilitator.call(
            "role:assign", {"participant_id": people[0][1], "role": "case_bringer"}, timeout=10
        )["state"]
        state = facilitator.call("session:start", {"control": state.get("control")}, timeout=10)["state"]
        facilitator.call("step:go", {"to": 2, "control": state.get("control")}, timeout=10)  # vragen
        self.poster = people[1][0]
        self.samples: list[tuple[float, float, str]] = []  # (time, ms, "ack" | "health" | error)
        self.stop = threading.Event()

    def _client(self) -> socketio.Client:
        client = socketio.Client(reconnection=False)
        client.connect(self.url, transports=["websocket"], wait_timeout=10)
        self.clients.append(client)
        return client

    def run(self) -> None:
        threading.Thread(target=self._health, daemon=True).start()
        while not self.stop.is_set():
            started = time.perf_counter()
            try:
                ack = self.poster.call(
                    "contribution:add",
                    {"client_id": uuid.uuid4().hex, "kind": "question", "text": "Wat maakt het lastig?"},
                    timeout=30,
                )
                kind = "ack" if ack.get("ok") else f"refused:{ack.get('error')}"
            except Exception as exc:  # noqa: BLE001 - a measuring tool records what happened
                kind = f"failed:{type(exc).__name__}"
            self.samples.append((time.monotonic(), (time.perf_counter() - started) * 1000, kind))
            self.stop.wait(0.5)

    def _health(self) -> None:
        while not self.stop.is_set():
            started = time.perf_counter()
            try:
                connection = http.client.HTTPConnection(
                    "127.0.0.1", int(self.url.rsplit(":", 1)[1]), timeout=30
                )
                connection.request("GET", "/healthz")
                connection.getresponse().read()
                connection.close()
                kind = "health"
            except Exception as exc:  # noqa: BLE001
                kind = f"health-failed:{type(exc).__name__}"
            self.samples.append((time.monotonic(), (time.perf_counter() - started) * 1000, kind))
            self.stop.wait(0.5)

    def close(self) -> None:
        self.stop.set()
        for client in self.clients:
            with contextlib.suppress(Exception):
                client.disconnect()


def _drain(raw: RawSocketIO, seconds: float) -> tuple[Counter, int | None]:
    """Read what the server sends for ``seconds``: answers by error code, and the close code if it closed."""
    answers: Counter = Counter()
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            raw.sock.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                text = raw.recv_text()
            except TimeoutError:
                break
            if text.startswith("43"):
                body = json.loads(text[text.index("[") :])[0]
                answers["ok" if body.get("ok") else body.get("error")] += 1
            elif text.startswith("41"):
                answers["disconnected"] += 1
    except (ConnectionError, OSError):
        return answers, raw.closed if raw.closed is not None else -1
    return answers, None


FLOODER = "127.0.0.2"  # another loopback address: the flooder is not the normal session's neighbour


def flood_frames(port: int, frames: bytes) -> dict:
    """Connect, write every frame at once, read until closed; again, until the flood's time is up."""
    rounds, answers, closes = 0, Counter(), Counter()
    end = time.monotonic() + FLOOD_SECONDS
    while time.monotonic() < end:
        try:
            raw = RawSocketIO(port, timeout=5, source=FLOODER).connect()
        except (ConnectionError, OSError, AssertionError) as exc:
            closes[f"connect failed: {type(exc).__name__}"] += 1
            time.sleep(0.1)
            continue
        rounds += 1
        with contextlib.suppress(OSError):
            raw.send_raw(frames)
        got, closed = _drain(raw, end - time.monotonic())
        answers.update(got)
        closes[str(closed if closed is not None else "still open")] += 1
        raw.close()
    return {"rounds": rounds, "answers": dict(answers), "closes": dict(closes)}


def scenario_small(port: int) -> dict:
    return flood_frames(port, b"".join(frame(event("ready:set", {}, i)) for i in range(10_000)))


def scenario_big(port: int) -> dict:
    pad = "x" * (16_000 - len(event("ready:set", {"x": ""}, 1000)))
    return flood_frames(port, b"".join(frame(event("ready:set", {"x": pad}, 1000 + i)) for i in range(400)))


def scenario_many(port: int) -> dict:
    sockets, refused = [], 0
    for _ in range(300):
        try:
            sockets.append(RawSocketIO(port, timeout=5, source=FLOODER).connect())
        except (ConnectionError, OSError, AssertionError):
            refused += 1
    for raw in sockets:
        raw.sock.setblocking(False)
    sent = 0
    end = time.monotonic() + FLOOD_SECONDS
    while time.monotonic() < end:
        tick = time.monotonic()
        for raw in sockets:
            with contextlib.suppress(OSError):
                raw.sock.send(frame(event("ready:set", {}, sent)))
                sent += 1
            with contextlib.suppress(OSError):
                while raw.sock.recv(65536):
                    pass
        time.sleep(max(0.0, 1 / 9 - (time.monotonic() - tick)))
    for raw in sockets:
        raw.close()
    return {"connected": len(sockets), "refused_connections": refused, "events_sent": sent}


def scenario_guess(port: int) -> dict:
    answers: Counter = Counter()
    half = GUESS_SECONDS / 2
    end = time.monotonic() + half
    while time.monotonic() < end:  # a fresh connection per guess dodges any per-connection limit
        try:
            raw = RawSocketIO(port, timeout=5, source=FLOODER).connect()
            code = "".join(random.choices("23456789ABCDEFGHJKMNPQRSTUVWXYZ", k=6))
            ack = raw.call("session:join", {"code": code, "name": "Robin"}, 1, timeout=5)
            answers["socket:" + ("ok" if ack.get("ok") else ack.get("error"))] += 1
            raw.close()
        except (ConnectionError, OSError, AssertionError, TimeoutError) as exc:
            answers[f"socket:{type(exc).__name__}"] += 1
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(FLOODER, 0))
    end = time.monotonic() + half
    while time.monotonic() < end:
        code = "".join(random.choices("23456789ABCDEFGHJKMNPQRSTUVWXYZ", k=6))
        connection.request("GET", f"/s/{code}")
        response = connection.getresponse()
        response.read()
        answers[f"http:{response.status}"] += 1
        if response.getheader("Connection") == "close":
            connection.close()
            connection = http.client.HTTPConnection(
                "127.0.0.1", port, timeout=10, source_address=(FLOODER, 0)
            )
    answered = {
        "socket": sum(n for k, n in answers.items() if k in ("socket:unknown_session", "socket:ok")),
        "http": sum(n for k, n in answers.items() if k in ("http:404", "http:200")),
        "seconds_each": half,
    }
    return {"answers": dict(answers), "lookups_answered": answered}


SCENARIOS = {"small": scenario_small, "big": scenario_big, "many": scenario_many, "guess": scenario_guess}


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def run(name: str, app_dir: Path, mode: str) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        server = Server(app_dir, mode, Path(folder))
        try:
            normal = NormalSession(server.url)
            worker = threading.Thread(target=normal.run, daemon=True)
            worker.start()
            time.sleep(2.0)  # a quiet baseline
            flood_start, cpu_start = time.monotonic(), server.cpu_seconds()
            flooder = SCENARIOS[name](server.port)
            flood_end, cpu_end = time.monotonic(), server.cpu_seconds()
            time.sleep(1.0)
            normal.close()
            worker.join(timeout=35)
            during = [
                (ms, kind) for t, ms, kind in normal.samples if flood_start <= t - ms / 1000 <= flood_end
            ]
            quiet = [ms for t, ms, kind in normal.samples if t < flood_start and kind == "ack"]
            acks = [ms for ms, kind in during if kind == "ack"]
            health = [ms for ms, kind in during if kind == "health"]
            problems = Counter(kind for _ms, kind in during if kind not in ("ack", "health"))
            errors = [
                line for line in server.log.read_text(errors="replace").splitlines() if "Traceback" in line
            ]
        finally:
            server.stop()
    return {
        "scenario": name,
        "mode": mode,
        "app_dir": str(app_dir),
        "flood_s": round(flood_end - flood_start, 1),
        "server_cpu_s": round(cpu_end - cpu_start, 2),
        "quiet_ack_p50_ms": round(percentile(quiet, 50), 1),
        "acks": len(acks),
        "ack_p50_ms": round(percentile(acks, 50), 1),
        "ack_p95_ms": round(percentile(acks, 95), 1),
        "ack_max_ms": round(max(acks), 1) if acks else None,
        "health_max_ms": round(max(health), 1) if health else None,
        "normal_problems": dict(problems),
        "server_tracebacks": len(errors),
        "flooder": flooder,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--mode", default="eventlet", choices=["eventlet", "threading"])
    parser.add_argument("--app-dir", type=Path, default=ROOT)
    parser.add_argument("--json", type=Path, help="append one JSON line per scenario")
    args = parser.parse_args()
    print("| scenario | server CPU s | ack p50 / p95 / max ms | /healthz max ms | flooder |")
    print("|---|---|---|---|---|")
    for name in args.scenarios.split(","):
        result = run(name, args.app_dir.resolve(), args.mode)
        if args.json:
            with open(args.json, "a") as out:
                out.write(json.dumps(result) + "\n")
        print(
            f"| {name} | {result['server_cpu_s']} | {result['ack_p50_ms']} / {result['ack_p95_ms']} / "
            f"{result['ack_max_ms']} ({result['acks']} acks) | {result['health_max_ms']} | "
            f"{json.dumps(result['flooder'])} {json.dumps(result['normal_problems']) if result['normal_problems'] else ''} |",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
