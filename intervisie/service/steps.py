"""Steps, timer and turns: the facilitator's controls, readiness, and time's up."""

from __future__ import annotations

from sqlalchemy import select, update

from .. import session as rules
from ..db import db
from ..models import Contribution, Mark, Session, StepVisit
from ..session import Contributor, RuleViolation, Timer
from . import breakouts, cards
from .base import (
    Emit,
    Outcome,
    bound,
    connected_ids,
    lock,
    method_of,
    require_current,
    room_all,
    store_timer,
    timer_of,
    touch,
)
from .views import (
    READY_ROLES,
    deliver,
    private_step,
    readiness,
    sealed_step,
    state_emit,
    view_one,
    visible,
    waited_for,
)


def facilitator_action(
    sid: str, payload: dict, now: float, change, *, guarded: bool = True, facilitator_only: bool = True
) -> Outcome:
    """Shared frame of every facilitator action: check the role, apply, commit, broadcast state.

    A ``guarded`` control must name the ``control`` count of the state it was
    sent from (see ``require_current``); it bumps the count, so a double click,
    a resend after a reconnect or a second tab acting on an older state is
    refused as ``stale`` and changes nothing. Without ``facilitator_only``,
    ``change`` checks the role itself (a step's rule names who may act).
    """
    with db.session(write=True) as orm:
        person, session = bound(orm, sid)
        if facilitator_only:
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
    if leaving != index:
        breakouts.leave_groups(orm, session, leaving, now)
    session.step_index = index
    orm.add(StepVisit(session_id=session.id, step_index=index, started_at=now))
    breakouts.open_groups(orm, session, index, now)
    timer = Timer.fresh(rules.step_minutes(method.steps[index], session.step_minutes) * 60)
    # A session may let every step open with its time running: nobody has to remember to press start.
    running = rules.opens_running(method.steps[index], session.auto_start_timer)
    store_timer(session, timer.start(now) if running else timer)
    session.turn_order = None
    session.turn_index = None
    session.spotlight_id = None  # the screen's spotlight belongs to the step it was chosen in
    go_on_without(orm, session, now)  # a step opened while someone is away goes on without them
    reveal = []
    if leaving != index and sealed_step(session, leaving):
        reveal = reveal_step(orm, session, leaving)  # nothing written stays sealed once the group moves on
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


def reveal_step(orm, session: Session, index: int) -> list[Emit]:
    """Open what everyone wrote in a 'reveal together' step to all at once, each to who may see it."""
    session.revealed_steps = [*(session.revealed_steps or []), index]
    written = orm.scalars(
        select(Contribution)
        .where(Contribution.session_id == session.id, Contribution.step_index == index)
        .order_by(Contribution.created_at, Contribution.id)
    ).all()
    emits: list[Emit] = []
    for c in written:
        emits.extend(deliver(orm, session, c, view_one(orm, session, c, full=True)))
    return emits


def reveal(sid: str, payload: dict, now: float) -> Outcome:
    """The facilitator reveals what everyone wrote in the current 'reveal together' step, all at once."""

    def change(orm, session, _person):
        rules.require_status(session.status, "running")
        if not method_of(session).steps[session.step_index].rule("reveal_together"):
            raise RuleViolation("wrong_step")
        if not sealed_step(session, session.step_index):
            raise RuleViolation("already_revealed")
        return Outcome(emits=reveal_step(orm, session, session.step_index))

    return facilitator_action(sid, payload, now, change)


def loop_back(sid: str, payload: dict, now: float) -> Outcome:
    """Whom the step's ``loop_back`` rule names (the case bringer) takes the group back to an earlier step."""

    def change(orm, session, person):
        rules.require_status(session.status, "running")
        index = rules.loop_target(method_of(session), session.step_index, person.role)
        return Outcome(emits=open_step(orm, session, index, now))

    return facilitator_action(sid, payload, now, change, facilitator_only=False)


def lacks_case_bringer(session: Session, index: int) -> bool:
    """Whether step ``index`` needs a case bringer and nobody is one (a case round has not chosen yet)."""
    has_one = any(p.role == "case_bringer" and not p.removed for p in session.participants)
    return not has_one and rules.needs_case_bringer(method_of(session), index)


def require_case_bringer(session: Session, index: int) -> None:
    """Refuse to open step ``index`` without a case bringer, unless a case round is still to come."""
    if lacks_case_bringer(session, index):
        raise RuleViolation("needs_case_bringer")


def start(sid: str, payload: dict, now: float) -> Outcome:
    """The facilitator starts the session at its first step (a case bringer must be assigned, unless a
    case round chooses one)."""

    def change(orm, session, _person):
        rules.require_status(session.status, "lobby")
        require_case_bringer(session, 0)
        session.status = "running"
        session.started_at = now
        return Outcome(emits=open_step(orm, session, 0, now))

    return facilitator_action(sid, payload, now, change)


