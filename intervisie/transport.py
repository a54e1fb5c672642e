"""Guard rails on the Socket.IO transports: whole-message size limits and packets that always get an answer.

Everything here is applied once per app by ``apply(app, server)`` in ``create_app``;
it is the one place that reaches into python-engineio, python-socketio and
eventlet, so an upgrade of those needs a look here (and at ``tests/live/test_transport.py``).

- **The size limit holds for the whole message, however it is framed.**
  ``max_http_buffer_size`` (``MAX_MESSAGE_BYTES``) bounds a long-polling POST,
  but on WebSocket python-engineio only passes it on as eventlet's *frame*
  limit and checks the message after it has been put together: a text frame
  with FIN=0 followed by continuation frames was buffered without limit. In
  threading mode simple-websocket was not given any limit at all. We give
  each WebSocket implementation the limit for a whole message: it closes the
  connection with 1009 (message too big) as soon as the pieces add up to more.
- A long-polling POST over the limit made python-engineio wait, forever, for
  the client to fetch the close packet it had queued: the request hung and
  held its green thread (or thread). It is answered 413 at once and its
  connection closed.
- eventlet unmasks incoming frames one byte at a time in Python (~2 s of CPU
  for 400 frames of 16 KB); we unmask with one big-integer XOR instead.
- eventlet's pre-standard (hixie-76) WebSocket protocol has no length limit
  at all and no browser has spoken it since 2011: it is refused.
- **Every event with an acknowledgement id is answered.** A packet whose JSON
  does not parse (or holds an integer literal over 100 digits, which
  python-engineio's JSON refuses), that is not a list starting with an event
  name, that names one of the server's own reserved events (``connect``,
  ``disconnect``), or that carries binary attachments (this protocol has none), becomes
  the event ``MALFORMED`` with the same id; ``events`` answers it with
  ``bad_request``. Before, python-socketio dropped such a packet silently.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from engineio.async_drivers._websocket_wsgi import SimpleWebSocketWSGI
from socketio import packet as sio_packet

# The event name a malformed packet is delivered as; no client event may use it.
MALFORMED = "intervisie:malformed"
# Names python-socketio keeps for its own connect and disconnect handlers: a client sending an
# event by one of these names would run them (a fake "disconnect" dropped the connection's row
# while the socket stayed in its rooms, out of reach of removal and claims).
RESERVED = frozenset({"connect", "disconnect", "connect_error"})


def apply(app, server) -> None:
    """Bound whole WebSocket messages and answer malformed packets on ``server`` (a ``socketio.Server``)."""
    eio = server.eio
    limit = int(app.config["MAX_MESSAGE_BYTES"])
    websocket = eio._async.get("websocket")
    if eio.async_mode == "eventlet":
        from engineio.async_drivers.eventlet import WebSocketWSGI

        websocket = _eventlet_websocket(WebSocketWSGI)
    elif websocket is SimpleWebSocketWSGI:
        websocket = _simple_websocket(limit)
    # A copy per server: the driver's own table stays as the library left it.
    eio._async = {**eio._async, "websocket": websocket}
    eio.handle_request = _bounded_polling(eio, limit)
    server.packet_class = Packet


def _bounded_polling(eio, limit: int):
    handle = eio.handle_request

    def handle_request(environ, start_response):
        """Refuse a long-polling POST over the limit at once (413), and close its connection."""
        if environ.get("REQUEST_METHOD") == "POST":
            try:
                length = int(environ.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = limit + 1
            if length > limit:
                sid = parse_qs(environ.get("QUERY_STRING", "")).get("sid", [None])[0]
                socket = eio.sockets.get(sid)
                if socket is not None:
                    socket.close(wait=False, abort=True)
                start_response(
                    "413 Payload Too Large", [("Content-Type", "text/plain"), ("Connection", "close")]
                )
                return [b"Message too large"]
        return handle(environ, start_response)

    return handle_request


class Packet(sio_packet.Packet):
    """A Socket.IO packet that turns an undecodable event into ``MALFORMED`` (keeping its ack id)."""

    def decode(self, encoded_packet):
        if not isinstance(encoded_packet, str):
            # A binary frame without a binary packet: nothing to answer, nothing worth a traceback in the log.
            self.packet_type, self.namespace, self.id = sio_packet.EVENT, None, None
            self._malformed()
            return 0
        try:
            attachments = super().decode(encoded_packet)
        except (ValueError, RecursionError):
            if self.packet_type in (sio_packet.EVENT, sio_packet.BINARY_EVENT) and self.id is not None:
                self._malformed()
                return 0
            raise
        if self.packet_type == sio_packet.BINARY_ACK:
            raise ValueError("this server asks no binary acknowledgements")
        if self.packet_type == sio_packet.BINARY_EVENT or (
            self.packet_type == sio_packet.EVENT
            and not (
                isinstance(self.data, list)
                and self.data
                and isinstance(self.data[0], str)
                and self.data[0] not in RESERVED
            )
        ):
            self._malformed()
            return 0
        return attachments

    def _malformed(self) -> None:
        self.packet_type = sio_packet.EVENT
        self.data = [MALFORMED]


# --- threading mode: simple-websocket has the option, python-engineio does not pass it ------------


def _simple_websocket(limit: int):
    class BoundedSimpleWebSocketWSGI(SimpleWebSocketWSGI):
        """simple-websocket counts every fragment towards ``max_message_size`` and closes with 1009."""

        def __init__(self, handler, server, **kwargs):
            super().__init__(handler, server, **{"max_message_size": limit, **kwargs})

    return BoundedSimpleWebSocketWSGI


# --- eventlet mode: eventlet bounds frames, not messages -------------------------------------------


def _unmask(data, mask, length=None, offset=0) -> bytes:
    """XOR ``data`` with the 4-byte ``mask`` starting at ``offset``: eventlet's ``_apply_mask``, in C speed."""
    length = len(data) if length is None else length
    if not length:
        return b""
    key = bytes(mask[(offset + i) % 4] for i in range(4))
    stream = key * (length // 4 + 1)
    return (int.from_bytes(data[:length], "little") ^ int.from_bytes(stream[:length], "little")).to_bytes(
        length, "little"
    )


def _eventlet_websocket(base):
    from eventlet.websocket import FailedConnectionError, RFC6455WebSocket

    class BoundedMessage(RFC6455WebSocket.Message):
        """A message that refuses to grow past the limit, whatever the number of frames."""

        def push(self, data, final=False):
            self.size = getattr(self, "size", 0) + len(data)
            if self.size > self.max_frame_length:
                raise FailedConnectionError(
                    1009, f"Incoming message is above the length limit of {self.max_frame_length} bytes."
                )
            super().push(data, final)

    class BoundedRFC6455WebSocket(RFC6455WebSocket):
        Message = BoundedMessage
        _apply_mask = staticmethod(_unmask)

    class BoundedWebSocketWSGI(base):
        """python-engineio's eventlet WebSocket, with a whole-message limit (``max_frame_length``)."""

        def __init__(self, handler, server):
            super().__init__(handler, server)
            self.support_legacy_versions = False

        def _handle_hybi_request(self, environ):
            ws = super()._handle_hybi_request(environ)
            ws.__class__ = BoundedRFC6455WebSocket  # same object, bounded messages from its first frame
            return ws

    return BoundedWebSocketWSGI
