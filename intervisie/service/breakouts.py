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
from .base import Emit, Member, Outcome, Seat, bound, lock, new_id, room_all, store_timer, timer_of, touch
from .groups import breakouts_rule, gone_of, group_of, groups_of, taking_part
from .views import state_emit


def phase_timer(rule, phase: int, now: float) -> Timer:
    """A fresh phase's own countdown, running from now."""
    return Timer.fresh(rule.phases[phase].minutes * 60).start(now)


def open_groups(orm, session: Session, index: int, now: float) -> None:
    """Step ``index`` opens: form its groups, or let the groups it had run on where they were.

    The people who take part (everyone but the facilitator) are split in joining
    order (``breakouts.split``); each group starts its first round's first phase.
    Groups that run on take in whoever joined meanwhile (see ``seat``).
    """
    rule = breakouts_rule(session, index)
    if rule is None:
        return
    existing = groups_of(orm, session.id, index)
    if existing:
        for group in existing:
            if group.timer_state == "paused":
                store_timer(group, timer_of(group).resume(now))
        seated = {m for g in existing for m in g.members}
        for person_id in taking_part(session):
            if person_id not in seated:
                seat(session, existing, person_id)
        return
    for number, members in enumerate(breakouts.split(taking_part(session), rule.size), start=1):
        group = BreakoutGroup(
            id=new_id(), session_id=session.id, step_index=index, number=number, members=members
        )
        group.round, group.phase, group.done = 0, 0, False
        store_timer(group, phase_timer(rule, 0, now))
        orm.add(group)
    orm.flush()


def leave_groups(orm, session: Session, index: int, now: float) -> None:
    """Step ``index`` closes: its groups' timers pause where they are, to run on if the step opens again."""
    if breakouts_rule(session, index) is None:
        return
    for group in groups_of(orm, session.id, index):
        if group.timer_state == "running":
            timer = timer_of(group)
            store_timer(group, timer.expire() if timer.is_due(now) else timer.pause(now))


def busy_groups(orm, session: Session) -> int:
    """How many groups of the current step have not finished their rounds (0 outside breakouts)."""
    if breakouts_rule(session, session.step_index) is None:
        return 0
    return sum(1 for g in groups_of(orm, session.id, session.step_index) if not g.done)


def seat(session: Session, groups: list[BreakoutGroup], person_id: str) -> None:
    """``person_id`` joins the group not done yet with the fewest members still there, and gets a round
    of their own as its last client. Nothing happens when every group is done."""
    open_ones = [g for g in groups if not g.done]
    if not open_ones:
        return
    gone = gone_of(session)
    chosen = open_ones[breakouts.smallest([breakouts.still_there(g.members, gone) for g in open_ones])]
    chosen.members = [*chosen.members, person_id]


def seat_newcomer(orm, session: Session, person: Participant) -> None:
    """Someone joins (or hands the lead over) while the groups meet: they take a seat (see ``seat``),
    unless they have one. Nothing happens outside breakouts; a step with groups that opens again later
    seats whoever joined meanwhile."""
    if session.status != "running" or breakouts_rule(session, session.step_index) is None:
        return
    groups = groups_of(orm, session.id, session.step_index)
    if group_of(groups, person.id) is None:
        seat(session, groups, person.id)


def hand_over(orm, session: Session, lead: Participant, former: Participant, now: float) -> None:
    """The lead passed from ``former`` to ``lead``: the new facilitator is out of their group (as in
    ``drop_member``), the former one joins a group meeting now (as in ``seat_newcomer``)."""
    drop_member(orm, session, lead.id, now)
    seat_newcomer(orm, session, former)


def drop_member(orm, session: Session, person_id: str, now: float) -> None:
    """``person_id`` was removed or now facilitates: their round is skipped in every group they were in.

    A group whose current round was theirs goes on to the next round whose
    client is still there, at its first phase with a fresh clock (paused if
    the group's clock was not running), or is done. ``members`` keeps them, so
    the record still names each round's client.
    """
    gone = gone_of(session) | {person_id}
    for group in orm.scalars(select(BreakoutGroup).where(BreakoutGroup.session_id == session.id)):
        if group.done or breakouts.client_of(group.members, group.round) != person_id:
            continue
        rule = breakouts_rule(session, group.step_index)
        following = breakouts.next_round(
            group.round + 1, len(group.members), breakouts.skipped_rounds(group.members, gone)
        )
        if following is None:
            finish(group)
            continue
        timer = phase_timer(rule, 0, now)
        group.round, group.phase = following, 0
        store_timer(group, timer if group.timer_state == "running" else timer.pause(now))


def control_groups(orm, session: Session, action, now: float, seconds=None) -> int:
    """The facilitator's timer ``action`` in a breakouts step reaches every group's own clock too.

    "pause" pauses each running clock (one already due is left to move its
    group on), "resume" runs each paused one on, "add" gives each running or
    paused clock ``seconds`` (60 when None) more; other actions leave them.
    Groups that are done are left. The number of clocks changed (0 outside
    breakouts).
    """
    if breakouts_rule(session, session.step_index) is None:
        return 0
    changed = 0
    for group in groups_of(orm, session.id, session.step_index):
        timer = timer_of(group)
        if group.done:
            continue
        if action == "pause" and timer.state == "running" and not timer.is_due(now):
            timer = timer.pause(now)
        elif action == "resume" and timer.state == "paused":
            timer = timer.resume(now)
        elif action == "add" and timer.state in ("running", "paused") and not timer.is_due(now):
            timer = timer.add(60 if seconds is None else seconds, now)
        else:
            continue
        store_timer(group, timer)
        changed += 1
    return changed


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


def finish(group: BreakoutGroup) -> None:
    """``group`` has held its last round."""
    group.done = True
    store_timer(group, Timer.fresh(0))


def advance(group: BreakoutGroup, rule, gone: set[str], now: float) -> None:
    """Move ``group`` to its next phase (its own timer running), its next round whose client is not
    ``gone``, or done."""
    skipped = breakouts.skipped_rounds(group.members, gone)
    position = breakouts.next_position(
        group.round, group.phase, len(group.members), len(rule.phases), skipped
    )
    if position is None:
        finish(group)
        return
    group.round, group.phase = position
    store_timer(group, phase_timer(rule, group.phase, now))


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
        advance(group, rule, gone_of(session), now)
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
            advance(group, rule, gone_of(session), now)
        else:
            store_timer(group, timer_of(group).expire())  # the session left the step or ended
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
