"""Breakout groups: forming them when their step opens, writing in them, moving a group on, time's up.

The rules are in ``intervisie/breakouts.py``; the groups persist in
``BreakoutGroup`` rows, each with its own position (round, phase) and its own
timer, read by ``groups``. Every change commits before it returns, and
everyone hears the new ``session:state`` (progress, never what a group wrote).
"""

from __future__ import annotations

from sqlalchemy import select

from .. import breakouts
from .. import session as rules
from ..db import db
from ..models import BreakoutGroup, Participant, Session
from ..session import Contributor, RuleViolation, Timer
from .base import Emit, Member, Outcome, Seat, bound, lock, new_id, room_all, touch
from .groups import breakouts_rule, group_of, group_timer, groups_of, store_group_timer
from .views import state_emit


def phase_timer(rule, phase: int, now: float) -> Timer:
    """A fresh phase's own countdown, running from now."""
    return Timer.fresh(rule.phases[phase].minutes * 60).start(now)


def open_groups(orm, session: Session, index: int, now: float) -> None:
    """Step ``index`` opens: form its groups, or let the groups it had run on where they were.

    The people who take part (everyone but the facilitator) are split in joining
    order (``breakouts.split``); each group starts its first round's first phase.
    """
    rule = breakouts_rule(session, index)
    if rule is None:
        return
    existing = groups_of(orm, session.id, index)
    if existing:
        for group in existing:
            if group.timer_state == "paused":
                store_group_timer(group, group_timer(group).resume(now))
        return
    people = [p.id for p in session.participants if not p.removed and p.role != "facilitator"]
    for number, members in enumerate(breakouts.split(people, rule.size), start=1):
        group = BreakoutGroup(
            id=new_id(), session_id=session.id, step_index=index, number=number, members=members
        )
        group.round, group.phase, group.done = 0, 0, False
        store_group_timer(group, phase_timer(rule, 0, now))
        orm.add(group)
    orm.flush()


def leave_groups(orm, session: Session, index: int, now: float) -> None:
    """Step ``index`` closes: its groups' timers pause where they are, to run on if the step opens again."""
    if breakouts_rule(session, index) is None:
        return
    for group in groups_of(orm, session.id, index):
        if group.timer_state == "running":
            timer = group_timer(group)
            store_group_timer(group, timer.expire() if timer.is_due(now) else timer.pause(now))


def busy_groups(orm, session: Session) -> int:
    """How many groups of the current step have not finished their rounds (0 outside breakouts)."""
    if breakouts_rule(session, session.step_index) is None:
        return 0
    return sum(1 for g in groups_of(orm, session.id, session.step_index) if not g.done)


def seat_newcomer(orm, session: Session, person: Participant) -> None:
    """Someone joins while the groups meet: they join the smallest group not done yet, and get a round
    of their own as its last client. Nothing happens outside breakouts or when every group is done."""
    if session.status != "running" or breakouts_rule(session, session.step_index) is None:
        return
    open_ones = [g for g in groups_of(orm, session.id, session.step_index) if not g.done]
    if not open_ones:
        return
    chosen = open_ones[breakouts.smallest([g.members for g in open_ones])]
    chosen.members = [*chosen.members, person.id]


def writing_in_group(
    orm, session: Session | Seat, person: Member | Participant | None, kind
) -> tuple[str, int]:
    """Check that ``person`` may write ``kind`` in their group now; their group's id and round.

    ``person`` None (the facilitator writing for someone without a device) is
    in no group: ``not_in_group``. See ``breakouts.check_group_writing``.
    """
    rules.require_status(session.status, "running")
    rule = breakouts_rule(session, session.step_index)
    groups = groups_of(orm, session.id, session.step_index)
    group = group_of(groups, person.id if person else None)
    who = Contributor(person.id, person.role) if person else Contributor("", "participant")
    members = group.members if group else []
    round_, phase, done = (group.round, group.phase, group.done) if group else (0, 0, False)
    breakouts.check_group_writing(rule, members, round_, phase, done, who, kind)
    return group.id, group.round


def advance(group: BreakoutGroup, rule, now: float) -> None:
    """Move ``group`` to its next phase (its own timer running), its next round, or done."""
    position = breakouts.next_position(group.round, group.phase, len(group.members), len(rule.phases))
    if position is None:
        group.done = True
        store_group_timer(group, Timer.fresh(0))
        return
    group.round, group.phase = position
    store_group_timer(group, phase_timer(rule, group.phase, now))


def move_on(sid: str, payload: dict, now: float) -> Outcome:
    """The round's client or the facilitator moves group ``group`` on to its next phase.

    ``round`` and ``phase`` are where the sender saw the group: a move sent for
    another position (a double click, time's up in between) is ``stale``.
    Everyone gets ``session:state``.
    """
    group_id, round_, phase = payload.get("group"), payload.get("round"), payload.get("phase")
    if not isinstance(group_id, str) or type(round_) is not int or type(phase) is not int:
        raise RuleViolation("bad_request")
    with db.session(write=True) as orm:
        person, session = bound(orm, sid)
        rules.require_status(session.status, "running")
        rule = breakouts_rule(session, session.step_index)
        if rule is None:
            raise RuleViolation("wrong_step")
        group = orm.get(BreakoutGroup, group_id)
        if group is None or group.session_id != session.id or group.step_index != session.step_index:
            raise RuleViolation("unknown_group")
        breakouts.check_move_on(Contributor(person.id, person.role), group.members, group.round, group.done)
        if (round_, phase) != (group.round, group.phase):
            raise RuleViolation("stale")
        advance(group, rule, now)
        touch(session, now)
        orm.commit()
        state = state_emit(orm, session, now)
        return Outcome(ack={"state": state.data}, emits=[state])


def expire_due_groups(now: float) -> list[Emit]:
    """Groups whose phase time is up move on by themselves; each fires once, whatever the process count."""
    with db.session() as orm:
        due = orm.execute(
            select(BreakoutGroup.id, BreakoutGroup.session_id, BreakoutGroup.timer_deadline).where(
                BreakoutGroup.timer_state == "running", BreakoutGroup.timer_deadline <= now
            )
        ).all()
    emits: list[Emit] = []
    for group_id, session_id, deadline in due:
        emits.extend(_expire_group(group_id, session_id, deadline, now))
    return emits


def _expire_group(group_id: str, session_id: str, deadline: float, now: float) -> list[Emit]:
    with db.session(write=True) as orm:
        try:
            session = lock(orm, session_id)
        except RuleViolation:
            return []  # deleted meanwhile
        group = orm.get(BreakoutGroup, group_id)
        if group is None or group.timer_state != "running" or group.timer_deadline != deadline:
            return []  # another process (or a move on) was first
        rule = breakouts_rule(session, group.step_index)
        if session.status == "running" and session.step_index == group.step_index and rule is not None:
            advance(group, rule, now)
        else:
            store_group_timer(group, group_timer(group).expire())  # the session left the step or ended
        emits = [
            Emit(
                "breakout:expired",
                {"group": group.id, "deadline_ms": round(deadline * 1000)},
                room_all(session_id),
            )
        ]
        touch(session, now)
        orm.commit()
        emits.append(state_emit(orm, session, now))
        return emits
