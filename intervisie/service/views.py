"""What each viewer sees: the shared state, a full snapshot, one contribution, and who receives it."""

from __future__ import annotations

from collections import Counter

from flask import current_app
from sqlalchemy import func, select

from .. import breakouts, cards
from .. import session as rules
from ..decks import Deck, deck_from_data
from ..methods import Method
from ..models import BreakoutGroup, Connection, Contribution, Mark, Participant, Session, StepVisit
from .base import (
    Emit,
    Outcome,
    cfg,
    connected_ids,
    kept_with,
    method_of,
    room_all,
    room_person,
    timer_of,
    to_ms,
)
from .groups import breakouts_view

# Who may say they are done with a step; the facilitator decides when to move on instead.
READY_ROLES = ("participant", "case_bringer")
# Whom the group waits for when they drop out: the step timer pauses until they are back.
KEY_ROLES = ("facilitator", "case_bringer")


def waited_for(session: Session, connected: set[str], now: float) -> list[Participant]:
    """The facilitator and case bringer who are away past the grace period, in a running session,
    unless the group chose to go on without them (``Session.gone_on``)."""
    if session.status != "running":
        return []
    grace, gone = cfg("PRESENCE_GRACE_SECONDS"), set(session.gone_on or [])
    return [
        p
        for p in session.participants
        if not p.removed
        and p.role in KEY_ROLES
        and p.id not in gone
        and rules.presence(p.id in connected, p.left_at, now, grace) == "away"
    ]


def standing(session: Session, person_id: str | None, role: str) -> str | None:
    """``person_id`` if that person is still in the session with ``role``; else None."""
    found = next((p for p in session.participants if p.id == person_id and not p.removed), None)
    return person_id if found is not None and found.role == role else None


def readiness(session: Session) -> dict:
    """``count`` of the ``total`` who can say they are done with the current step that have said so."""
    markers = [p for p in session.participants if not p.removed and p.role in READY_ROLES]
    return {"count": sum(1 for p in markers if p.ready_step == session.step_index), "total": len(markers)}


def case_voters(session: Session) -> set[str]:
    """Who votes in a case round: everyone in the session, one vote each."""
    return {p.id for p in session.participants if not p.removed}


def case_votes(session: Session) -> dict[str, str]:
    """The votes that count (voter id -> pitch id): those of people still in the session."""
    voters = case_voters(session)
    return {voter: pitch for voter, pitch in (session.case_votes or {}).items() if voter in voters}


def case_round_view(session: Session) -> dict | None:
    """The case round as everyone may see it (None: the method has none). ``tally`` (pitch id -> votes)
    stays None until every voter voted or a case is chosen, so nobody follows the crowd."""
    steps = method_of(session).steps
    rounds = [s.rule("case_round") for s in steps if s.rule("case_round")]
    if not rounds:
        return None
    rule = steps[session.step_index].rule("case_round") or rounds[0]
    votes, voters = case_votes(session), case_voters(session)
    done = session.chosen_case_id is not None or voters <= votes.keys()
    return {
        "vote": rule.vote,
        "voted": len(votes),
        "voters": len(voters),
        "chosen": session.chosen_case_id,
        "tally": dict(Counter(votes.values())) if done else None,
    }


