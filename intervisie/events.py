"""Socket.IO handlers: validate the envelope, call the service, deliver what it returns.

Every client event is answered with an acknowledgement: ``{"ok": true, ...}``
or ``{"ok": false, "error": code, "message": text}`` in the user's language.
The payload contract of each event is in ``docs/protocol.md``.
"""

from __future__ import annotations

import logging
import os
import threading
import time

from flask import current_app, request
from flask_socketio import join_room

from . import coach, limits, service, transport
from .db import Busy
from .extensions import socketio
from .i18n import pick, translate
from .limits import RateLimiter
from .offload import run_off_loop
from .session import RuleViolation

log = logging.getLogger(__name__)

# Each handler: who sends the event, and what it broadcasts (see docs/protocol.md).
ACTIONS = {
    "session:join": service.join,  # a newcomer with code + name; ack has token + snapshot
    "session:resume": service.resume,  # a returning participant's token; ack has the snapshot
    "session:watch": service.watch,  # a shared screen with code + screen key
    "session:claim": service.claim_facilitator,  # the facilitator link's key
    "session:start": service.start,  # facilitator; broadcasts session:state
    "session:end": service.end,  # facilitator; broadcasts session:state
    "session:settings": service.settings,  # facilitator; broadcasts session:state
    "step:go": service.go_to_step,  # facilitator; broadcasts session:state
    "timer:control": service.control_timer,  # facilitator; broadcasts session:state
    "turn:next": service.next_turn,  # facilitator; broadcasts session:state
    "step:reveal": service.reveal,  # facilitator; contribution:new for each entry, session:state
    "step:loop": service.loop_back,  # whom the step's loop_back rule names; broadcasts session:state
    "case:vote": service.vote,  # anyone joined, in a case round; broadcasts session:state (the chosen case)
    "breakout:next": service.move_on,  # the round's client or the facilitator; broadcasts session:state
    "case:choose": service.choose,  # facilitator, in a case round; session:state, contribution:new (the case)
    "role:assign": service.assign_role,  # facilitator; broadcasts session:state
    "participant:remove": service.remove_participant,  # facilitator; broadcasts session:state
    "waiting:end": service.go_on,  # facilitator; stop waiting for who is away; broadcasts session:state
    "lead:take": service.take_over,  # the co-facilitator, facilitator away; session:state, session:resync
    "screen:show": service.show_on_screen,  # facilitator; spotlight / instructions; broadcasts session:state
    "signal:send": service.send_signal,  # case bringer; signal:new to the facilitator only
    "record:consent": service.record_consent,  # case bringer; the record may be downloaded; session:state
    "signal:clear": service.clear_signal,  # facilitator; signal:cleared to them and the case bringer
    "ready:set": service.set_ready,  # anyone joined; broadcasts session:state
    "language:set": service.set_language,  # anyone joined; no broadcast
    "contribution:add": service.add_contribution,  # per step rules; contribution:new to who may see it
    "contribution:mark": service.mark,  # per step rules; contribution:changed
    "contribution:hide": service.hide,  # facilitator; contribution:changed / contribution:hidden
    "card:play": service.play,  # a player, from own hand; contribution:new, session:state, cards:hand
    "cards:draw": service.draw,  # facilitator for a player, or a player for self; session:state, cards:hand
    "cards:deal": service.deal,  # facilitator; tops up every hand; session:state, cards:hand
    "cards:reshuffle": service.reshuffle,  # facilitator; hands back, shuffle, deal; session:state, cards:hand
    "cards:focus": service.focus,  # facilitator; a round from one quadrant (or all); session:state, cards:hand
    "writing:check": service.check_writing,  # anyone joined, while typing; coach + privacy, no broadcast
}


# Every Socket.IO packet counts against its connection (see limits.py); a test may swap this for another.
limiter = RateLimiter()

# What this process knows of each connection without asking the database: sid -> (lang, session id),
# filled from the acknowledgements it sends. A refusal is answered in this language at no cost.
_known: dict[str, tuple[str | None, str | None]] = {}

# A look-up of a join code (or a token, or a key): counted per address, as GET /s/<code> is.
LOOKUPS = {"session:join", "session:watch", "session:claim", "session:resume"}


