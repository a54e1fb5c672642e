"""Socket.IO handlers: validate the envelope, call the service, deliver what it returns.

Every client event is answered with an acknowledgement: ``{"ok": true, ...}``
or ``{"ok": false, "error": code, "message": text}`` in the user's language.
The payload contract of each event is in ``docs/protocol.md``.
"""

from __future__ import annotations

import logging
import threading
import time

from flask import current_app, request
from flask_socketio import join_room

from . import service
from .extensions import socketio
from .i18n import translate
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
    "role:assign": service.assign_role,  # facilitator; broadcasts session:state
    "participant:remove": service.remove_participant,  # facilitator; broadcasts session:state
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
}


class RateLimiter:
    """A token bucket per connection: a burst of events is fine, a flood is refused."""

    def __init__(self, rate: float = 10.0, burst: float = 30.0):
        self.rate, self.burst = rate, burst
        self.buckets: dict[str, tuple[float, float]] = {}
        self.lock = threading.Lock()

    def allow(self, sid: str, now: float) -> bool:
        with self.lock:
            tokens, last = self.buckets.get(sid, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            allowed = tokens >= 1
            self.buckets[sid] = (tokens - 1 if allowed else tokens, now)
            return allowed

    def forget(self, sid: str) -> None:
        with self.lock:
            self.buckets.pop(sid, None)


limiter = RateLimiter()


def error(code: str, lang, **params) -> dict:
    return {"ok": False, "error": code, "message": translate(lang, f"error.{code}", **params)}


def deliver(outcome: service.Outcome) -> None:
    """Send what an action produced; its change is already committed."""
    for emit in outcome.emits:
        socketio.emit(emit.event, emit.data, to=emit.to, skip_sid=emit.skip_sid)
    for sid in outcome.disconnect:
        socketio.server.disconnect(sid)
    app = current_app._get_current_object()
    if outcome.recheck_after is not None and outcome.session_id and app.config["BACKGROUND_TASKS"]:
        socketio.start_background_task(_recheck_presence, app, outcome.session_id, outcome.recheck_after)


def handle(action, payload) -> dict:
    """Run one client event through the service and answer it; never lets an error escape."""
    sid = request.sid
    lang = payload.get("lang") if isinstance(payload, dict) else None
    try:
        if not limiter.allow(sid, time.monotonic()):
            raise RuleViolation("rate_limited")
        if not isinstance(payload, dict):
            raise RuleViolation("bad_request")
        outcome = action(sid, payload, time.time())
    except RuleViolation as refusal:
        return error(refusal.code, lang or service.language_of(sid), **refusal.params)
    except Exception:
        log.exception("event failed")
        return error("server_error", lang)
    for room in outcome.join_rooms:
        join_room(room)
    deliver(outcome)
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
    limiter.forget(request.sid)
    try:
        deliver(service.disconnect(request.sid, time.time()))
    except Exception:
        log.exception("disconnect bookkeeping failed")


def _on_connect(auth=None):
    """Anyone may connect; what they may do is decided per event by their token."""
    start_background_work(current_app._get_current_object())
    return True


def _handler(action):
    def on_event(payload=None):
        return handle(action, payload)

    on_event.__doc__ = action.__doc__
    return on_event


def register(app) -> None:
    """Attach the handlers to the Socket.IO server of ``app``."""
    socketio.on_event("connect", _on_connect)
    socketio.on_event("disconnect", _on_disconnect)
    for name, action in ACTIONS.items():
        socketio.on_event(name, _handler(action))
    socketio.on_error_default(_on_error)


def _on_error(exc):
    log.exception("unhandled socket error", exc_info=exc)
    return error("server_error", None)


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


def _heartbeat(app) -> None:
    """Keep this process's connections alive in the database; purge expired sessions now and then."""
    from .retention import purge

    interval = app.config["CONNECTION_STALE_SECONDS"] / 3
    next_purge = time.monotonic() + app.config["PURGE_INTERVAL_SECONDS"]
    while True:
        socketio.sleep(interval)
        with app.app_context():
            try:
                service.heartbeat(time.time())
                if time.monotonic() >= next_purge:
                    next_purge = time.monotonic() + app.config["PURGE_INTERVAL_SECONDS"]
                    purge()
            except Exception:
                log.exception("heartbeat failed")