def state_view(orm, session: Session, now: float) -> dict:
    """Everything about the session that is the same for every viewer."""
    method = method_of(session)
    connected = connected_ids(orm, session.id, now)
    grace = cfg("PRESENCE_GRACE_SECONDS")
    visits = orm.scalars(
        select(StepVisit).where(StepVisit.session_id == session.id).order_by(StepVisit.id)
    ).all()
    spent: dict[int, float] = {}
    for visit in visits:
        spent[visit.step_index] = spent.get(visit.step_index, 0.0) + (
            (visit.ended_at or now) - visit.started_at
        )
    # Per-person caps count what was written after this step's last visit ended (a loop back starts
    # anew); None on its first visit: all of it.
    left_before = [v.ended_at for v in visits if v.step_index == session.step_index and v.ended_at]
    waiting = waited_for(session, connected, now)
    return {
        "version": session.version,
        # Facilitator controls send this back; one sent for an older count is refused as stale.
        "control": session.control,
        "server_now_ms": round(now * 1000),
        "session": {
            "id": session.id,
            "code": session.code,
            "title": session.title,
            "lang": session.lang,
            "status": session.status,
            "step_index": session.step_index,
            "joining_locked": session.joining_locked,
            "auto_advance": session.auto_advance,
            "auto_start_timer": session.auto_start_timer,
            # Everyone confirmed the group's agreement on joining; the record waits for the case bringer.
            "confidentiality": session.confidentiality,
            "record_consent": session.record_consent_at is not None,
            "started_at_ms": to_ms(session.started_at),
            "ended_at_ms": to_ms(session.ended_at),
            "caps_count_after_ms": to_ms(max(left_before, default=None)),
        },
        "steps_spent_s": [round(spent.get(i, 0.0)) for i in range(len(method.steps))],
        # Actions agreed in the session this one follows up, for the review step.
        "carried_actions": session.carried_actions or [],
        "timer": timer_of(session).view(now),
        "turn": (
            {"order": session.turn_order, "index": session.turn_index}
            if session.turn_order is not None
            else None
        ),
        # In a 'reveal together' step not yet revealed: how many entries wait (their texts reach only their authors).
        "sealed": sealed_count(orm, session),
        # Card methods: pile and hand sizes, what was played, the quadrant balance; never a hand's cards.
        "cards": public_view(orm, session),
        # The case round: how many voted; the votes per pitch only once all voted or a case is chosen.
        "case_round": case_round_view(session),
        # Breakout groups of this step: members, whose round, the phase and its own timer; no texts.
        "breakouts": breakouts_view(orm, session, now),
        # Who is done with this step, of those who can say so (the facilitator moves on instead).
        "ready": readiness(session),
        # Key people away past the grace period (``since_ms``: when their last connection closed, if
        # known); ``paused``: the timer stopped for them and runs on when they are back.
        "waiting": (
            {
                "people": [{"id": p.id, "name": p.name, "since_ms": to_ms(p.left_at)} for p in waiting],
                "paused": session.absence_paused,
            }
            if waiting
            else None
        ),
        # The participant who may take over when the facilitator is away; and, while they lead,
        # the facilitator they took over from (to hand back to).
        "co_facilitator_id": standing(session, session.co_facilitator_id, "participant"),
        "stood_in_for": standing(session, session.stood_in_for, "participant"),
        # What the shared screen shows besides the feed: one contribution large, the step's instructions.
        "screen": {"spotlight": session.spotlight_id, "instructions": session.screen_instructions},
        "participants": [
            {
                "id": p.id,
                "name": p.name,
                "role": p.role,
                "presence": rules.presence(p.id in connected, p.left_at, now, grace),
                "ready": p.ready_step == session.step_index,
                "agreed": p.agreed_at is not None,
                # A breakout method's member allowed their round into the record.
                "consented": p.consent_at is not None,
            }
            for p in session.participants
            if not p.removed
        ],
    }


def method_view(method: Method, overrides: dict) -> dict:
    """The method as clients show it, in both languages so a language switch needs no reload."""
    return {
        "id": method.id,
        "names": method.names,
        "descriptions": method.descriptions,
        "audience": method.audience,
        "house_rules": {lang: list(items) for lang, items in method.house_rules.items()},
        "steps": [
            {
                "id": s.id,
                "names": s.names,
                "purpose": s.purpose,
                "instructions": s.instructions,
                "minutes": rules.step_minutes(s, overrides),
                "contribute": {kind: list(roles) for kind, roles in s.contribute.items()},
                "rules": [_rule_view(r) for r in s.rules],
            }
            for s in method.steps
        ],
    }