def go_to_step(sid: str, payload: dict, now: float) -> Outcome:
    """The facilitator moves to the next or previous step, or jumps to one.

    "next" may first need ``confirm: true`` (see ``session.check_advance``);
    "prev" and a jump to a step picked in the plan never do.
    """

    def change(orm, session, _person):
        rules.require_status(session.status, "running")
        index = rules.target_step(session.step_index, payload.get("to"), len(method_of(session).steps))
        if payload.get("to") == "next":
            ready = readiness(session)
            confirmed = payload.get("confirm", False)
            busy = breakouts.busy_groups(orm, session)
            rules.check_advance(ready["count"], ready["total"], unmarked(orm, session), confirmed, busy)
        if index == session.step_index:
            return None  # already there: the step keeps its timer and its writing
        require_case_bringer(session, index)
        return Outcome(emits=open_step(orm, session, index, now))

    return facilitator_action(sid, payload, now, change)


def unmarked(orm, session: Session) -> bool:
    """Whether the current step has the case bringer mark, there is something to mark, and they marked none."""
    step = method_of(session).steps[session.step_index]
    marking = [r for r in step.rules_of("marks") if "case_bringer" in r.by]
    bringer = next((p for p in session.participants if p.role == "case_bringer" and not p.removed), None)
    if not marking or bringer is None:
        return False
    kinds = {r.kind for r in marking}
    markable = select(Contribution.id).where(
        Contribution.session_id == session.id,
        Contribution.kind.in_(kinds),
        Contribution.hidden.is_(False),
        Contribution.step_index <= session.step_index,
    )
    if orm.scalar(markable.limit(1)) is None:
        return False
    marked = select(Mark.contribution_id).where(
        Mark.participant_id == bringer.id,
        Mark.contribution_id.in_(markable),
        Mark.value.in_({v for r in marking for v in r.values}),
    )
    return orm.scalar(marked.limit(1)) is None


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
    """The facilitator starts, pauses, resumes, extends or resets the step's timer.

    In a breakouts step, pause, resume and add reach every group's own clock
    too (``breakouts.control_groups``); pausing or resuming the groups works
    even when the step's timer itself is not running or not paused.
    """

    def change(orm, session, _person):
        rules.require_status(session.status, "running")
        action, seconds = payload.get("action"), payload.get("seconds")
        try:
            timer = timer_of(session).control(action, now, seconds)
        except RuleViolation as refused:
            held = refused.code in ("timer_not_running", "timer_not_paused")
            if not held or not breakouts.control_groups(orm, session, action, now):
                raise
            return
        store_timer(session, timer)
        breakouts.control_groups(orm, session, action, now, seconds)
        if timer.state == "running":  # running the time again while someone is away goes on without them
            go_on_without(orm, session, now)

    return facilitator_action(sid, payload, now, change)


def settings(sid: str, payload: dict, now: float) -> Outcome:
    """The facilitator locks joining, lets time's up move on by itself, lets each step's timer start
    itself, or names a co-facilitator (a participant's id, or None for nobody)."""

    def change(_orm, session, _person):
        for name in ("joining_locked", "auto_advance", "auto_start_timer"):
            if name in payload:
                if not isinstance(payload[name], bool):
                    raise RuleViolation("bad_request")
                setattr(session, name, payload[name])
        if "co_facilitator_id" in payload:
            chosen = payload["co_facilitator_id"]
            if chosen is not None and not any(
                p.id == chosen and p.role == "participant" and not p.removed for p in session.participants
            ):
                raise RuleViolation("unknown_participant")
            session.co_facilitator_id = chosen

    return facilitator_action(sid, payload, now, change, guarded=False)


def show_on_screen(sid: str, payload: dict, now: float) -> Outcome:
    """The facilitator shows one contribution large on the shared screen (``spotlight``: its id, or
    None to clear it) and/or the step's instructions (``instructions``: bool)."""

    def change(orm, session, _person):
        rules.require_status(session.status, "running")
        if "instructions" in payload:
            if not isinstance(payload["instructions"], bool):
                raise RuleViolation("bad_request")
            session.screen_instructions = payload["instructions"]
        if "spotlight" in payload:
            chosen = payload["spotlight"]
            if chosen is not None:
                if not isinstance(chosen, str):
                    raise RuleViolation("bad_request")
                c = orm.get(Contribution, chosen)
                # Only what the whole room may see can go on the screen.
                if c is None or c.session_id != session.id or not visible(session, c, None, "screen"):
                    raise RuleViolation("unknown_contribution")
            session.spotlight_id = chosen

    return facilitator_action(sid, payload, now, change, guarded=False)


