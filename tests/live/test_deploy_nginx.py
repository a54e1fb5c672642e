"""The nginx configuration in docs/deploy.md, run for real in front of two server processes.

The block between ``<!-- nginx-example:start -->`` and ``<!-- nginx-example:end -->``
is taken from the Markdown as it stands; only its ports and certificate paths
change. nginx listens with TLS on a free loopback port (not 443, the case that
broke: ``$host`` drops the port), in front of two eventlet processes sharing a
fresh PostgreSQL database and a Redis message queue.

Skipped when nginx is not installed (``./dev test`` installs it when it may);
in CI (``CI`` set) a missing nginx fails the test.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import socket
import ssl
import subprocess
import time
import uuid
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests
import segno
import socketio
from requests.adapters import HTTPAdapter

from tests.resources import REDIS_URL, fresh_postgres_database, fresh_redis_db
from tests.support import ROOT, LiveServer, free_port, stop_process, wait_for_port

pytestmark = pytest.mark.live

DOC = ROOT / "docs" / "deploy.md"
EXAMPLE = re.compile(r"<!-- nginx-example:start -->\s*```nginx\n(.*?)```\s*<!-- nginx-example:end -->", re.S)
# Our own Redis db: the scale-out test empties db 7 (or INTERVISIE_TEST_REDIS_URL's).
NGINX_REDIS_URL = urlunsplit(urlsplit(REDIS_URL)._replace(path="/8"))
# The test's own access log names the process that served each request.
LOG_FORMAT = "'$remote_addr $upstream_addr $status \"$request\"'"


def tool(name: str) -> str:
    """The path of a program the test needs; skip without it, fail in CI."""
    found = shutil.which(name) or next(
        (p for p in (f"/usr/sbin/{name}", f"/usr/bin/{name}") if os.access(p, os.X_OK)), None
    )
    if found:
        return found
    how = f"`./dev test` installs it when run as root with apt-get (the {name} package)"
    if os.environ.get("CI"):
        pytest.fail(f"CI needs {name} for the nginx deployment test: {how}")
    pytest.skip(f"{name} is not installed: {how}")


def documented_config() -> str:
    found = EXAMPLE.findall(DOC.read_text(encoding="utf-8"))
    assert len(found) == 1, "docs/deploy.md needs exactly one nginx-example block"
    return found[0]


def render(config: str, changes: dict[str, str]) -> str:
    """The documented config with only its ports and paths replaced, each exactly once."""
    for documented, ours in changes.items():
        assert config.count(documented) == 1, f"docs/deploy.md's nginx block no longer has {documented!r}"
        config = config.replace(documented, ours)
    return config


def nginx_in_front(folder: Path, config: str, servers: list, cert: Path, key: Path) -> tuple[Nginx, int]:
    """nginx with ``config`` on a free loopback port, its upstreams 127.0.0.1:5001, 5002, ... pointed
    at ``servers`` and its TLS files at ``cert`` and ``key``; returns it started, and its port."""
    port = free_port()
    upstreams = {f"server 127.0.0.1:500{i + 1}": f"server 127.0.0.1:{s.port}" for i, s in enumerate(servers)}
    block = render(
        config,
        {
            "listen 443 ssl;": f"listen 127.0.0.1:{port} ssl;",
            "/etc/ssl/intervisie/fullchain.pem": str(cert),
            "/etc/ssl/intervisie/privkey.pem": str(key),
            **upstreams,
        },
    )
    return Nginx(folder, block).start(port), port


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [tool("openssl"), "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
        + ["-nodes", "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]
        + ["-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    return cert, key


class Nginx:
    """nginx in the foreground with its own prefix, pid file, logs and temp folders."""

    def __init__(self, folder: Path, server_block: str):
        self.folder = folder
        self.access_log = folder / "access.log"
        self.error_log = folder / "error.log"
        (folder / "intervisie.conf").write_text(server_block)
        temp = "\n".join(
            f"    {kind}_temp_path {folder / kind};"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        # As root, workers would switch to "nobody", who cannot enter pytest's private folders.
        user = "user root;\n" if os.geteuid() == 0 else ""
        (folder / "nginx.conf").write_text(
            f"{user}worker_processes 1;\npid {folder / 'nginx.pid'};\nerror_log {self.error_log} notice;\n"
            "events { worker_connections 256; }\n"
            "http {\n"
            f"    log_format upstreams {LOG_FORMAT};\n    access_log {self.access_log} upstreams;\n{temp}\n"
            f"    include {folder / 'intervisie.conf'};\n}}\n"
        )
        self.proc: subprocess.Popen | None = None

    def start(self, port: int) -> Nginx:
        command = [tool("nginx"), "-p", str(self.folder), "-c", str(self.folder / "nginx.conf")]
        command += ["-e", str(self.error_log)]
        checked = subprocess.run([*command, "-t"], capture_output=True, text=True)
        assert checked.returncode == 0, f"nginx -t refuses the documented config:\n{checked.stderr}"
        self.proc = subprocess.Popen([*command, "-g", "daemon off;"], stderr=subprocess.DEVNULL)
        try:
            wait_for_port(port, timeout=10, proc=self.proc)
        except Exception as exc:
            raise RuntimeError(f"{exc}\n--- nginx error log ---\n{self.errors()}") from None
        return self

    def stop(self) -> None:
        if self.proc:
            stop_process(self.proc)
        self.proc = None

    def errors(self) -> str:
        return self.error_log.read_text(errors="replace") if self.error_log.exists() else ""

    def requests(self, since: int = 0) -> list[tuple[str, str, str, str]]:
        """(client address, process address, status, request line) of each finished request."""
        lines = self.access_log.read_text().splitlines() if self.access_log.exists() else []
        return [tuple(re.match(r'(\S+) (\S+) (\d+) "(.*)"', line).groups()) for line in lines[since:]]


class Stack:
    """nginx at ``public`` (TLS, certificate ``ca``) in front of the app processes ``servers``."""

    def __init__(self, nginx: Nginx, port: int, ca: Path, servers: list[LiveServer]):
        self.nginx, self.port, self.ca, self.servers = nginx, port, ca, servers
        self.public = f"https://127.0.0.1:{port}"

    def logs(self) -> str:
        parts = [f"--- nginx error log ---\n{self.nginx.errors()}"]
        parts += [f"--- {s.log.name} ---\n{s.log.read_text(errors='replace')[-3000:]}" for s in self.servers]
        return "\n".join(parts)


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """nginx with the documented config, in front of two processes on PostgreSQL + Redis."""
    tool("nginx")
    folder = tmp_path_factory.mktemp("nginx")
    env = {
        "DATABASE_URL": fresh_postgres_database("intervisie_nginx_test"),
        "INTERVISIE_MESSAGE_QUEUE": fresh_redis_db(NGINX_REDIS_URL),
        "INTERVISIE_BEHIND_PROXY": "1",
    }
    cert, key = self_signed_certificate(folder)
    servers = []
    nginx = None
    try:
        for i in (1, 2):
            servers.append(LiveServer(folder / f"instance{i}", env=env).start())
        nginx, port = nginx_in_front(folder, documented_config(), servers, cert, key)
        yield Stack(nginx, port, cert, servers)
    finally:
        if nginx:
            nginx.stop()
        for server in servers:
            server.stop()


class SourceAddress(HTTPAdapter):
    """Requests from one loopback address: nginx's ip_hash sees a different client."""

    def __init__(self, source: str):
        self.source = source
        super().__init__()

    def init_poolmanager(self, connections, maxsize, block=False, **pool_kwargs):
        super().init_poolmanager(connections, maxsize, block, source_address=(self.source, 0), **pool_kwargs)


