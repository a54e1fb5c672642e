"""No single client or address takes more than its share of the server.

Token buckets, kept in memory, per process:

- **per connection**: every Socket.IO packet (``EVENTS_PER_SECOND``, bursts of
  ``EVENT_BURST``);
- **per address**: open connections (``CONNECTIONS_PER_ADDRESS``), packets of all
  its connections together (``ADDRESS_EVENTS_PER_SECOND`` / ``ADDRESS_EVENT_BURST``),
  and look-ups of a join code, over Socket.IO (``session:join``, ``session:watch``,
  ``session:claim``, ``session:resume``) and HTTP (every page or API path with a
  code) alike (``LOOKUPS_PER_ADDRESS_PER_MINUTE``);
- **per connection**, besides its packets: readings of a text being written
  (``writing:check``, ``WRITING_CHECKS_PER_CONNECTION_PER_MINUTE``);
- **per session**: the packets of everyone in it (``SESSION_EVENTS_PER_SECOND`` /
  ``SESSION_EVENT_BURST``), so one busy session cannot starve the others;
- **per process** (back-pressure, :class:`Pressure`): while the event loop runs
  more than ``BUSY_LAG_MS`` behind, new work is refused as ``busy`` (the client
  keeps it and retries later), so the work the process accepts is served in time
  instead of queueing until clients drop.

The packet checks run in :class:`Guard`, before python-socketio decodes the
packet's JSON or Flask builds a request context: a refusal costs a dictionary
look-up and a short acknowledgement (``rate_limited``, in the language the
connection last used, kept in memory), never database work. A connection
refused far beyond its budget (``FLOOD_STRIKES`` refusals not worn off by time)
is disconnected; an address whose connections were disconnected for flooding
``FLOOD_CUTS_PER_ADDRESS_PER_MINUTE`` times opens no new ones until that wears off. The address is ``REMOTE_ADDR`` of the request that opened the
connection (``request.remote_addr`` over HTTP); behind a proxy ``ProxyFix`` sets
it from ``X-Forwarded-For`` (``INTERVISIE_BEHIND_PROXY``).
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading
import time
from collections.abc import Callable

from socketio import packet as sio_packet

from .i18n import translate

OK, REFUSE, CUT = "ok", "refuse", "cut"

# The acknowledgement id (and namespace) of an event packet, read without decoding its JSON.
_EVENT_HEADER = re.compile(r"[25](?:\d{1,10}-)?(/[^,]{0,100},)?(\d{1,100})")


class TokenBuckets:
    """A token bucket per key: ``rate`` tokens a second up to ``burst``; one token per request.

    Each refusal adds a strike; strikes wear off at ``rate`` a second. Past
    ``strikes`` of them the key is far over its budget (:data:`CUT`).
    """

    def __init__(self, rate: float, burst: float, strikes: float | None = None):
        self.rate, self.burst = float(rate), float(burst)
        self.strikes = 3 * self.burst if strikes is None else float(strikes)
        self.buckets: dict[object, list[float]] = {}  # key -> [tokens, last, strikes]
        self.lock = threading.Lock()

    def check(self, key, now: float | None = None, cost: float = 1.0) -> str:
        now = time.monotonic() if now is None else now
        with self.lock:
            bucket = self.buckets.get(key)
            if bucket is None:
                if len(self.buckets) >= 10_000:
                    self._sweep(now)
                bucket = self.buckets[key] = [self.burst, now, 0.0]
            tokens, last, strikes = bucket
            gained = max(0.0, now - last) * self.rate
            tokens, strikes = min(self.burst, tokens + gained), max(0.0, strikes - gained)
            if tokens >= cost:
                bucket[:] = [tokens - cost, now, strikes]
                return OK
            strikes += 1
            bucket[:] = [tokens, now, strikes]
            return CUT if strikes > self.strikes else REFUSE

    def allow(self, key, now: float | None = None) -> bool:
        return self.check(key, now) == OK

    def empty(self, key, now: float | None = None) -> bool:
        """Would the next request be refused? (Takes nothing.)"""
        now = time.monotonic() if now is None else now
        with self.lock:
            bucket = self.buckets.get(key)
            return bucket is not None and bucket[0] + max(0.0, now - bucket[1]) * self.rate < 1

    def forget(self, key) -> None:
        with self.lock:
            self.buckets.pop(key, None)

    def _sweep(self, now: float) -> None:
        """Drop the buckets that have filled up again: they hold nothing a fresh one would not."""
        for key, (tokens, last, strikes) in list(self.buckets.items()):
            if tokens + (now - last) * self.rate >= self.burst and strikes <= (now - last) * self.rate:
                del self.buckets[key]


class RateLimiter(TokenBuckets):
    """The per-connection bucket: ``rate`` events a second, bursts of ``burst``."""

    def __init__(self, rate: float = 10.0, burst: float = 30.0, strikes: float | None = None):
        super().__init__(rate, burst, strikes)


class Limits:
    """The buckets of one app, from its config."""

    def __init__(self, config):
        per_minute = config["LOOKUPS_PER_ADDRESS_PER_MINUTE"] / 60
        self.addresses = TokenBuckets(config["ADDRESS_EVENTS_PER_SECOND"], config["ADDRESS_EVENT_BURST"])
        self.sessions = TokenBuckets(config["SESSION_EVENTS_PER_SECOND"], config["SESSION_EVENT_BURST"])
        self.lookups = TokenBuckets(per_minute, config["LOOKUPS_PER_ADDRESS_PER_MINUTE"])
        creations = config["CREATIONS_PER_ADDRESS_PER_MINUTE"]
        self.creations = TokenBuckets(creations / 60, creations)
        entries = config["ENTRIES_PER_CONNECTION_PER_MINUTE"]
        self.entries = TokenBuckets(entries / 60, entries)
        checks = config["WRITING_CHECKS_PER_CONNECTION_PER_MINUTE"]
        self.checks = TokenBuckets(checks / 60, checks)
        # Connections disconnected for flooding: past this many, the address opens no new ones for a while.
        cuts = config["FLOOD_CUTS_PER_ADDRESS_PER_MINUTE"]
        self.cuts = TokenBuckets(cuts / 60, cuts)
        self.pressure = Pressure(config["BUSY_LAG_MS"])
        self.max_connections = int(config["CONNECTIONS_PER_ADDRESS"])
        self.connections: dict[str, int] = {}  # address -> open connections
        self.lock = threading.Lock()

    def open_connection(self, address: str) -> bool:
        with self.lock:
            count = self.connections.get(address, 0)
            if count >= self.max_connections:
                return False
            self.connections[address] = count + 1
            return True

    def close_connection(self, address: str) -> None:
        with self.lock:
            count = self.connections.get(address, 0) - 1
            if count > 0:
                self.connections[address] = count
            else:
                self.connections.pop(address, None)

    def lookup_allowed(self, address: str | None) -> bool:
        """One look-up of a join code (HTTP or Socket.IO) from ``address``."""
        return self.lookups.allow(address or "?")

    def creation_allowed(self, address: str | None) -> bool:
        """One new session from ``address``."""
        return self.creations.allow(address or "?")

    def entry_allowed(self, sid: str, address: str | None) -> bool:
        """One entry into a session (join, watch, claim, resume): within the connection's budget
        (each builds a whole snapshot) and the address's look-ups of join codes."""
        return self.entries.allow(sid) and self.lookup_allowed(address)

    def check_allowed(self, sid: str) -> bool:
        """One reading of a text being written (``writing:check``) by connection ``sid``."""
        return self.checks.allow(sid)