def _rule_view(rule) -> dict:
    view = {"type": rule.type}
    for name in ("kind", "count", "seconds_per_speaker", "hand", "to", "vote", "size"):
        if getattr(rule, name) is not None:
            view[name] = getattr(rule, name)
    for name in ("values", "by", "roles"):
        if getattr(rule, name):
            view[name] = list(getattr(rule, name))
    if rule.auto_pass:
        view["auto_pass"] = True
    if rule.phases:
        view["phases"] = [
            {
                "id": p.id,
                "names": p.names,
                "minutes": p.minutes,
                "client": list(p.client),
                "consultants": list(p.consultants),
                "turned_away": p.turned_away,
            }
            for p in rule.phases
        ]
    return view


def _step_rule(session: Session, step_index: int, rule_type: str) -> bool:
    steps = method_of(session).steps
    return 0 <= step_index < len(steps) and steps[step_index].rule(rule_type) is not None


def private_step(session: Session, step_index: int) -> bool:
    return _step_rule(session, step_index, "write_privately")


def sealed_step(session: Session, step_index: int) -> bool:
    """A 'reveal together' step whose writing the facilitator has not revealed yet."""
    return _step_rule(session, step_index, "reveal_together") and step_index not in (
        session.revealed_steps or []
    )


def sealed_count(orm, session: Session) -> int | None:
    """How many entries wait in the current step to be revealed together; None when it is not such a step."""
    if session.status != "running" or not sealed_step(session, session.step_index):
        return None
    return orm.scalar(
        select(func.count())
        .select_from(Contribution)
        .where(Contribution.session_id == session.id, Contribution.step_index == session.step_index)
    )


def visible(session: Session, c: Contribution, viewer_id: str | None, viewer_role: str) -> bool:
    if c.group_id is not None and not breakouts.sees_group(viewer_role, viewer_id, c.group.members):
        return False  # a breakout group's writing stays within the group (and with the facilitator)
    return rules.visible_to(
        hidden=c.hidden,
        author_id=c.participant_id,
        contribution_step=c.step_index,
        private_step=private_step(session, c.step_index),
        current_step=session.step_index,
        viewer_id=viewer_id,
        viewer_role=viewer_role,
        kind=c.kind,
        sealed=sealed_step(session, c.step_index),
    )


def contribution_view(c: Contribution, names: dict[str, str], marks: list[Mark], *, full: bool) -> dict:
    """One contribution for a client; ``full`` adds what only the author and facilitator see."""
    view = {
        "id": c.id,
        "client_id": c.client_id,
        "step_id": c.step_id,
        "step_index": c.step_index,
        "kind": c.kind,
        "text": c.text,
        "author_id": c.participant_id,
        # Someone without a device, named by the facilitator who typed it in (``entered_by``).
        "author_name": names.get(c.participant_id) or c.author_name or "",
        "entered_by": names.get(c.entered_by),
        "created_at_ms": to_ms(c.created_at),
        "hidden": c.hidden,
        "details": c.details,
        "reply_to": c.reply_to,  # the question an answer belongs to
        "group_id": c.group_id,  # written in this breakout group, in this round
        "round": c.round,
        "marks": [{"by": m.participant_id, "value": m.value} for m in marks],
    }
    if full:
        view["flag"] = c.flag
    return view


def _marks_by_contribution(orm, session_id: str) -> dict[str, list[Mark]]:
    grouped: dict[str, list[Mark]] = {}
    for mark in orm.scalars(select(Mark).where(Mark.session_id == session_id).order_by(Mark.created_at)):
        grouped.setdefault(mark.contribution_id, []).append(mark)
    return grouped


