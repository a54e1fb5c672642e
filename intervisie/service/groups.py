"""Reading breakout groups: a step's groups, a group's timer, and the groups as everyone may see them.

Below ``views`` (which shows the groups in the state and delivers what a
group writes to its members); the actions on groups are in ``breakouts``.
"""

from __future__ import annotations

from sqlalchemy import select

from .. import breakouts
from ..methods import Rule
from ..models import BreakoutGroup, Session
from .base import method_of, timer_of


def groups_of(orm, session_id: str, step_index: int) -> list[BreakoutGroup]:
    """The groups of one step, by number."""
    return list(
        orm.scalars(
            select(BreakoutGroup)
            .where(BreakoutGroup.session_id == session_id, BreakoutGroup.step_index == step_index)
            .order_by(BreakoutGroup.number)
        )
    )


def breakouts_rule(session, step_index: int) -> Rule | None:
    """The ``breakouts`` rule of step ``step_index``, if it has one."""
    steps = method_of(session).steps
    return steps[step_index].rule("breakouts") if 0 <= step_index < len(steps) else None


def gone_of(session: Session) -> set[str]:
    """The ids of the people out of their groups, their rounds skipped: those removed from the session
    and the facilitator (a member who took over the lead facilitates instead)."""
    return {p.id for p in session.participants if p.removed or p.role == "facilitator"}


def taking_part(session: Session) -> list[str]:
    """The ids of the people who take part in breakout groups, in joining order: all but those gone."""
    gone = gone_of(session)
    return [p.id for p in session.participants if p.id not in gone]


def group_of(groups: list[BreakoutGroup], person_id: str | None) -> BreakoutGroup | None:
    """The group ``person_id`` is a member of, if any."""
    return next((g for g in groups if person_id in g.members), None)


def breakouts_view(orm, session: Session, now: float) -> dict | None:
    """The current step's groups as everyone may see them (None: not a breakouts step).

    Who is in which group (``members``: those still there), whose round it
    is (``round``: its index among all who were ever members, as
    ``breakout:next`` names it; ``rounds``: how many it holds in all), the
    phase and its own countdown, and whether the group is done: progress,
    never what a group wrote.
    """
    rule = breakouts_rule(session, session.step_index)
    if rule is None or session.status == "lobby":
        return None
    gone = gone_of(session)
    return {
        "size": rule.size,
        "groups": [
            {
                "id": g.id,
                "number": g.number,
                "members": breakouts.still_there(g.members, gone),
                "round": g.round,
                "rounds": breakouts.rounds_held(g.members, g.round, gone),
                "phase": g.phase,
                "client_id": None if g.done else g.members[g.round],
                "done": g.done,
                "timer": timer_of(g).view(now),
            }
            for g in groups_of(orm, session.id, session.step_index)
        ],
    }
