"""Contributions and marks: adding one (stored once per client id), marking, hiding."""

from __future__ import annotations

from sqlalchemy import func, inspect, select, update
from sqlalchemy.exc import IntegrityError

from .. import cards
from .. import session as rules
from ..db import db
from ..methods import MARK_VALUES, Step, scale_of
from ..models import Contribution, Mark, Participant, Session, StepVisit
from ..session import Contributor, RuleViolation
from .base import (
    Member,
    Outcome,
    Seat,
    bound,
    cfg,
    checked_name,
    checked_text,
    method_of,
    new_id,
    seat,
    touch,
)
from .breakouts import writing_in_group
from .views import (
    changes_balance,
    contribution_view,
    deliver,
    published,
    sealed_step,
    state_emit,
    view_one,
    visible,
)


def client_id_of(payload: dict) -> str:
    """The id a client gives a new contribution, so a resend after a reconnect is stored once."""
    client_id = payload.get("client_id")
    if not isinstance(client_id, str) or not 8 <= len(client_id) <= 64 or not client_id.isascii():
        raise RuleViolation("bad_request")
    return client_id


def check_new(
    orm,
    session: Session | Seat,
    person: Participant | Member | None,
    kind,
    text: str,
    named: str | None = None,
    written_in: int | None = None,
) -> tuple[Step, str | None, int]:
    """Ask the rules whether this person may add ``kind`` now; the step it is filed in, the author's
    flag, and that step's index (``session.filing_step``: the current one, or a pitch's before the start).

    ``person`` None: the author is ``named``, someone without a device, held to a participant's rules.
    """
    method = method_of(session)
    index, status = rules.filing_step(method, session.status, session.step_index, kind, written_in)
    step = method.steps[index]
    who = Contributor(person.id, person.role) if person else Contributor("", "participant")
    speaker = None
    if session.turn_order and session.turn_index is not None:
        speaker = session.turn_order[session.turn_index]
    own = own_count(orm, session, step, index, person, kind, named)
    if step.rule("breakouts"):
        flag = None  # who writes what is the group's phase's to say (``writing_in_group``)
    else:
        flag = rules.check_contribution(step, status, who, kind, text, own, speaker)
    most = cfg("MAX_CONTRIBUTIONS_PER_SESSION")
    if session.full if isinstance(session, Seat) else is_full(orm, session.id, most):
        raise RuleViolation("session_full", max=most)  # bounds every snapshot and record of the session
    return step, flag, index


def own_count(orm, session, step: Step, index: int, person, kind, named: str | None) -> int:
    """How many of what a per-person cap of ``step`` counts the author added in this visit of it,
    counted up to the cap; 0 without a read when no cap applies to ``kind``.

    Per visit: when the group comes back to the step (a ``loop_back``, or the facilitator's previous
    step), everyone may add as many again, as the five-step method's second question round asks. What
    was written before the step's first visit (a pitch prepared before the start) counts in that visit.
    """
    caps = [cap.count for cap in step.rules_of("max_per_person") if cap.kind in (None, kind)]
    if not caps or not isinstance(kind, str):
        return 0
    last_visit_ended = (
        select(func.coalesce(func.max(StepVisit.ended_at), 0.0))
        .where(StepVisit.session_id == session.id, StepVisit.step_index == index)
        .scalar_subquery()
    )
    own = (
        select(Contribution.id)
        .where(
            Contribution.session_id == session.id,
            Contribution.step_index == index,
            Contribution.created_at > last_visit_ended,
            Contribution.participant_id == person.id if person else Contribution.author_name == named,
        )
        .limit(max(caps))
    )
    counted = rules.cap_kind(step, kind)
    if counted is not None:
        own = own.where(Contribution.kind == counted)
    return orm.scalar(select(func.count()).select_from(own.subquery()))


def is_full(orm, session_id: str, most: int) -> bool:
    """Whether the session holds ``most`` contributions: whether its ``most``-th row exists (no COUNT)."""
    held = select(Contribution.id).where(Contribution.session_id == session_id).offset(most - 1).limit(1)
    return orm.scalar(held) is not None


def duplicate_of(orm, session: Session, person: Participant, client_id: str) -> dict | None:
    """The acknowledgement for a contribution already stored under this client id (a resend), or None."""
    existing = orm.scalar(
        select(Contribution).where(Contribution.session_id == session.id, Contribution.client_id == client_id)
    )
    if existing is None:
        return None
    if person.id not in (existing.participant_id, existing.entered_by):
        raise RuleViolation("bad_request")
    return {"contribution": view_one(orm, session, existing, full=True), "duplicate": True}


def replied_kind(orm, session: Session, person: Participant, reply_to) -> str | None:
    """The kind of the contribution ``reply_to`` names, if it is in this session and ``person`` may see it."""
    if not isinstance(reply_to, str):
        return None
    target = orm.get(Contribution, reply_to)
    if target is None or target.session_id != session.id or target.hidden:
        return None
    return target.kind if visible(session, target, person.id, person.role) else None