class Device:
    """A browser on one client address: HTTPS and Socket.IO through nginx only, sending its Origin."""

    def __init__(self, stack: Stack, source: str = "127.0.0.1"):
        self.stack, self.source = stack, source
        self.http = requests.Session()
        self.http.trust_env = False  # REQUESTS_CA_BUNDLE would replace our certificate, proxies our route
        self.http.verify = str(stack.ca)
        self.http.mount("https://", SourceAddress(source))
        # The Origin header goes with every request, as a browser's; websocket-client must not add a second.
        self.io = socketio.Client(
            reconnection=False, http_session=self.http, websocket_extra_options={"suppress_origin": True}
        )
        self.events: list[tuple[str, dict]] = []
        for name in ("contribution:new", "session:state"):
            self.io.on(name, lambda data, name=name: self.events.append((name, data)))
        self.token: str | None = None
        self.snapshot: dict | None = None

    def _tls_socket(self) -> ssl.SSLSocket:
        raw = socket.create_connection(
            ("127.0.0.1", self.stack.port), timeout=10, source_address=(self.source, 0)
        )
        context = ssl.create_default_context(cafile=str(self.stack.ca))
        return context.wrap_socket(raw, server_hostname="127.0.0.1")

    def connect(self, transports: list[str]) -> Device:
        if "websocket" in transports:
            # A socket of our own, so the WebSocket too leaves from this device's address.
            self.io.eio.websocket_extra_options["socket"] = self._tls_socket()
        try:
            self.io.connect(
                self.stack.public,
                transports=transports,
                headers={"Origin": self.stack.public},
                wait_timeout=10,
            )
        except socketio.exceptions.ConnectionError as exc:
            self.close()
            pytest.fail(f"Socket.IO through nginx failed ({transports}): {exc}\n{self.stack.logs()}")
        return self

    def call(self, event: str, **payload) -> dict:
        ack = self.io.call(event, payload, timeout=10)
        assert ack["ok"], (event, ack)
        return ack

    def join(self, code: str, name: str) -> Device:
        ack = self.call("session:join", code=code, name=name)
        self.token, self.snapshot = ack["token"], ack["snapshot"]
        return self

    def resume(self, token: str) -> Device:
        self.token = token
        self.snapshot = self.call("session:resume", token=token)["snapshot"]
        return self

    def wait_for(self, name: str, match=lambda data: True, timeout: float = 10) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for event, data in list(self.events):
                if event == name and match(data):
                    return data
            time.sleep(0.05)
        raise AssertionError(f"{self.source}: no matching {name} within {timeout}s")

    def create_session(self) -> dict:
        response = self.http.post(
            f"{self.stack.public}/api/sessions", json={"method_id": "vijf-fasen", "name": "Fien"}, timeout=10
        )
        assert response.status_code == 201, response.text
        return response.json()

    def close(self) -> None:
        self.io.disconnect()
        unused = self.io.eio.websocket_extra_options.pop("socket", None)
        if unused is not None:  # a refused handshake leaves it open
            unused.close()
        self.http.close()


