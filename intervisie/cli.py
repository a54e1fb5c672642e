"""Command line: check method files, migrate, purge expired sessions. ``python wsgi.py`` serves."""

from __future__ import annotations

import argparse
import gc
import os
import socket
import sys
from pathlib import Path

from .config import Config
from .decks import load_decks
from .methods import MethodError, check_deck, default_directory, parse_method, read_document


def app_or_exit(test_config: dict | None = None):
    """Build the app, or stop with the broken method file, field and problem (no stack trace)."""
    from .app import create_app

    try:
        return create_app(test_config)
    except MethodError as err:
        sys.exit(f"Intervisie cannot start: method or deck file {err}")


def _listener(host: str, port: int) -> socket.socket:
    """A listening socket with TCP_NODELAY, which accepted sockets inherit on Linux.

    Without it, Nagle's algorithm meets delayed ACKs and adds ~40 ms to each
    small Socket.IO frame.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(1024)
    return sock


MAX_CONNECTIONS = 10_000


def _raise_open_files_limit() -> None:
    """Every connection is a file descriptor; the common soft limit of 1,024 would cap the room count."""
    try:
        import resource
    except ImportError:  # not on Windows
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = MAX_CONNECTIONS + 100 if hard == resource.RLIM_INFINITY else min(hard, MAX_CONNECTIONS + 100)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def serve(app) -> None:
    """Serve the app in its configured async mode (``python wsgi.py``) and print the address to open."""
    host = os.environ.get("INTERVISIE_HOST", "127.0.0.1")
    port = int(os.environ.get("INTERVISIE_PORT", "5000"))
    mode = app.config["ASYNC_MODE"]
    try:
        sock = _listener(host, port)
    except OSError as err:
        sys.exit(
            f"Intervisie cannot listen on {host}:{port} ({err.strerror}). Set INTERVISIE_PORT to another port."
        )
    shown = "localhost" if host in ("127.0.0.1", "0.0.0.0", "::") else host
    print(
        f"Intervisie is running ({mode}, {app.config['DATABASE_URL'].split('://')[0]}): "
        f"http://{shown}:{sock.getsockname()[1]}/",
        flush=True,
    )
    _raise_open_files_limit()
    # What start-up built (modules, methods, the app) lives as long as the process: full garbage
    # collections, which stop every session while they run, no longer walk it.
    gc.collect()
    gc.freeze()
    if mode == "eventlet":
        import eventlet.wsgi

        # eventlet's default pool of 1,024 green threads would cap the connections at 1,024.
        eventlet.wsgi.server(sock, app, log_output=False, max_size=MAX_CONNECTIONS)
    else:
        from werkzeug.serving import make_server

        server = make_server(host, port, app, threaded=True, fd=sock.fileno())
        server.serve_forever()


def check_methods(paths: list[Path]) -> int:
    """Validate method files (a folder: its ``*.yaml`` and its ``decks/``) and print, per file, ``ok`` or
    ``invalid: file: field: problem``; every file is checked, not only up to the first error. 0 when all pass.

    A single file's deck is looked up in its folder's ``decks/``, else in the installed methods folder.
    """
    installed = Path(Config.METHODS_DIR or default_directory())
    failed = 0
    seen: dict[str, str] = {}

    def invalid(err: MethodError) -> None:
        nonlocal failed
        failed += 1
        print(f"invalid: {err.source}: {err.where or '-'}: {err.problem}", file=sys.stderr)

    for path in paths or [installed]:
        folder = path if path.is_dir() else path.parent
        try:
            decks = load_decks(folder / "decks" if (folder / "decks").is_dir() else installed / "decks")
        except MethodError as err:
            invalid(MethodError(f"decks/{err.source}", err.where, err.problem))
            continue
        files = sorted(path.glob("*.yaml")) if path.is_dir() else [path]
        if not files:
            invalid(MethodError(str(path), "-", "no method files (*.yaml) found"))
        for file in files:
            try:
                method = parse_method(read_document(file), file.name)
                check_deck(method, decks)
                if method.id in seen:
                    raise MethodError(file.name, "id", f"'{method.id}' is also defined in {seen[method.id]}")
            except (MethodError, OSError) as err:
                invalid(err if isinstance(err, MethodError) else MethodError(file.name, "-", err.strerror))
                continue
            seen[method.id] = file.name
            print(f"ok: {file.name}: {method.id} ({len(method.steps)} steps)")
        if path.is_dir():
            for deck in decks.values():
                print(
                    f"ok: decks/{deck.source}: {deck.id} ({len(deck.quadrants)} quadrants, {len(deck.cards)} cards)"
                )
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="intervisie", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("methods", help="validate method files without starting")
    check.add_argument("action", choices=["check"])
    check.add_argument(
        "paths",
        nargs="*",
        type=Path,
        help="method files or folders; default: methods/ or INTERVISIE_METHODS_DIR",
    )
    db_cmd = commands.add_parser("db", help="database schema")
    db_cmd.add_argument("action", choices=["upgrade"])
    commands.add_parser("purge", help="delete sessions past their retention (for cron)")
    args = parser.parse_args(argv)
    # These commands serve nobody, so they need no event loop (and no eventlet), nor the privacy
    # guard's worker process (a gigabyte and seconds of CPU to load, left running after the command).
    offline = {
        "ASYNC_MODE": "threading",
        "PURGE_ON_START": False,
        "BACKGROUND_TASKS": False,
        "PRIVACY_GUARD": False,
    }

    if args.command == "methods":
        return check_methods(args.paths)
    if args.command == "db":
        app = app_or_exit({**offline, "AUTO_MIGRATE": False})
        from .db import db

        db.upgrade()
        print(f"database is up to date: {app.config['DATABASE_URL'].split('://')[0]}")
        return 0
    if args.command == "purge":
        app = app_or_exit(offline)
        from .retention import purge

        with app.app_context():
            removed = purge()
        print(f"removed {removed} expired session(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