def error(code: str, lang, **params) -> dict:
    return {"ok": False, "error": code, "message": translate(lang, f"error.{code}", **params)}


def deliver(outcome: service.Outcome) -> None:
    """Send what an action produced; its change is already committed."""
    for emit in outcome.emits:
        socketio.emit(emit.event, emit.data, to=emit.to, skip_sid=emit.skip_sid)
    for sid in outcome.disconnect:
        close_connection(sid)
    app = current_app._get_current_object()
    if outcome.recheck_after is not None and outcome.session_id and app.config["BACKGROUND_TASKS"]:
        socketio.start_background_task(_recheck_presence, app, outcome.session_id, outcome.recheck_after)


def close_connection(sid: str) -> None:
    """Take a connection out of the session (Socket.IO's disconnect packet) and, where this process holds
    it, close its transport too: a client that ignores the packet keeps no open socket to the server."""
    eio_sid = socketio.server.manager.eio_sid_from_sid(sid, "/")
    socketio.server.disconnect(sid)
    if eio_sid is not None:
        socketio.server.eio.disconnect(eio_sid)


def describe(sid: str | None) -> tuple[str | None, str | None]:
    """The connection's language and session as far as this process knows them, with no database work."""
    return _known.get(sid, (None, None)) if sid else (None, None)


def _remember(sid: str, payload: dict, ack: dict) -> None:
    """Keep the language and session an acknowledgement tells us about this connection."""
    lang, session_id = describe(sid)
    snapshot = ack.get("snapshot") if isinstance(ack.get("snapshot"), dict) else None
    if snapshot is not None:
        me = snapshot.get("me") if isinstance(snapshot.get("me"), dict) else {}
        session = snapshot.get("session") if isinstance(snapshot.get("session"), dict) else {}
        lang = me.get("lang") or session.get("lang") or lang
        session_id = session.get("id") or session_id
    if isinstance(ack.get("lang"), str):
        lang = ack["lang"]
    if lang is None and isinstance(payload.get("lang"), str):
        lang = payload["lang"]
    _known[sid] = (pick(lang) if lang else None, session_id)


def handle(action, args: tuple, event: str | None = None) -> dict:
    """Run one client event through the service and answer it; never lets an error escape.

    ``args`` are all the arguments the event came with: exactly one, a JSON object, is accepted.
    """
    sid = request.sid
    lang = describe(sid)[0]
    try:
        if len(args) != 1 or not isinstance(args[0], dict):
            raise RuleViolation("bad_request")
        payload = args[0]
        lang = payload.get("lang") if isinstance(payload.get("lang"), str) else lang
        if event in LOOKUPS and not limits.of(current_app).entry_allowed(sid, request.remote_addr):
            raise RuleViolation("rate_limited")
        if event == "writing:check" and not limits.of(current_app).check_allowed(sid):
            raise RuleViolation("rate_limited")
        if event not in LOOKUPS and describe(sid)[1] is None:
            # This connection never entered a session: saying so needs no database work.
            raise RuleViolation("not_joined")
        outcome = action(sid, payload, time.time())
    except RuleViolation as refusal:
        return error(refusal.code, lang, **refusal.params)
    except UnicodeError:  # a lone UTF-16 surrogate (JSON allows them) in an id, token or key: nothing stored
        return error("bad_request", lang)
    except Busy:  # a lock held elsewhere past its limit: nothing changed, try again
        return error("busy", lang)
    except Exception:
        log.exception("event failed")
        return error("server_error", lang)
    for room in outcome.join_rooms:
        join_room(room)
    if outcome.then is not None:  # read after joining the rooms: nothing falls between snapshot and stream
        try:
            outcome.ack.update(outcome.then())
        except RuleViolation as refusal:
            return error(refusal.code, lang, **refusal.params)
    deliver(outcome)
    _remember(sid, payload, outcome.ack)
    return {"ok": True, **outcome.ack}


def _recheck_presence(app, session_id: str, delay: float) -> None:
    """After the grace period, tell everyone who is still away."""
    socketio.sleep(delay)
    with app.app_context():
        try:
            deliver(service.presence_state(session_id, time.time()))
        except Exception:
            log.exception("presence recheck failed")