def snapshot(orm, session: Session, viewer: Participant | None, now: float) -> dict:
    """The full state for one viewer (``None``: a shared screen), sent on join and reconnect."""
    viewer_id = viewer.id if viewer else None
    viewer_role = viewer.role if viewer else "screen"
    names = {p.id: p.name for p in session.participants}
    marks = _marks_by_contribution(orm, session.id)
    contributions = orm.scalars(
        select(Contribution)
        .where(Contribution.session_id == session.id)
        .order_by(Contribution.created_at, Contribution.id)
    ).all()
    view = state_view(orm, session, now)
    # The method does not change during a session: it travels in snapshots, not in every state.
    view["method"] = method_view(method_of(session), session.step_minutes)
    view["contributions"] = [
        contribution_view(
            c,
            names,
            marks.get(c.id, []),
            full=viewer_role == "facilitator" or c.participant_id == viewer_id,
        )
        for c in contributions
        if visible(session, c, viewer_id, viewer_role)
    ]
    view["me"] = (
        {"id": viewer.id, "name": viewer.name, "role": viewer.role, "lang": viewer.lang} if viewer else None
    )
    # The case bringer's private signal: for the facilitator, and the case bringer who sent it.
    sent = session.signal
    view["signal"] = sent if sent and (viewer_role == "facilitator" or sent["by"] == viewer_id) else None
    return add_personal(view, session, viewer_id)


def state_emit(orm, session: Session, now: float) -> Emit:
    return Emit("session:state", state_view(orm, session, now), room_all(session.id))


def view_one(orm, session: Session, c: Contribution, *, full: bool) -> dict:
    names = {p.id: p.name for p in session.participants}
    marks = orm.scalars(select(Mark).where(Mark.contribution_id == c.id).order_by(Mark.created_at)).all()
    return contribution_view(c, names, marks, full=full)


def _sids(orm, participant_ids: list[str]) -> list[str]:
    if not participant_ids:
        return []
    return list(orm.scalars(select(Connection.sid).where(Connection.participant_id.in_(participant_ids))))


def published(orm, session: Session, c: Contribution, event: str = "contribution:new") -> Outcome:
    """A committed contribution: its full view as the acknowledgement, and its delivery to the room."""
    full = view_one(orm, session, c, full=True)
    return Outcome(ack={"contribution": full}, emits=deliver(orm, session, c, full, event))


def deliver(
    orm, session: Session, c: Contribution, full: dict, event: str = "contribution:new", sids=None
) -> list[Emit]:
    """Send a contribution (``full``: its view with everything) to exactly those allowed to see it.

    The facilitator and the author get the full view in their own rooms; the
    rest of the room gets the public view (or only the news that it is hidden).
    A note, or writing not yet revealed together, goes to its author alone.
    ``sids`` (participant id -> their connection ids), when already at hand, saves reading them.
    """
    if rules.own_only(c.kind, sealed_step(session, c.step_index)):
        return [Emit(event, full, room_person(c.participant_id))] if c.participant_id else []
    if c.group_id is not None:
        return _deliver_in_group(orm, session, c, full, event)
    insiders = [p.id for p in session.participants if p.role == "facilitator" and not p.removed]
    if c.participant_id and c.participant_id not in insiders and not c.hidden:
        insiders.append(c.participant_id)
    emits = [Emit(event, full, room_person(pid)) for pid in insiders]
    skip = _sids(orm, insiders) if sids is None else [s for pid in insiders for s in sids.get(pid, ())]
    if c.hidden:
        emits.append(Emit("contribution:hidden", {"id": c.id}, room_all(session.id), skip))
    elif not private_step(session, c.step_index) or c.step_index != session.step_index:
        public = {k: v for k, v in full.items() if k != "flag"}
        emits.append(Emit(event, public, room_all(session.id), skip))
    return emits


def _deliver_in_group(orm, session, c: Contribution, full: dict, event: str) -> list[Emit]:
    """What a breakout group wrote: the full view to the facilitator and the author, the public view to
    the other members (or only the news that it is hidden); never to the whole room or the screen."""
    members = orm.get(BreakoutGroup, c.group_id).members
    insiders = {p.id for p in session.participants if p.role == "facilitator" and not p.removed}
    if c.participant_id and not c.hidden:
        insiders.add(c.participant_id)
    public = {"id": c.id} if c.hidden else {k: v for k, v in full.items() if k != "flag"}
    others_event = "contribution:hidden" if c.hidden else event
    return [Emit(event, full, room_person(pid)) for pid in sorted(insiders)] + [
        Emit(others_event, public, room_person(pid)) for pid in members if pid not in insiders
    ]


