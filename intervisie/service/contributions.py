"""Contributions and marks: adding one (stored once per client id), marking, hiding."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from .. import cards
from .. import session as rules
from ..db import db
from ..methods import MARK_VALUES, Step, scale_of
from ..models import Contribution, Mark, Participant, Session
from ..session import Contributor, RuleViolation
from .base import Outcome, bound, cfg, checked_text, method_of, new_id, touch
from .views import changes_balance, published, state_emit, view_one, visible


def client_id_of(payload: dict) -> str:
    """The id a client gives a new contribution, so a resend after a reconnect is stored once."""
    client_id = payload.get("client_id")
    if not isinstance(client_id, str) or not 8 <= len(client_id) <= 64 or not client_id.isascii():
        raise RuleViolation("bad_request")
    return client_id


def check_new(orm, session: Session, person: Participant, kind, text: str) -> tuple[Step, str | None]:
    """Ask the rules whether this person may add ``kind`` now; the current step and the author's flag."""
    step = method_of(session).steps[session.step_index]
    counted = rules.cap_kind(step, kind) if isinstance(kind, str) else None
    own = (
        select(func.count())
        .select_from(Contribution)
        .where(
            Contribution.session_id == session.id,
            Contribution.step_index == session.step_index,
            Contribution.participant_id == person.id,
        )
    )
    if counted is not None:
        own = own.where(Contribution.kind == counted)
    speaker = None
    if session.turn_order and session.turn_index is not None:
        speaker = session.turn_order[session.turn_index]
    flag = rules.check_contribution(
        step,
        session.status,
        Contributor(person.id, person.role),
        kind,
        text,
        orm.scalar(own),
        speaker,
    )
    most = cfg("MAX_CONTRIBUTIONS_PER_SESSION")
    held = orm.scalar(
        select(func.count()).select_from(Contribution).where(Contribution.session_id == session.id)
    )
    if held >= most:  # bounds every snapshot and record of the session
        raise RuleViolation("session_full", max=most)
    return step, flag


def duplicate_of(orm, session: Session, person: Participant, client_id: str) -> dict | None:
    """The acknowledgement for a contribution already stored under this client id (a resend), or None."""
    existing = orm.scalar(
        select(Contribution).where(Contribution.session_id == session.id, Contribution.client_id == client_id)
    )
    if existing is None:
        return None
    if existing.participant_id != person.id:
        raise RuleViolation("bad_request")
    return {"contribution": view_one(orm, session, existing, full=True), "duplicate": True}


def new_contribution(session: Session, person: Participant, step, client_id: str, now: float, **fields):
    """A contribution of ``person`` in the current step; ``fields`` are kind, text, flag, details."""
    return Contribution(
        id=new_id(),
        session_id=session.id,
        client_id=client_id,
        participant_id=person.id,
        step_id=step.id,
        step_index=session.step_index,
        created_at=now,
        **fields,
    )


def add_contribution(sid: str, payload: dict, now: float) -> Outcome:
    """Store a contribution once (retries with the same client id are acknowledged again).

    ``step_index``, when given, is the step the text was written in: if the
    session has moved on since, nothing is stored and the answer is ``step_moved``.
    """
    client_id = client_id_of(payload)
    text = checked_text(payload.get("text"), "MAX_TEXT_LENGTH")
    kind = payload.get("kind")
    details = rules.clean_details(kind, payload.get("details"), cfg("MAX_DETAIL_LENGTH"))
    written_in = payload.get("step_index")
    if written_in is not None and (type(written_in) is not int or written_in < 0):
        raise RuleViolation("bad_request")
    with db.session(write=True) as orm:
        person, session = bound(orm, sid)
        resent = duplicate_of(orm, session, person, client_id)
        if resent is not None:
            return Outcome(ack=resent)
        if written_in is not None and written_in != session.step_index:
            # Written offline in a step that has closed since: the author gets the text back, unfiled.
            raise RuleViolation("step_moved")
        step, flag = check_new(orm, session, person, kind, text)
        contribution = new_contribution(
            session, person, step, client_id, now, kind=kind, text=text, flag=flag, details=details
        )
        orm.add(contribution)
        session.updated_at = now
        try:
            orm.commit()
        except IntegrityError:
            # The same client id arrived twice at once (two connections): keep the first.
            orm.rollback()
            resent = duplicate_of(orm, session, person, client_id)
            if resent is None:
                raise RuleViolation("bad_request") from None
            return Outcome(ack=resent)
        return published(orm, session, contribution)


def mark(sid: str, payload: dict, now: float) -> Outcome:
    """The case bringer (or whoever the step allows) marks a contribution; ``on: false`` takes it back."""
    contribution_id, value, on = payload.get("id"), payload.get("value"), payload.get("on", True)
    if not isinstance(contribution_id, str):
        raise RuleViolation("bad_request")
    with db.session(write=True) as orm:
        person, session = bound(orm, sid)
        c = orm.get(Contribution, contribution_id)
        if c is None or c.session_id != session.id or not visible(session, c, person.id, person.role):
            raise RuleViolation("unknown_contribution")
        step = method_of(session).steps[session.step_index]
        scale = scale_of(value) if value in MARK_VALUES else None
        given = orm.scalar(
            select(func.count())
            .select_from(Mark)
            .join(Contribution, Contribution.id == Mark.contribution_id)
            .where(
                Mark.participant_id == person.id,
                Mark.scale == scale,
                Contribution.session_id == session.id,
                Contribution.kind == c.kind,
                Contribution.step_index == session.step_index,
                Mark.contribution_id != c.id,
            )
        )
        scale = rules.check_mark(step, session.status, person.role, c.kind, value, on, given)
        existing = orm.get(Mark, (c.id, person.id, scale))
        if not on:
            if existing is not None and existing.value == value:
                orm.delete(existing)
        elif existing is None:
            orm.add(
                Mark(
                    contribution_id=c.id,
                    participant_id=person.id,
                    scale=scale,
                    session_id=session.id,
                    value=value,
                    created_at=now,
                )
            )
        else:
            existing.value = value
        session.updated_at = now
        balance = changes_balance(session, c, value)
        if balance:
            touch(session, now)
        orm.commit()
        outcome = published(orm, session, c, "contribution:changed")
        if balance:
            outcome.emits.append(state_emit(orm, session, now))
        return outcome


def hide(sid: str, payload: dict, now: float) -> Outcome:
    """The facilitator hides a contribution from everyone else (or shows it again)."""
    contribution_id, hidden = payload.get("id"), payload.get("hidden", True)
    if not isinstance(contribution_id, str) or not isinstance(hidden, bool):
        raise RuleViolation("bad_request")
    with db.session(write=True) as orm:
        person, session = bound(orm, sid)
        rules.require_facilitator(person.role)
        c = orm.get(Contribution, contribution_id)
        if c is None or c.session_id != session.id:
            raise RuleViolation("unknown_contribution")
        c.hidden = hidden
        session.updated_at = now
        played = cards.set_hidden(session.cards, c.id, hidden)
        if played is not None:  # a card question: the played list and the balance change for everyone
            session.cards = played
            touch(session, now)
        orm.commit()
        outcome = published(orm, session, c, "contribution:changed")
        if played is not None:
            outcome.emits.append(state_emit(orm, session, now))
        return outcome