def _on_disconnect(reason=None):
    """A connection closed: presence changes after the grace period, not now."""
    _known.pop(request.sid, None)
    limits.of(current_app).entries.forget(request.sid)
    try:
        deliver(service.disconnect(request.sid, time.time()))
    except Exception:
        log.exception("disconnect bookkeeping failed")


def _on_connect(auth=None):
    """Anyone may connect; what they may do is decided per event by their token."""
    start_background_work(current_app._get_current_object())
    return True


def _handler(event: str, action):
    def on_event(*args):
        return handle(action, args, event)

    on_event.__doc__ = action.__doc__
    return on_event


def _refuse(*_args):
    """An event this server does not know, or a packet it could not read: ``bad_request``."""
    return error("bad_request", describe(request.sid)[0])


def register(app) -> None:
    """Attach the handlers to the Socket.IO server of ``app``, behind the limits of ``limits.py``."""
    global limiter
    limiter = RateLimiter(
        app.config["EVENTS_PER_SECOND"], app.config["EVENT_BURST"], app.config["FLOOD_STRIKES"]
    )
    socketio.on_event("connect", _on_connect)
    socketio.on_event("disconnect", _on_disconnect)
    for name, action in ACTIONS.items():
        socketio.on_event(name, _handler(name, action))
    socketio.on_event(transport.MALFORMED, _refuse)
    socketio.on_event("*", _refuse)  # any other event name
    socketio.on_error_default(_on_error)
    limits.install(app, socketio.server, lambda: limiter, describe)


def _on_error(exc):
    """Last resort: a handler raised. Answer ``server_error`` in the connection's language; log it."""
    log.exception("unhandled socket error", exc_info=exc)
    try:
        lang = describe(request.sid)[0]
    except Exception:  # no request context
        lang = None
    return error("server_error", lang)


# --- background work, one set per process -----------------------------------------------

_started: set[int] = set()
_start_lock = threading.Lock()


def start_background_work(app) -> None:
    """Start the timer watch and the connection heartbeat once per app in this process."""
    if not app.config["BACKGROUND_TASKS"]:
        return
    with _start_lock:
        if id(app) in _started:
            return
        _started.add(id(app))
    socketio.start_background_task(_timer_watch, app)
    socketio.start_background_task(_heartbeat, app)
    socketio.start_background_task(limits.of(app).pressure.watch, socketio.sleep)  # back-pressure
    socketio.start_background_task(run_off_loop, coach.warm)  # the question coach's tables, off the loop


def _timer_watch(app) -> None:
    """Announce time's up when a deadline passes (once, even with several processes)."""
    poll = app.config["TIMER_POLL_SECONDS"]
    while True:
        socketio.sleep(poll)
        with app.app_context():
            try:
                deliver(service.Outcome(emits=service.expire_due_timers(time.time())))
            except Exception:
                log.exception("timer watch failed")


def first_in_turn(app, name: str, seconds: float) -> bool:
    """Whether this process runs the background work ``name`` in this turn of ``seconds``: with
    several processes on one Redis, the first to ask in each turn (``SET NX`` with expiry), so the work
    runs once across them and another takes over when that one is gone; one process always runs it."""
    queue = app.config["MESSAGE_QUEUE"] or ""
    if not queue.startswith(("redis://", "rediss://", "unix://")):
        return True
    import redis

    client = redis.Redis.from_url(queue)
    try:
        return bool(client.set(f"intervisie:turn:{name}", os.getpid(), nx=True, ex=max(1, round(seconds))))
    finally:
        client.close()


def _heartbeat(app) -> None:
    """Keep this process's connections alive in the database; purge expired sessions now and then."""
    from .retention import purge

    interval = app.config["CONNECTION_STALE_SECONDS"] / 3
    next_purge = time.monotonic() + app.config["PURGE_INTERVAL_SECONDS"]
    while True:
        socketio.sleep(interval)
        with app.app_context():
            try:
                for session_id in service.heartbeat(time.time()):  # people on a process that died
                    deliver(service.presence_state(session_id, time.time()))
                if time.monotonic() >= next_purge:
                    next_purge = time.monotonic() + app.config["PURGE_INTERVAL_SECONDS"]
                    if first_in_turn(app, "purge", app.config["PURGE_INTERVAL_SECONDS"]):
                        purge()
            except Exception:
                log.exception("heartbeat failed")
