"""The ceiling: a bare python-socketio room-broadcast server with no app logic.

Clients emit ``join`` {"room"} and then ``post`` {"room", "client_id", ...};
the server broadcasts each post to the whole room (sender included) as
``message`` and acknowledges it. Served like the app: eventlet, one process,
TCP_NODELAY set on the listening socket (accepted sockets inherit it on Linux).

    python bench/bare_server.py --port 5100 [--no-nodelay]
"""

import eventlet

eventlet.monkey_patch()

import argparse  # noqa: E402
import socket  # noqa: E402

import eventlet.wsgi  # noqa: E402
import socketio  # noqa: E402

sio = socketio.Server(async_mode="eventlet", ping_interval=10, ping_timeout=10)
app = socketio.WSGIApp(sio)


@sio.on("join")
def join(sid, data):
    sio.enter_room(sid, data["room"])
    return {"ok": True}


@sio.on("post")
def post(sid, data):
    sio.emit("message", data, to=data["room"])
    return {"ok": True}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5100)
    parser.add_argument("--no-nodelay", action="store_true", help="leave Nagle on (shows the ~40 ms trap)")
    args = parser.parse_args()
    sock = eventlet.listen((args.host, args.port), backlog=1024)
    if not args.no_nodelay:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    print(f"bare socket.io server on http://{args.host}:{args.port}/", flush=True)
    eventlet.wsgi.server(sock, app, log_output=False)


if __name__ == "__main__":
    main()