def decks() -> dict[str, Deck]:
    return current_app.extensions.get("intervisie_decks", {})


def deck_of(session: Session) -> Deck | None:
    """The session's deck as it was when the session was created; None for a session without cards.

    The deck is kept with the session (``Session.deck``), so replacing a deck
    file never leaves hands or the pile with cards that no longer exist.
    Sessions from before that fall back to the installed deck of that id.
    """
    kept = kept_with(session, "deck", deck_from_data)
    if kept is not None:
        return kept
    deck_id = session.deck_id or method_of(session).deck
    return decks().get(deck_id) if deck_id else None


def deck_view(deck: Deck) -> dict:
    """The deck in both languages: enough to draw the quadrant diagram and show every card."""
    return {
        "id": deck.id,
        "names": deck.names,
        "descriptions": deck.descriptions,
        "credits": deck.credits or None,
        "axes": [
            {
                "id": a.id,
                "names": a.names,
                "poles": [{"id": p.id, "names": p.names} for p in a.poles],
            }
            for a in deck.axes
        ],
        "quadrants": [
            {
                "id": q.id,
                "names": q.names,
                "descriptions": q.descriptions,
                "colour": q.colour,
                "position": dict(q.position),
                "column": deck.cell(q)[0],
                "row": deck.cell(q)[1],
                "cards": len(deck.cards_in(q.id)),
            }
            for q in deck.quadrants
        ],
        "cards": [{"id": c.id, "quadrant": c.quadrant, "text": c.text} for c in deck.cards],
    }


def _helped(orm, session: Session) -> set[str]:
    """Contributions the case bringer marked as helpful (as the record counts them)."""
    case_bringer = next((p for p in session.participants if p.role == "case_bringer" and not p.removed), None)
    if case_bringer is None:
        return set()
    return set(
        orm.scalars(
            select(Mark.contribution_id).where(
                Mark.session_id == session.id,
                Mark.participant_id == case_bringer.id,
                Mark.value == "helped",
            )
        )
    )


def public_view(orm, session: Session) -> dict | None:
    """The card state everyone may see: no hand's contents, only its size; what was played, and the balance."""
    deck = deck_of(session)
    if deck is None:
        return None
    view = cards.view(session.cards, None)
    del view["hand"]
    view["deck_id"] = deck.id
    view["balance"] = cards.quadrant_balance(
        view["played"], _helped(orm, session), [q.id for q in deck.quadrants]
    )
    return view


def add_personal(view: dict, session: Session, viewer_id: str | None) -> dict:
    """Add to a snapshot what stays the same (the deck) and what only this viewer may see (their hand,
    their vote in a case round)."""
    deck = deck_of(session)
    view["deck"] = deck_view(deck) if deck else None
    view["hand"] = cards.view(session.cards, viewer_id)["hand"] if deck and viewer_id else []
    view["my_vote"] = (session.case_votes or {}).get(viewer_id)  # the pitch this viewer voted for
    return view


def changes_balance(session: Session, contribution: Contribution, value) -> bool:
    """Whether a mark changes the quadrant balance: 'helped' on a question played from a card."""
    return (
        value == "helped"
        and bool(session.cards)
        and any(entry.get("contribution") == contribution.id for entry in session.cards["played"])
    )


def deck_summaries(lang: str) -> list[dict]:
    """The installed decks in one language, for choosing one when creating a session."""
    return [
        {
            "id": d.id,
            "name": d.names[lang],
            "description": d.descriptions[lang],
            "credits": d.credits.get(lang),
            "quadrants": [{"id": q.id, "name": q.names[lang], "colour": q.colour} for q in d.quadrants],
            "cards": len(d.cards),
        }
        for d in decks().values()
    ]
