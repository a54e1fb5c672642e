"""A minimal Socket.IO client over a raw WebSocket, for sending what no well-behaved client sends.

Hand-built frames (fragmented messages, floods written in one go, oversized
packets) over a plain TCP socket: used by ``bench/flood.py`` and
``tests/live/test_transport.py``. It speaks Engine.IO 4 / Socket.IO 5 just
enough to connect to the default namespace, answer pings and read
acknowledgements.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import socket
import struct
import time

TEXT, CONTINUATION, CLOSE, PING, PONG = 1, 0, 8, 9, 10


def frame(payload: bytes | str, opcode: int = TEXT, fin: bool = True) -> bytes:
    """One masked client frame (RFC 6455 section 5.2)."""
    data = payload.encode() if isinstance(payload, str) else payload
    head = bytes([(0x80 if fin else 0) | opcode])
    n = len(data)
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 65536:
        head += bytes([0x80 | 126]) + struct.pack("!H", n)
    else:
        head += bytes([0x80 | 127]) + struct.pack("!Q", n)
    mask = os.urandom(4)
    stream = (mask * (n // 4 + 1))[:n]
    masked = (int.from_bytes(data, "big") ^ int.from_bytes(stream, "big")).to_bytes(n, "big") if n else b""
    return head + mask + masked


def event(name: str, payload, ack_id: int | None = None) -> str:
    """A Socket.IO EVENT packet inside an Engine.IO MESSAGE: ``42<id>["name",payload]``."""
    return "42" + ("" if ack_id is None else str(ack_id)) + json.dumps([name, payload], separators=(",", ":"))


class RawSocketIO:
    """One raw WebSocket connection to ``/socket.io/`` on 127.0.0.1:``port``."""

    def __init__(
        self,
        port: int,
        host: str = "127.0.0.1",
        timeout: float = 10.0,
        headers: dict | None = None,
        source: str | None = None,
    ):
        # ``source``: another loopback address (127.0.0.2, ...) to look like another client to the server.
        self.sock = socket.create_connection(
            (host, port), timeout=timeout, source_address=(source, 0) if source else None
        )
        self.buffer = b""
        self.closed: int | None = None  # the close code the server sent
        key = base64.b64encode(os.urandom(16)).decode()
        extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        self.sock.sendall(
            (
                "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
                f"Host: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n{extra}\r\n"
            ).encode()
        )
        while b"\r\n\r\n" not in self.buffer:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("closed during the handshake")
            self.buffer += chunk
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        self.status = int(head.split(b" ", 2)[1])
        if self.status != 101:
            raise ConnectionRefusedError(f"handshake answered {self.status}")

    def connect(self) -> RawSocketIO:
        """Read Engine.IO's open packet, then join the default namespace."""
        assert self.recv_text().startswith("0")
        self.send("40")
        while not self.recv_text().startswith("40"):
            pass
        return self

    def send(self, text: str) -> None:
        self.sock.sendall(frame(text))

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _read(self, n: int) -> bytes:
        while len(self.buffer) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("connection closed")
            self.buffer += chunk
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def recv_frame(self) -> tuple[int, bytes]:
        a, b = self._read(2)
        n = b & 127
        if n == 126:
            n = struct.unpack("!H", self._read(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", self._read(8))[0]
        return a & 15, self._read(n)

    def recv_text(self) -> str:
        """The next text message; answers Engine.IO pings; raises ``ConnectionError`` on close."""
        while True:
            opcode, data = self.recv_frame()
            if opcode == CLOSE:
                self.closed = struct.unpack("!H", data[:2])[0] if len(data) >= 2 else 1005
                raise ConnectionError(f"closed by the server with {self.closed}")
            if opcode == PING:
                self.sock.sendall(frame(data, PONG))
            elif opcode == TEXT:
                text = data.decode()
                if text == "2":  # Engine.IO ping
                    self.send("3")
                    continue
                return text

    def ack(self, ack_id: int, timeout: float = 10.0) -> dict:
        """Wait for the acknowledgement ``43<id>[...]`` and return its first argument."""
        deadline = time.monotonic() + timeout
        prefix = f"43{ack_id}["
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            text = self.recv_text()
            if text.startswith(prefix):
                return json.loads(text[len(prefix) - 1 :])[0]
        raise TimeoutError(f"no acknowledgement {ack_id}")

    def call(self, name: str, payload, ack_id: int, timeout: float = 10.0) -> dict:
        self.send(event(name, payload, ack_id))
        return self.ack(ack_id, timeout)

    def wait_closed(self, timeout: float = 10.0) -> int | None:
        """Read until the server closes; the close code, or None when the socket just ended."""
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                self.sock.settimeout(max(0.01, deadline - time.monotonic()))
                self.recv_text()
        except (ConnectionError, OSError):
            return self.closed
        raise TimeoutError("still open")

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()
