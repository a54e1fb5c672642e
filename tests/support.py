"""Helpers shared by the live-server, browser and benchmark-smoke tests."""

from __future__ import annotations

import contextlib
import copy
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from intervisie.methods import MethodError

ROOT = Path(__file__).resolve().parent.parent


# Per-address limits (intervisie/limits.py) for a server that many test clients share from 127.0.0.1:
# a real address holds a classroom, not a whole test suite or a 125-room benchmark.
MANY_PEOPLE_ONE_ADDRESS = {
    "INTERVISIE_CONNECTIONS_PER_ADDRESS": "100000",
    "INTERVISIE_ADDRESS_EVENTS_PER_SECOND": "100000",
    "INTERVISIE_ADDRESS_EVENT_BURST": "100000",
    "INTERVISIE_LOOKUPS_PER_ADDRESS_PER_MINUTE": "100000",
    "INTERVISIE_CREATIONS_PER_ADDRESS_PER_MINUTE": "100000",
}


# For modules that drop connections on purpose (a killed socket is a lost network): the client
# library's dead sockets are tolerated there, and collected before the test ends, so that the
# garbage collector cannot report them later in an unrelated test.
DROPPED_SOCKETS = [
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.usefixtures("dead_sockets_collected"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 20.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited early with code {proc.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listening on port {port}")


def stop_process(proc: subprocess.Popen) -> None:
    """Ask a server process to stop; kill it if it has not within ten seconds."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def parse_error(parse, document: dict, change) -> MethodError:
    """The MethodError ``parse(document, "broken.yaml")`` raises once ``change`` has altered a copy of it."""
    broken = copy.deepcopy(document)
    change(broken)
    with pytest.raises(MethodError) as caught:
        parse(broken, "broken.yaml")
    return caught.value


class LiveServer:
    """A real Intervisie server process (``python wsgi.py``) on a loopback port."""

    def __init__(
        self, instance: Path, mode: str = "eventlet", port: int | None = None, env: dict | None = None
    ):
        self.instance, self.mode = Path(instance), mode
        self.port = port or free_port()
        self.extra_env = env or {}
        self.proc: subprocess.Popen | None = None
        self.log = self.instance / f"server-{self.port}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LiveServer:
        self.instance.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            "INTERVISIE_ASYNC_MODE": self.mode,
            "INTERVISIE_INSTANCE_PATH": str(self.instance),
            "INTERVISIE_PORT": str(self.port),
            "INTERVISIE_HOST": "127.0.0.1",
            "PYTHONUNBUFFERED": "1",
            # No back-pressure: a loaded test machine must not turn events into "busy" answers.
            # The tests of back-pressure, and the sample deployment, set it themselves.
            "INTERVISIE_BUSY_LAG_MS": "0",
            # The privacy guard's worker (deduce: ~1 GB, seconds of loading) only where a test asks for it.
            "INTERVISIE_PRIVACY_GUARD": "0",
            **self.extra_env,
        }
        if "DATABASE_URL" not in self.extra_env and os.environ.get("INTERVISIE_TEST_DATABASE_URL"):
            env["DATABASE_URL"] = os.environ["INTERVISIE_TEST_DATABASE_URL"]
        with open(self.log, "ab") as handle:
            self.proc = subprocess.Popen(
                [sys.executable, str(ROOT / "wsgi.py")], cwd=ROOT, env=env, stdout=handle, stderr=handle
            )
        try:
            wait_for_port(self.port, timeout=60, proc=self.proc)  # a busy machine builds the app slowly
        except Exception as exc:
            raise RuntimeError(f"{exc}\n--- server log ---\n{self.log.read_text(errors='replace')}") from None
        return self

    def stop(self) -> None:
        if self.proc:
            stop_process(self.proc)
        self.proc = None

    def kill(self) -> None:
        """Stop without any chance to clean up, as a crash would."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def create_session(self, name: str = "Fien", method_id: str = "vijf-fasen", **extra) -> dict:
        extra.setdefault("auto_start_timer", False)  # the facilitator starts each timer, unless asked
        return post_json(f"{self.url}/api/sessions", {"method_id": method_id, "name": name, **extra})


def post_json(url: str, payload: dict) -> dict:
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())