# --- waiting for a key person -----------------------------------------------------------


def pause_for_absence(orm, session: Session, now: float) -> bool:
    """Pause a running timer while the facilitator or the case bringer is away past the grace period.

    Called where presence is decided (the grace recheck), under the session's
    row lock: whichever process checks first pauses, the others find the timer
    paused and change nothing. True when it paused.
    """
    timer = timer_of(session)
    if session.absence_paused or timer.state != "running" or timer.is_due(now):
        return False
    if not waited_for(session, connected_ids(orm, session.id, now), now):
        return False
    store_timer(session, timer.pause(now))
    breakouts.control_groups(orm, session, "pause", now)
    session.absence_paused = True
    session.control += 1  # the timer changed under the controls
    touch(session, now)
    return True


def back_again(orm, session: Session, person_id: str, now: float) -> None:
    """Someone came back: a later drop counts again; the time runs on when nobody is waited for."""
    if person_id in (session.gone_on or []):
        session.gone_on = [i for i in session.gone_on if i != person_id] or None
    if session.absence_paused and not waited_for(session, connected_ids(orm, session.id, now), now):
        resume_after_absence(orm, session, now)


def resume_after_absence(orm, session: Session, now: float) -> None:
    """End a pause for absence: a timer still paused runs on (one resumed or reset by hand is left),
    and so do the breakout groups' clocks it paused."""
    if session.timer_state == "paused":
        store_timer(session, timer_of(session).resume(now))
        breakouts.control_groups(orm, session, "resume", now)
        session.control += 1
    session.absence_paused = False


def go_on_without(orm, session: Session, now: float) -> list[str]:
    """Stop waiting for whoever is away now; a timer paused for them runs on. The ids gone on without."""
    away = [p.id for p in waited_for(session, connected_ids(orm, session.id, now), now)]
    if away:
        session.gone_on = [*(session.gone_on or []), *away]
    if session.absence_paused:
        resume_after_absence(orm, session, now)
    return away


def go_on(sid: str, payload: dict, now: float) -> Outcome:
    """The facilitator (or the co-facilitator who took over) goes on without the key people away."""

    def change(orm, session, _person):
        rules.require_status(session.status, "running")
        if not go_on_without(orm, session, now):
            raise RuleViolation("nobody_away")

    return facilitator_action(sid, payload, now, change)


def next_turn(sid: str, payload: dict, now: float) -> Outcome:
    """In a turn-order step: start a round, or pass the turn on; each turn gets its own timer."""

    def change(_orm, session, _person):
        rules.require_status(session.status, "running")
        step = method_of(session).steps[session.step_index]
        if step.rule("turn_order") is None:
            raise RuleViolation("wrong_step")
        if session.turn_order is None:
            people = [Contributor(p.id, p.role) for p in session.participants if not p.removed]
            session.turn_order = rules.turn_order(step, people)
            session.turn_index = -1
        pass_turn(session, step, now)

    return facilitator_action(sid, payload, now, change)


def pass_turn(session: Session, step, now: float) -> None:
    """Give the next speaker of the round the floor and their own running timer, or end the round."""
    if session.turn_index + 1 < len(session.turn_order):
        session.turn_index += 1
        store_timer(session, Timer.fresh(step.rule("turn_order").seconds_per_speaker).start(now))
    else:
        session.turn_order, session.turn_index = None, None
        store_timer(session, Timer.fresh(rules.step_minutes(step, session.step_minutes) * 60))


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
    return emits + breakouts.expire_due_groups(now)  # each breakout group's own phase timer


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
        steps = method_of(session).steps
        step = steps[session.step_index]
        in_round = session.turn_order is not None
        if in_round and step.rule("turn_order").auto_pass:  # a speaker's seconds are up: the next one's turn
            pass_turn(session, step, now)
            session.control += 1  # a 'next turn' sent for the speaker before is stale
        advance = rules.moves_on_by_itself(step, session.auto_advance)
        advance = advance and session.status == "running" and not in_round
        advance = advance and session.step_index + 1 < len(steps)
        # A case round that has not chosen yet waits for its choice, as 'next step' would.
        if advance and not lacks_case_bringer(session, session.step_index + 1):
            emits.extend(open_step(orm, session, session.step_index + 1, now))
            if session.timer_state != "running":  # moving on by itself always starts the next step's time
                store_timer(session, timer_of(session).start(now))
            session.control += 1  # the step moved: controls sent for the old one are stale
        touch(session, now)
        orm.commit()
        emits.append(state_emit(orm, session, now))
        return emits