@pytest.fixture
def device(stack):
    """Makes browsers at a client address; closes them after the test, passed or not."""
    made: list[Device] = []

    def make(source: str = "127.0.0.1") -> Device:
        made.append(Device(stack, source))
        return made[-1]

    yield make
    for one in made:
        one.close()


def has_person(name: str):
    return lambda state: name in {p["name"] for p in state.get("participants", [])}


def play_check_in(facilitator: Device, case_bringer: Device, created: dict) -> None:
    """Join, start, and one check-in each way: every broadcast must cross the proxy."""
    case_bringer.join(created["code"], "Ayla")
    facilitator.wait_for("session:state", has_person("Ayla"))
    me = case_bringer.snapshot["me"]["id"]
    state = facilitator.call("role:assign", participant_id=me, role="case_bringer")["state"]
    facilitator.call("session:start", control=state.get("control"))  # the state it acts on
    for author, reader, text in ((case_bringer, facilitator, "Goed"), (facilitator, case_bringer, "Moe")):
        sent = author.call("contribution:add", client_id=uuid.uuid4().hex, kind="checkin", text=text)
        received = reader.wait_for("contribution:new", lambda c, i=sent["contribution"]["id"]: c["id"] == i)
        assert received["text"] == text


def test_links_and_qr_code_carry_the_public_address_with_its_port(stack, device):
    browser = device()
    created = browser.create_session()
    join = f"{stack.public}/s/{created['code']}"
    assert created["join_url"] == join
    assert created["facilitator_url"].startswith(f"{join}/facilitator#key=")
    assert created["screen_url"].startswith(f"{join}/screen#key=")
    assert browser.http.get(join, timeout=10).status_code == 200

    qr = browser.http.get(f"{join}/qr.svg", timeout=10)
    assert qr.status_code == 200
    expected = io.BytesIO()  # drawn as views.qr_code draws it, for the public link
    segno.make(join, error="m").save(expected, kind="svg", scale=8, border=2, dark="#000", light="#fff")
    assert qr.content == expected.getvalue(), "the QR code does not point at the public join link"


