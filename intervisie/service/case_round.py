"""The case round: the group votes for one of the pitched cases, or the facilitator decides.

Votes stay hidden until everyone voted (the state says only how many did).
The chosen pitch's author becomes the case bringer the way the facilitator
makes someone case bringer (``joining.make_case_bringer``), so every rule keyed
to the case bringer follows, and the pitch becomes the case's opening text.
"""

from __future__ import annotations

from .. import session as rules
from ..models import Contribution, Session
from ..session import RuleViolation
from .base import Emit, Outcome, method_of, new_id
from .joining import make_case_bringer
from .steps import facilitator_action
from .views import case_voters, case_votes, deliver, view_one, visible


def vote(sid: str, payload: dict, now: float) -> Outcome:
    """Anyone in the session votes for the pitch ``id``, or moves their vote to it; one vote each.

    When the last voter has voted and one pitch has the most votes, it is chosen
    (see ``decide``); a tie, or a pitch of the facilitator's, waits for the facilitator.
    The acknowledgement has ``my_vote``; everyone gets ``session:state``.
    """

    def change(orm, session, person):
        step = method_of(session).steps[session.step_index]
        rules.check_case_choice(step, session.status, session.chosen_case_id, person.role, by_vote=True)
        rules.check_vote_open(case_votes(session), case_voters(session), person.id)
        pitch = pitch_of(orm, session, payload.get("id"), person)
        author_of(session, pitch)  # a pitch whose author has left takes no votes
        session.case_votes = {**(session.case_votes or {}), person.id: pitch.id}
        outcome = Outcome(ack={"my_vote": pitch.id})
        winner = rules.vote_winner(case_votes(session), case_voters(session))
        author = present_author(session, orm.get(Contribution, winner)) if winner is not None else None
        if author is not None and author.role != "facilitator":  # else the facilitator decides
            outcome.emits = decide(orm, session, orm.get(Contribution, winner), now)
        return outcome

    return facilitator_action(sid, payload, now, change, guarded=False, facilitator_only=False)


def choose(sid: str, payload: dict, now: float) -> Outcome:
    """The facilitator chooses the pitch ``id`` (a round they decide, a tie, someone away); see ``decide``."""

    def change(orm, session, person):
        step = method_of(session).steps[session.step_index]
        rules.check_case_choice(step, session.status, session.chosen_case_id, person.role, by_vote=False)
        return Outcome(emits=decide(orm, session, pitch_of(orm, session, payload.get("id"), person), now))

    return facilitator_action(sid, payload, now, change, guarded=False)


def pitch_of(orm, session: Session, pitch_id, person) -> Contribution:
    """The pitch ``pitch_id`` names, if this person may see it: ``unknown_contribution``, ``not_a_pitch``."""
    if not isinstance(pitch_id, str):
        raise RuleViolation("bad_request")
    pitch = orm.get(Contribution, pitch_id)
    if pitch is None or pitch.session_id != session.id or pitch.hidden:
        raise RuleViolation("unknown_contribution")
    if not visible(session, pitch, person.id, person.role):
        raise RuleViolation("unknown_contribution")
    if pitch.kind != "case_proposal":
        raise RuleViolation("not_a_pitch")
    return pitch


def present_author(session: Session, pitch: Contribution):
    """Who pitched it, if they are still in the session; else None."""
    return next((p for p in session.participants if p.id == pitch.participant_id and not p.removed), None)


def author_of(session: Session, pitch: Contribution):
    """Who pitched it, if they are still in the session (``pitch_author_gone``)."""
    author = present_author(session, pitch)
    if author is None:
        raise RuleViolation("pitch_author_gone")
    return author


def decide(orm, session: Session, pitch: Contribution, now: float) -> list[Emit]:
    """Choose ``pitch``: its author becomes the case bringer and its text the case's opening text,
    written in the first step from here that takes the case. The facilitator's own pitch cannot be
    chosen while they facilitate (``author_facilitates``)."""
    author = author_of(session, pitch)
    if author.role == "facilitator":
        raise RuleViolation("author_facilitates")
    session.chosen_case_id = pitch.id
    emits = make_case_bringer(orm, session, author)
    steps = method_of(session).steps
    at = next((i for i in range(session.step_index, len(steps)) if "case" in steps[i].contribute), None)
    at = session.step_index if at is None else at
    case = Contribution(
        id=new_id(),
        session_id=session.id,
        client_id=new_id(),
        participant_id=author.id,
        step_id=steps[at].id,
        step_index=at,
        created_at=now,
        hidden=False,
        kind="case",
        text=pitch.text,
    )
    orm.add(case)
    orm.flush()
    return emits + deliver(orm, session, case, view_one(orm, session, case, full=True))