class Pressure:
    """How far behind this process's event loop runs, measured by a task that sleeps ``interval``
    seconds and notes how much later it woke (``lag``, seconds). Under eventlet that is how long every
    ready piece of work waits for its turn; with threads, how long they wait for the interpreter."""

    def __init__(self, limit_ms: float, interval: float = 0.02):
        self.limit, self.interval = limit_ms / 1000, interval
        self.lag = 0.0

    def watch(self, sleep: Callable[[float], None]) -> None:
        """Measure forever (a background task); ``sleep`` is the async mode's own."""
        while True:
            start = time.monotonic()
            sleep(self.interval)
            self.lag = time.monotonic() - start - self.interval

    def overloaded(self) -> bool:
        return bool(self.limit) and self.lag > self.limit


def of(app) -> Limits:
    return app.extensions["intervisie_limits"]


def init_app(app) -> Limits:
    app.extensions["intervisie_limits"] = Limits(app.config)
    return app.extensions["intervisie_limits"]


def address_of(environ) -> str:
    return (environ or {}).get("REMOTE_ADDR") or "?"


class Guard:
    """Counts every Socket.IO packet against its connection, address and session before it is decoded.

    Installed on a ``socketio.Server`` by :meth:`install`; ``connection_limiter``
    returns the per-connection buckets (looked up on each packet, so a test can
    swap them), ``describe(sid)`` returns the connection's ``(lang, session_id)``
    as far as it is known in memory.
    """

    def __init__(self, app, server, connection_limiter: Callable[[], TokenBuckets], describe):
        self.limits, self.server = of(app), server
        self.connection_limiter, self.describe = connection_limiter, describe
        self.addresses: dict[str, str] = {}  # eio sid -> address, for connections counted per address
        self.cut: set[str] = set()  # eio sids being disconnected: their packets are dropped unread

    def install(self) -> None:
        server, eio = self.server, self.server.eio
        # The Flask-SocketIO test client calls these methods directly; real transports call what eio holds.
        server._handle_eio_message = self._wrap_message(server._handle_eio_message)
        eio.on("message", server._handle_eio_message)
        eio.on("connect", self._wrap_connect(server._handle_eio_connect))
        eio.on("disconnect", self._wrap_disconnect(server._handle_eio_disconnect))

    def _wrap_connect(self, handle):
        def on_connect(eio_sid, environ):
            address = address_of(environ)
            if self.limits.cuts.empty(address) or not self.limits.open_connection(address):
                return False  # engine.io refuses the connection
            self.addresses[eio_sid] = address
            return handle(eio_sid, environ)

        return on_connect

    def _wrap_disconnect(self, handle):
        def on_disconnect(eio_sid, reason=None):
            address = self.addresses.pop(eio_sid, None)
            if address is not None:
                self.limits.close_connection(address)
            self.cut.discard(eio_sid)
            self.connection_limiter().forget(eio_sid)
            return handle(eio_sid, reason)

        return on_disconnect

    def _wrap_message(self, handle):
        def on_message(eio_sid, data):
            if eio_sid in self.cut:
                return None
            if isinstance(data, str) and data[:1] == "1":
                return handle(eio_sid, data)  # leaving is always allowed
            verdict, sid = self.verdict(eio_sid)
            if verdict == OK and self.limits.pressure.overloaded() and new_work(data):
                self.refuse(eio_sid, sid, data, "busy")
            elif verdict == OK:
                return handle(eio_sid, data)
            elif verdict == CUT:
                self.disconnect(eio_sid, sid)
            else:
                self.refuse(eio_sid, sid, data)
            return None

        return on_message

    def verdict(self, eio_sid: str) -> tuple[str, str | None]:
        now = time.monotonic()
        sid = self.server.manager.sid_from_eio_sid(eio_sid, "/")
        verdict = self.connection_limiter().check(eio_sid, now)
        if verdict == OK:
            environ = self.server.environ.get(eio_sid)
            verdict = self.limits.addresses.check(address_of(environ), now)
        if verdict == OK and sid is not None:
            session_id = self.describe(sid)[1]
            if session_id is not None:
                verdict = self.limits.sessions.check(session_id, now)
                if verdict == CUT:
                    verdict = REFUSE  # the session is busy; this connection is not necessarily the cause
        return verdict, sid

    def refuse(self, eio_sid: str, sid: str | None, data, code: str = "rate_limited") -> None:
        """Answer a refused event that asked for an answer, and a refused namespace connect; drop the rest."""
        lang = self.describe(sid)[0] if sid else None
        if (
            isinstance(data, str) and data[:1] == "0"
        ):  # joining the namespace: connect_error, the client retries
            namespace = data[1:].split(",", 1)[0].split("?", 1)[0] if data[1:2] == "/" else "/"
            message = {"message": translate(lang, "error.rate_limited"), "data": {"error": "rate_limited"}}
            self.server._send_packet(
                eio_sid, self.server.packet_class(sio_packet.CONNECT_ERROR, namespace=namespace, data=message)
            )
            return
        header = _EVENT_HEADER.match(data[:256]) if isinstance(data, str) else None
        if header is None or header.group(2) is None:
            return
        answer = {"ok": False, "error": code, "message": translate(lang, f"error.{code}")}
        namespace = header.group(1)[:-1] if header.group(1) else "/"
        self.server._send_packet(
            eio_sid,
            self.server.packet_class(
                sio_packet.ACK, namespace=namespace, id=int(header.group(2)), data=[answer]
            ),
        )

    def disconnect(self, eio_sid: str, sid: str | None) -> None:
        """Close a connection far over its budget, off the reading loop; until then its packets are dropped."""
        if eio_sid in self.cut:
            return
        self.cut.add(eio_sid)
        environ = self.server.environ.get(eio_sid)
        self.limits.cuts.check(address_of(environ))  # reconnecting to flood again is refused soon
        _stop_reading(environ)

        def close():
            if sid is not None:
                self.server.disconnect(sid)
            self.server.eio.disconnect(eio_sid)

        self.server.start_background_task(close)


def new_work(data) -> bool:
    """Whether a packet is an event other than entering a session: what back-pressure may refuse.

    Entering (``session:join``, ``resume``, ``watch``, ``claim``) goes through: a client that
    cannot enter shows an error instead of retrying, and it is what brings people back after a restart.
    """
    header = _EVENT_HEADER.match(data[:256]) if isinstance(data, str) else None
    return header is not None and data[:1] == "2" and not data.startswith('["session:', header.end())


def _stop_reading(environ) -> None:
    """Stop reading the connection's socket now: what it has sent and we have not read yet is dropped unread.

    Without this a flooder's backlog (thousands of frames already in the kernel's buffer) would still be
    parsed, one frame at a time, before the disconnect gets its turn.
    """
    environ = environ or {}
    sock = environ.get("werkzeug.socket") or environ.get("gunicorn.socket")
    if sock is None and "eventlet.input" in environ:
        sock = environ["eventlet.input"].get_socket()
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RD)


def install(app, server, connection_limiter, describe) -> Guard:
    guard = Guard(app, server, connection_limiter, describe)
    guard.install()
    return guard