def settled_transport(client: Device, transports: list[str], timeout: float = 10) -> str:
    """The transport in use, once an upgrade from long-polling to WebSocket has had its chance."""
    deadline = time.monotonic() + timeout
    while "websocket" in transports and client.io.transport() != "websocket" and time.monotonic() < deadline:
        time.sleep(0.05)
    return client.io.transport()


def logged(stack: Stack, since: int, enough, timeout: float = 5) -> list[tuple[str, str, str, str]]:
    """nginx's log lines after ``since``, once ``enough(lines)``: it logs a request when it has finished."""
    deadline = time.monotonic() + timeout
    lines = stack.nginx.requests(since)
    while not enough(lines) and time.monotonic() < deadline:
        time.sleep(0.1)
        lines = stack.nginx.requests(since)
    return lines


def upgrades_from(*clients: str):
    """A test of log lines: a finished WebSocket (101 on /socket.io/) from each client address."""
    return lambda lines: all(
        any(r[0] == client and r[2] == "101" and "/socket.io/" in r[3] for r in lines) for client in clients
    )


@pytest.mark.parametrize(
    "transports",
    [["websocket"], ["polling"], ["polling", "websocket"]],
    ids=["websocket", "polling", "upgrade"],
)
def test_live_updates_through_nginx(stack, device, transports):
    since = len(stack.nginx.requests())
    facilitator, case_bringer = device(), device()
    created = facilitator.create_session()
    facilitator.connect(transports).resume(created["token"])
    case_bringer.connect(transports)
    play_check_in(facilitator, case_bringer, created)
    assert (
        settled_transport(facilitator, transports)
        == settled_transport(case_bringer, transports)
        == transports[-1]
    )
    facilitator.close()
    case_bringer.close()
    if "websocket" in transports:
        upgrades = [r for r in logged(stack, since, upgrades_from("127.0.0.1")) if r[2] == "101"]
        assert len(upgrades) == 2, stack.nginx.requests(since)


def logged_process(stack: Stack, probe: str) -> str:
    """The app process nginx's access log names for the request holding ``probe`` (the line may lag)."""
    deadline = time.monotonic() + 5
    while True:
        found = [r[1] for r in stack.nginx.requests() if probe in r[3]]
        if found or time.monotonic() > deadline:
            assert found, f"nginx logged no request with {probe}"
            return found[-1]
        time.sleep(0.05)


def sources_on_different_processes(stack: Stack) -> tuple[str, str]:
    """Two loopback client addresses that nginx's ip_hash sends to different processes."""
    seen: dict[str, str] = {}
    for octet in range(32):
        source = f"127.0.{octet}.1"
        probe = uuid.uuid4().hex
        with requests.Session() as http:
            http.trust_env = False
            http.verify = str(stack.ca)
            http.mount("https://", SourceAddress(source))
            assert http.get(f"{stack.public}/healthz?probe={probe}", timeout=10).status_code == 200
        process = logged_process(stack, probe)
        seen.setdefault(process, source)
        if len(seen) == 2:
            return tuple(seen.values())
    raise AssertionError(f"ip_hash sent 32 client addresses to one process: {seen}")


def test_two_processes_behind_ip_hash(stack, device):
    """Each client stays on its process (long-polling needs it); broadcasts cross between processes."""
    source_one, source_two = sources_on_different_processes(stack)
    since = len(stack.nginx.requests())
    facilitator, case_bringer = device(source_one), device(source_two)
    created = facilitator.create_session()
    facilitator.connect(["polling"]).resume(created["token"])
    case_bringer.connect(["polling", "websocket"])
    play_check_in(facilitator, case_bringer, created)
    assert settled_transport(case_bringer, ["polling", "websocket"]) == "websocket"
    facilitator.close()
    case_bringer.close()

    processes, count = defaultdict(set), defaultdict(int)
    for client, process, _, request in logged(stack, since, upgrades_from(source_two)):
        if "/socket.io/" in request:
            processes[client].add(process)
            count[client] += 1
    assert len(processes[source_one]) == len(processes[source_two]) == 1, processes
    assert processes[source_one] != processes[source_two], processes
    assert count[source_one] >= 3, count  # long-polling: many requests, every one to the same process
