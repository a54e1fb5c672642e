"""Steps, timer and turns: the facilitator's controls, readiness, and time's up."""

from __future__ import annotations

from sqlalchemy import select, update

from .. import session as rules
from ..db import db
from ..models import Contribution, Session, StepVisit
from ..session import Contributor, RuleViolation, Timer
from . import cards
from .base import (
    Emit,
    Outcome,
    bound,
    lock,
    method_of,
    require_current,
    room_all,
    store_timer,
    timer_of,
    touch,
)
from .views import READY_ROLES, deliver, private_step, state_emit, view_one


def facilitator_action(sid: str, payload: dict, now: float, change, *, guarded: bool = True) -> Outcome:
    """Shared frame of every facilitator action: check the role, apply, commit, broadcast state.

    A ``guarded`` control must name the ``control`` count of the state it was
    sent from (see ``require_current``); it bumps the count, so a double click,
    a resend after a reconnect or a second tab acting on an older state is
    refused as ``stale`` and changes nothing.
    """
    with db.session(write=True) as orm:
        person, session = bound(orm, sid)
        rules.require_facilitator(person.role)
        if guarded:
            require_current(session, payload)
        extra = change(orm, session, person) or Outcome()
        if guarded:
            session.control += 1
        touch(session, now)
        orm.commit()
        state = state_emit(orm, session, now)
        extra.emits.insert(0, state)
        extra.ack = {"state": state.data, **extra.ack}
        return extra


def open_step(orm, session: Session, index: int, now: float) -> list[Emit]:
    """Close the current step's visit, open ``index`` with a fresh timer; reveal private writing.

    The timer runs from the start when the session's ``auto_start_timer`` is on.
    """
    leaving = session.step_index
    method = method_of(session)
    orm.execute(
        update(StepVisit)
        .where(StepVisit.session_id == session.id, StepVisit.ended_at.is_(None))
        .values(ended_at=now)
    )
    session.step_index = index
    orm.add(StepVisit(session_id=session.id, step_index=index, started_at=now))
    timer = Timer.fresh(rules.step_minutes(method.steps[index], session.step_minutes) * 60)
    # A session may let every step open with its time running: nobody has to remember to press start.
    store_timer(session, timer.start(now) if session.auto_start_timer else timer)
    session.turn_order = None
    session.turn_index = None
    reveal = []
    if leaving != index and private_step(session, leaving):
        revealed = orm.scalars(
            select(Contribution).where(
                Contribution.session_id == session.id,
                Contribution.step_index == leaving,
                Contribution.hidden.is_(False),
            )
        ).all()
        for c in revealed:
            emits = deliver(orm, session, c, view_one(orm, session, c, full=True))
            reveal.extend(e for e in emits if e.to == room_all(session.id))
    return reveal + cards.enter_step(orm, session)


def start(sid: str, payload: dict, now: float) -> Outcome:
    """The facilitator starts the session at its first step (a case bringer must be assigned)."""

    def change(orm, session, _person):
        rules.require_status(session.status, "lobby")
        if not any(p.role == "case_bringer" and not p.removed for p in session.participants):
            raise RuleViolation("needs_case_bringer")
        session.status = "running"
        session.started_at = now
        return Outcome(emits=open_step(orm, session, 0, now))

    return facilitator_action(sid, payload, now, change)


def go_to_step(sid: str, payload: dict, now: float) -> Outcome:
    """The facilitator moves to the next or previous step, or jumps to one."""

    def change(orm, session, _person):
        rules.require_status(session.status, "running")
        index = rules.target_step(session.step_index, payload.get("to"), len(method_of(session).steps))
        if index == session.step_index:
            return None  # already there: the step keeps its timer and its writing
        return Outcome(emits=open_step(orm, session, index, now))

    return facilitator_action(sid, payload, now, change)


def end(sid: str, payload: dict, now: float) -> Outcome:
    """The facilitator ends the session; the record stays until it is deleted or expires."""

    def change(orm, session, _person):
        rules.require_status(session.status, "lobby", "running")
        orm.execute(
            update(StepVisit)
            .where(StepVisit.session_id == session.id, StepVisit.ended_at.is_(None))
            .values(ended_at=now)
        )
        session.status = "ended"
        session.ended_at = now
        store_timer(session, Timer.fresh(0))

    return facilitator_action(sid, payload, now, change)


