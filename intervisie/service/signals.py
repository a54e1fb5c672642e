"""The case bringer's private signal to the facilitator: "pause please", "slow down", "this is enough for me".

Online, a group loses the looks and sighs that carry this in a room. A signal
reaches only whoever holds the facilitator role (the co-facilitator too, once
they took over) and the case bringer who sent it: never the state everyone
receives. Only the latest signal is kept, until the facilitator clears it.
"""

from __future__ import annotations

from .. import session as rules
from ..db import db
from ..session import RuleViolation
from .base import Emit, Outcome, bound, new_id, room_person, store_timer, timer_of, to_ms, touch
from .steps import facilitator_action
from .views import state_emit

SIGNALS = ("pause", "slower", "enough")


def _to_facilitators(session, event: str, data: dict, also: str | None = None) -> list[Emit]:
    people = [p.id for p in session.participants if p.role == "facilitator" and not p.removed]
    if also and also not in people:
        people.append(also)
    return [Emit(event, data, room_person(pid)) for pid in people]


def send_signal(sid: str, payload: dict, now: float) -> Outcome:
    """The case bringer signals the facilitator (``signal``: pause, slower or enough); with
    ``pause_timer: true`` a running step timer pauses too (everyone sees the pause, not why)."""
    kind, pause = payload.get("signal"), payload.get("pause_timer", False)
    if kind not in SIGNALS or not isinstance(pause, bool):
        raise RuleViolation("bad_request")
    with db.session(write=True) as orm:
        person, session = bound(orm, sid)
        rules.require_status(session.status, "running")
        if person.role != "case_bringer":
            raise RuleViolation("signal_case_bringer")
        timer = timer_of(session)
        paused = pause and timer.state == "running" and not timer.is_due(now)
        if paused:
            store_timer(session, timer.pause(now))
            session.control += 1
            touch(session, now)
        session.signal = {
            "id": new_id(),
            "kind": kind,
            "by": person.id,
            "at_ms": to_ms(now),
            "paused": paused,
        }
        orm.commit()
        emits = _to_facilitators(session, "signal:new", session.signal)
        if paused:
            emits.append(state_emit(orm, session, now))
        return Outcome(ack={"signal": session.signal}, emits=emits)


def clear_signal(sid: str, payload: dict, now: float) -> Outcome:
    """The facilitator has seen the signal: it goes from their screen; the case bringer learns it was seen."""

    def change(_orm, session, _person):
        sent = session.signal
        if sent is None:
            return None
        session.signal = None
        return Outcome(emits=_to_facilitators(session, "signal:cleared", {"id": sent["id"]}, also=sent["by"]))

    return facilitator_action(sid, payload, now, change, guarded=False)