def on_behalf(session: Session, person: Participant, name) -> tuple[Participant | None, dict]:
    """Whom a contribution is by when the facilitator adds it for someone without a device.

    ``name`` None: ``person`` writes for themselves. A name of someone in the
    session makes them the author; any other name is stored as given. Returns
    the author (None for a name only) and the contribution's fields that say so.
    """
    if name is None:
        return person, {}
    rules.require_facilitator(person.role)
    name = checked_name(name)
    key = rules.name_key(name)
    found = next((p for p in session.participants if p.name_key == key and not p.removed), None)
    if found is person:
        return person, {}
    if found is not None:
        return found, {"entered_by": person.id}
    return None, {"entered_by": person.id, "author_name": name}


def new_contribution(
    session: Session, person: Participant | None, step, index: int, client_id: str, now: float, **fields
):
    """A contribution of ``person`` in step ``index``; ``fields`` are kind, text, flag, details..."""
    return Contribution(
        id=new_id(),
        session_id=session.id,
        client_id=client_id,
        participant_id=person.id if person else None,
        step_id=step.id,
        step_index=index,
        created_at=now,
        hidden=False,
        **fields,
    )


def add_contribution(sid: str, payload: dict, now: float) -> Outcome:
    """Store a contribution once (retries with the same client id are acknowledged again).

    ``step_index``, when given, is the step the text was written in: if the
    session has moved on since, nothing is stored and the answer is ``step_moved``.

    The busiest path of the server: one read (``seat``), one INSERT, one commit;
    the unique client id catches a resend, and the messages are built from the
    values at hand. A refusal first looks whether it was a resend of a stored one.
    """
    client_id = client_id_of(payload)
    text = checked_text(payload.get("text"), "MAX_TEXT_LENGTH")
    kind = payload.get("kind")
    details = rules.clean_details(kind, payload.get("details"), cfg("MAX_DETAIL_LENGTH"))
    written_in = payload.get("step_index")
    if written_in is not None and (type(written_in) is not int or written_in < 0):
        raise RuleViolation("bad_request")
    with db.session(write=True) as orm:
        person, session = seat(orm, sid)
        try:
            filed_in = rules.filing_step(
                method_of(session), session.status, session.step_index, kind, written_in
            )[0]
            if written_in is not None and written_in != filed_in and session.status == "running":
                # Written offline in a step that has closed since: the author gets the text back, unfiled.
                raise RuleViolation("step_moved")
            author, behalf = on_behalf(session, person, payload.get("on_behalf_of"))
            step, flag, index = check_new(
                orm, session, author, kind, text, behalf.get("author_name"), written_in
            )
            # Written in a breakout group: the group's phase says who writes what, and it stays there.
            grouped = writing_in_group(orm, session, author, kind) if step.rule("breakouts") else (None, None)
            reply_to = payload.get("reply_to")
            rules.check_reply(kind, reply_to, replied_kind(orm, session, person, reply_to))
            contribution = new_contribution(
                session,
                author,
                step,
                index,
                client_id,
                now,
                kind=kind,
                text=text,
                flag=flag,
                details=details,
                **behalf,
            )
            contribution.reply_to = reply_to
            contribution.group_id, contribution.round = grouped
            # Writing to be revealed together: the state says how many entries wait, so it changes too.
            sealed = sealed_step(session, contribution.step_index)
            if sealed:
                orm.execute(
                    update(Session).where(Session.id == session.id).values(version=Session.version + 1)
                )
            stored(orm, session, contribution, now)
        except (RuleViolation, IntegrityError) as refused:
            orm.rollback()
            resent = duplicate_of(orm, session, person, client_id)
            if resent is not None:
                return Outcome(ack=resent)
            if isinstance(refused, IntegrityError):
                raise RuleViolation("bad_request") from None
            raise
        view = contribution_view(contribution, {p.id: p.name for p in session.participants}, [], full=True)
        emits = deliver(orm, session, contribution, view, sids=session.sids())
        if sealed:
            emits.append(state_emit(orm, orm.get(Session, session.id), now))
        return Outcome(ack={"contribution": view}, emits=emits)


# A contribution marks its session as active (for the idle purge, counted in days) at most this often.
ACTIVE_EVERY_SECONDS = 60.0


def stored(orm, session: Seat, contribution: Contribution, now: float) -> None:
    """INSERT ``contribution`` (not added to the ORM session) and commit; a resend fails on its client id."""
    conn = orm.connection()
    table = Contribution.__table__
    conn.execute(table.insert(), {k: v for k, v in inspect(contribution).dict.items() if k in table.c})
    if now - session.updated_at >= ACTIVE_EVERY_SECONDS:
        conn.execute(update(Session.__table__).where(Session.id == session.id).values(updated_at=now))
    orm.commit()


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
        spotlit = hidden and session.spotlight_id == c.id
        if spotlit:  # nothing hidden stays large on the shared screen
            session.spotlight_id = None
        if played is not None or spotlit:
            touch(session, now)
        orm.commit()
        outcome = published(orm, session, c, "contribution:changed")
        if played is not None or spotlit:
            outcome.emits.append(state_emit(orm, session, now))
        return outcome