def control_timer(sid: str, payload: dict, now: float) -> Outcome:
    """The facilitator starts, pauses, resumes, extends or resets the step's timer."""

    def change(_orm, session, _person):
        rules.require_status(session.status, "running")
        timer = timer_of(session).control(payload.get("action"), now, payload.get("seconds"))
        store_timer(session, timer)

    return facilitator_action(sid, payload, now, change)


def settings(sid: str, payload: dict, now: float) -> Outcome:
    """The facilitator locks joining, lets time's up move on by itself, or lets each step's timer start itself."""

    def change(_orm, session, _person):
        for name in ("joining_locked", "auto_advance", "auto_start_timer"):
            if name in payload:
                if not isinstance(payload[name], bool):
                    raise RuleViolation("bad_request")
                setattr(session, name, payload[name])

    return facilitator_action(sid, payload, now, change, guarded=False)


def next_turn(sid: str, payload: dict, now: float) -> Outcome:
    """In a turn-order step: start a round, or pass the turn on; each turn gets its own timer."""

    def change(_orm, session, _person):
        rules.require_status(session.status, "running")
        step = method_of(session).steps[session.step_index]
        rule = step.rule("turn_order")
        if rule is None:
            raise RuleViolation("wrong_step")
        if session.turn_order is None:
            people = [Contributor(p.id, p.role) for p in session.participants if not p.removed]
            session.turn_order = rules.turn_order(step, people)
            session.turn_index = 0
        elif session.turn_index + 1 < len(session.turn_order):
            session.turn_index += 1
        else:
            session.turn_order, session.turn_index = None, None
            store_timer(session, Timer.fresh(rules.step_minutes(step, session.step_minutes) * 60))
            return
        store_timer(session, Timer.fresh(rule.seconds_per_speaker).start(now))

    return facilitator_action(sid, payload, now, change)


def set_ready(sid: str, payload: dict, now: float) -> Outcome:
    """A participant or the case bringer says they are ready to move on from the current step (or not)."""
    ready = payload.get("ready")
    if not isinstance(ready, bool):
        raise RuleViolation("bad_request")
    with db.session(write=True) as orm:
        person, session = bound(orm, sid)
        rules.require_status(session.status, "running")
        if person.role not in READY_ROLES:
            raise RuleViolation("forbidden_role")  # the facilitator moves on instead
        person.ready_step = session.step_index if ready else None
        touch(session, now)
        orm.commit()
        state = state_emit(orm, session, now)
        return Outcome(ack={}, emits=[state])


def expire_due_timers(now: float) -> list[Emit]:
    """Mark running timers whose deadline passed as expired; each fires once, whatever the process count.

    Each session is checked again under its row lock: only the process that
    finds the timer still running with the same deadline announces time's up.
    """
    emits: list[Emit] = []
    with db.session() as orm:
        due = orm.execute(
            select(Session.id, Session.timer_deadline).where(
                Session.timer_state == "running", Session.timer_deadline <= now
            )
        ).all()
    for session_id, deadline in due:
        emits.extend(_expire(session_id, deadline, now))
    return emits


def _expire(session_id: str, deadline: float, now: float) -> list[Emit]:
    with db.session(write=True) as orm:
        try:
            session = lock(orm, session_id)
        except RuleViolation:
            return []  # deleted meanwhile
        if session.timer_state != "running" or session.timer_deadline != deadline:
            return []  # another process (or the facilitator) was first
        store_timer(session, timer_of(session).expire())
        emits = [
            Emit(
                "timer:expired",
                {"step_index": session.step_index, "deadline_ms": round(deadline * 1000)},
                room_all(session_id),
            )
        ]
        advance = session.auto_advance and session.status == "running" and session.turn_order is None
        if advance and session.step_index + 1 < len(method_of(session).steps):
            emits.extend(open_step(orm, session, session.step_index + 1, now))
            if session.timer_state != "running":  # moving on by itself always starts the next step's time
                store_timer(session, timer_of(session).start(now))
            session.control += 1  # the step moved: controls sent for the old one are stale
        touch(session, now)
        orm.commit()
        emits.append(state_emit(orm, session, now))
        return emits
