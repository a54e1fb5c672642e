"""The application factory."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, abort
from flask_compress import Compress
from werkzeug.middleware.proxy_fix import ProxyFix

from .config import Config
from .db import db
from .extensions import socketio
from .methods import default_directory, load_library

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app; raises ``MethodError`` when a method file is broken."""
    app = Flask(
        __name__,
        instance_path=os.environ.get("INTERVISIE_INSTANCE_PATH") or str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.from_object(Config)
    if test_config:
        app.config.update(test_config)
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config["DATABASE_URL"]:
        app.config["DATABASE_URL"] = "sqlite:///" + os.path.join(app.instance_path, "intervisie.sqlite3")

    methods, decks = load_library(Path(app.config["METHODS_DIR"] or default_directory()))
    app.extensions["intervisie_methods"] = methods
    app.extensions["intervisie_decks"] = decks

    db.init_app(app)
    Compress(app)
    if app.config["AUTO_MIGRATE"]:
        db.upgrade()
    if app.config["PURGE_ON_START"]:
        from .retention import purge_at_start

        purge_at_start(app)  # sessions past their retention go before anyone can open them

    socketio.init_app(
        app,
        async_mode=app.config["ASYNC_MODE"],
        message_queue=app.config["MESSAGE_QUEUE"],
        max_http_buffer_size=app.config["MAX_MESSAGE_BYTES"],
        # Notice a vanished device within ~20 s so presence stays honest.
        ping_interval=10,
        ping_timeout=10,
    )
    # Flask-SocketIO runs every event in a request context for the Socket.IO path; without a rule for
    # that path, each event's URL match raises NotFound, whose traceback holds its frames in a cycle
    # (about 55 objects of cyclic garbage per event, freed only by full collections that stop the loop).
    # HTTP never reaches this view: the Socket.IO middleware answers the path before Flask does.
    app.add_url_rule("/socket.io/", "socket.io", lambda: abort(404), strict_slashes=False)
    if app.config["BEHIND_PROXY"]:
        # Outside the Socket.IO middleware, so live connections see the client's address and host too.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)

    from . import events, limits, privacy, records, transport, views

    transport.apply(app, socketio.server)  # whole-message size limits, malformed packets answered
    limits.init_app(app)
    events.register(app)
    app.register_blueprint(views.bp)
    app.register_blueprint(records.bp)
    if app.config["PRIVACY_GUARD"]:
        privacy.start_loading()  # its own process; the guard switches on when loaded, nothing waits
    return app
