"""Carry out what people do in a session: load it, ask the rules, persist, say what to send.

Every action commits its change before it returns, and returns an ``Outcome``:
the acknowledgement for the caller and the messages to deliver. The Socket.IO
layer only delivers them, so nothing is broadcast that is not already stored.
"""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from . import i18n
from . import session as rules
from .db import db
from .methods import MARK_VALUES, Method, Step, scale_of
from .models import Connection, Contribution, Mark, Participant, Session, StepVisit
from .session import Contributor, RuleViolation, Timer

SERVER_ID = uuid.uuid4().hex  # this process, for connection rows


def room_all(session_id: str) -> str:
    return f"s:{session_id}"


def room_person(participant_id: str) -> str:
    return f"p:{participant_id}"


@dataclass
class Emit:
    event: str
    data: dict
    to: str
    skip_sid: list[str] | None = None


@dataclass
class Outcome:
    ack: dict = field(default_factory=dict)
    emits: list[Emit] = field(default_factory=list)
    join_rooms: list[str] = field(default_factory=list)
    # Sids to disconnect after delivery (a removed participant's devices).
    disconnect: list[str] = field(default_factory=list)
    # Re-check presence after this many seconds (a drop inside the grace period).
    recheck_after: float | None = None
    session_id: str | None = None


def new_id() -> str:
    return uuid.uuid4().hex


def new_secret() -> str:
    return secrets.token_urlsafe(24)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def methods() -> dict[str, Method]:
    return current_app.extensions["intervisie_methods"]


def method_of(session: Session) -> Method:
    return methods()[session.method_id]


def cfg(name: str):
    return current_app.config[name]


def _text(value, limit_name: str) -> str:
    return rules.clean_text(value, cfg(limit_name))


def _name(value) -> str:
    limit = cfg("MAX_NAME_LENGTH")
    try:
        return rules.clean_text(value, limit)
    except RuleViolation:
        raise RuleViolation("name_required", max=limit) from None


# --- loading -----------------------------------------------------------------------------


def _session_by_code(orm, code) -> Session:
    if not isinstance(code, str) or len(code) > 32:
        raise RuleViolation("unknown_session")
    found = orm.scalar(select(Session).where(Session.code == rules.normalise_code(code)))
    if found is None:
        raise RuleViolation("unknown_session")
    return found


def _bound(orm, sid: str, *, for_update: bool = False) -> tuple[Participant, Session]:
    """The participant and session this connection belongs to, as stored."""
    conn = orm.get(Connection, sid)
    if conn is None or conn.participant_id is None:
        raise RuleViolation("not_joined")
    query = select(Session).where(Session.id == conn.session_id)
    if for_update:
        query = query.with_for_update()
    session = orm.scalar(query)
    person = orm.get(Participant, conn.participant_id)
    if session is None or person is None or person.removed:
        raise RuleViolation("not_joined")
    return person, session


def _timer(session: Session) -> Timer:
    return Timer(session.timer_state, session.timer_duration, session.timer_deadline, session.timer_remaining)


def _store_timer(session: Session, timer: Timer) -> None:
    session.timer_state = timer.state
    session.timer_duration = timer.duration
    session.timer_deadline = timer.deadline
    session.timer_remaining = timer.remaining


def _touch(session: Session, now: float) -> None:
    session.version += 1
    session.updated_at = now


# --- views of the state ------------------------------------------------------------------


def _connected_ids(orm, session_id: str, now: float) -> set[str]:
    fresh = now - cfg("CONNECTION_STALE_SECONDS")
    rows = orm.scalars(
        select(Connection.participant_id).where(
            Connection.session_id == session_id,
            Connection.participant_id.is_not(None),
            Connection.seen_at >= fresh,
        )
    )
    return set(rows)


def state_view(orm, session: Session, now: float) -> dict:
    """Everything about the session that is the same for every viewer."""
    method = method_of(session)
    connected = _connected_ids(orm, session.id, now)
    grace = cfg("PRESENCE_GRACE_SECONDS")
    visits = orm.scalars(
        select(StepVisit).where(StepVisit.session_id == session.id).order_by(StepVisit.id)
    ).all()
    spent: dict[int, float] = {}
    for visit in visits:
        spent[visit.step_index] = spent.get(visit.step_index, 0.0) + (
            (visit.ended_at or now) - visit.started_at
        )
    return {
        "version": session.version,
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
            "started_at_ms": _ms(session.started_at),
            "ended_at_ms": _ms(session.ended_at),
        },
        "steps_spent_s": [round(spent.get(i, 0.0)) for i in range(len(method.steps))],
        # Actions agreed in the session this one follows up, for the review step.
        "carried_actions": session.carried_actions or [],
        "timer": _timer(session).view(now),
        "turn": (
            {"order": session.turn_order, "index": session.turn_index}
            if session.turn_order is not None
            else None
        ),
        # Card methods: pile and hand sizes, what was played, the quadrant balance; never a hand's cards.
        "cards": _cards_public(orm, session),
        "participants": [
            {
                "id": p.id,
                "name": p.name,
                "role": p.role,
                "presence": rules.presence(p.id in connected, p.left_at, now, grace),
                "ready": p.ready_step == session.step_index,
            }
            for p in session.participants
            if not p.removed
        ],
    }


def _cards_public(orm, session: Session) -> dict | None:
    from .card_play import public_view  # card_play builds on this module; imported late

    return public_view(orm, session)


def _ms(seconds: float | None) -> int | None:
    return None if seconds is None else round(seconds * 1000)


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
    for name in ("kind", "count", "seconds_per_speaker", "hand"):
        if getattr(rule, name) is not None:
            view[name] = getattr(rule, name)
    for name in ("values", "by", "roles"):
        if getattr(rule, name):
            view[name] = list(getattr(rule, name))
    return view


def _private_step(session: Session, step_index: int) -> bool:
    steps = method_of(session).steps
    return 0 <= step_index < len(steps) and steps[step_index].rule("write_privately") is not None


def _visible(session: Session, c: Contribution, viewer_id: str | None, viewer_role: str) -> bool:
    return rules.visible_to(
        hidden=c.hidden,
        author_id=c.participant_id,
        contribution_step=c.step_index,
        private_step=_private_step(session, c.step_index),
        current_step=session.step_index,
        viewer_id=viewer_id,
        viewer_role=viewer_role,
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
        "author_name": names.get(c.participant_id, ""),
        "created_at_ms": _ms(c.created_at),
        "hidden": c.hidden,
        "details": c.details,
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
        if _visible(session, c, viewer_id, viewer_role)
    ]
    view["me"] = (
        {"id": viewer.id, "name": viewer.name, "role": viewer.role, "lang": viewer.lang} if viewer else None
    )
    from .card_play import add_personal  # the deck, and this viewer's own hand only

    return add_personal(view, session, viewer_id)


def _state_emit(orm, session: Session, now: float) -> Emit:
    return Emit("session:state", state_view(orm, session, now), room_all(session.id))


# --- creating and joining ----------------------------------------------------------------


def create_session(payload: dict, now: float | None = None) -> dict:
    """Create a session and its facilitator; returns the secrets only the creator gets."""
    now = now or time.time()
    method_id = payload.get("method_id")
    if not isinstance(method_id, str) or method_id not in methods():
        raise RuleViolation("unknown_method")
    method = methods()[method_id]
    title = rules.clean_text(payload.get("title", ""), 120, required=False)
    name = _name(payload.get("name"))
    lang = i18n.pick(payload.get("lang"))
    overrides = rules.check_step_minutes(method, payload.get("step_minutes"))
    from .card_play import initial_cards  # a card method's deck (or another installed one) and pile

    deck_id, card_state = initial_cards(method, payload.get("deck_id"))
    facilitator_key, screen_key, token = new_secret(), new_secret(), new_secret()
    with db.session() as orm:
        from .records import carry_over  # the record needs this module; imported late

        follow_up_of, carried_actions = carry_over(orm, payload)
        for _ in range(20):
            code = rules.new_join_code()
            if orm.scalar(select(Session.id).where(Session.code == code)) is None:
                break
        first = rules.step_minutes(method.steps[0], overrides) * 60
        session = Session(
            id=new_id(),
            code=code,
            title=title,
            method_id=method_id,
            lang=lang,
            step_minutes=overrides,
            facilitator_key_hash=digest(facilitator_key),
            screen_key_hash=digest(screen_key),
            created_at=now,
            updated_at=now,
            status="lobby",
            step_index=0,
            version=1,
            timer_state="idle",
            timer_duration=first,
            timer_remaining=first,
            follow_up_of=follow_up_of,
            carried_actions=carried_actions,
            deck_id=deck_id,
            cards=card_state,
        )
        facilitator = Participant(
            id=new_id(),
            token_hash=digest(token),
            name=name,
            role="facilitator",
            lang=lang,
            joined_at=now,
        )
        session.participants.append(facilitator)
        orm.add(session)
        orm.commit()
        return {
            "session_id": session.id,
            "code": session.code,
            "token": token,
            "participant_id": facilitator.id,
            "facilitator_key": facilitator_key,
            "screen_key": screen_key,
        }


def _bind(orm, sid: str, session: Session, participant: Participant | None, now: float) -> None:
    conn = orm.get(Connection, sid)
    if conn is None:
        conn = Connection(sid=sid, server_id=SERVER_ID, session_id=session.id, seen_at=now)
        orm.add(conn)
    conn.session_id = session.id
    conn.participant_id = participant.id if participant else None
    conn.seen_at = now
    if participant is not None:
        participant.left_at = None


def _rooms(session: Session, participant: Participant | None) -> list[str]:
    rooms = [room_all(session.id)]
    if participant is not None:
        rooms.append(room_person(participant.id))
    return rooms


def _welcome(
    orm, sid: str, session: Session, participant: Participant | None, now: float, token=None, changed=False
) -> Outcome:
    """Bind the connection, commit, and hand the newcomer one full snapshot.

    Everyone hears the new state when someone arrives or comes back, or when
    the caller ``changed`` the session on the way in.
    """
    arriving = participant is not None and participant.id not in _connected_ids(orm, session.id, now)
    announce = changed or arriving
    _bind(orm, sid, session, participant, now)
    if announce:
        _touch(session, now)
    orm.commit()
    ack = {"snapshot": snapshot(orm, session, participant, now)}
    if token:
        ack["token"] = token
    outcome = Outcome(ack=ack, join_rooms=_rooms(session, participant), session_id=session.id)
    if announce:
        outcome.emits.append(_state_emit(orm, session, now))
    return outcome


def join(sid: str, payload: dict, now: float) -> Outcome:
    """Someone joins with the code and a display name; they get a token to come back with."""
    name = _name(payload.get("name"))
    with db.session() as orm:
        session = _session_by_code(orm, payload.get("code"))
        if session.status == "ended":
            raise RuleViolation("session_ended")
        if session.joining_locked:
            raise RuleViolation("joining_locked")
        taken = {p.name.casefold() for p in session.participants if not p.removed}
        if name.casefold() in taken:
            raise RuleViolation("name_taken")
        token = new_secret()
        person = Participant(
            id=new_id(),
            token_hash=digest(token),
            name=name,
            role="participant",
            lang=i18n.pick(payload.get("lang") or session.lang),
            joined_at=now,
        )
        session.participants.append(person)
        orm.flush()
        from .card_play import enter_step  # someone joining a card step gets a hand at once

        dealt = enter_step(orm, session) if session.status == "running" else []
        outcome = _welcome(orm, sid, session, person, now, token=token)
        outcome.emits.extend(dealt)
        return outcome


def resume(sid: str, payload: dict, now: float) -> Outcome:
    """A known participant comes back (reload, new connection, server restart) with their token."""
    token = payload.get("token")
    if not isinstance(token, str) or not 8 <= len(token) <= 100:
        raise RuleViolation("bad_token")
    with db.session() as orm:
        person = orm.scalar(select(Participant).where(Participant.token_hash == digest(token)))
        if person is None:
            raise RuleViolation("bad_token")
        if person.removed:
            raise RuleViolation("removed")
        session = person.session
        code = payload.get("code")
        if code is not None and (not isinstance(code, str) or rules.normalise_code(code) != session.code):
            raise RuleViolation("bad_token")
        if "lang" in payload:
            person.lang = i18n.pick(payload["lang"])
        return _welcome(orm, sid, session, person, now)


def _session_by_key(orm, payload: dict, key_hash: str) -> Session:
    """The session of ``payload["code"]``, if ``payload["key"]`` is its screen or facilitator key."""
    session = _session_by_code(orm, payload.get("code"))
    key = payload.get("key")
    if not isinstance(key, str) or not secrets.compare_digest(digest(key), getattr(session, key_hash)):
        raise RuleViolation("bad_key")
    return session


def watch(sid: str, payload: dict, now: float) -> Outcome:
    """A shared screen follows the session read-only, with the screen key from the facilitator."""
    with db.session() as orm:
        session = _session_by_key(orm, payload, "screen_key_hash")
        return _welcome(orm, sid, session, None, now)


def claim_facilitator(sid: str, payload: dict, now: float) -> Outcome:
    """The facilitator link: sign in as the session's creator and take the facilitator role back."""
    with db.session() as orm:
        session = _session_by_key(orm, payload, "facilitator_key_hash")
        owner = min(session.participants, key=lambda p: p.joined_at)
        for p in session.participants:
            if p.role == "facilitator" and p is not owner:
                p.role = "participant"
        owner.role = "facilitator"
        owner.removed = False
        token = new_secret()  # a new device: the old token stops working
        owner.token_hash = digest(token)
        orm.flush()
        return _welcome(orm, sid, session, owner, now, token=token, changed=True)


def disconnect(sid: str, now: float) -> Outcome:
    """A connection closed: forget it; the person shows as away only after the grace period."""
    with db.session() as orm:
        conn = orm.get(Connection, sid)
        if conn is None:
            return Outcome()
        session_id, participant_id = conn.session_id, conn.participant_id
        orm.delete(conn)
        if participant_id is not None:
            still = orm.scalar(
                select(func.count())
                .select_from(Connection)
                .where(Connection.participant_id == participant_id)
            )
            person = orm.get(Participant, participant_id)
            if person is not None and not still:
                person.left_at = now
        orm.commit()
        return Outcome(recheck_after=cfg("PRESENCE_GRACE_SECONDS") + 0.2, session_id=session_id)


def presence_state(session_id: str, now: float) -> Outcome:
    """The state as it is now, for everyone: sent when a grace period has run out."""
    with db.session() as orm:
        session = orm.get(Session, session_id)
        if session is None:
            return Outcome()
        return Outcome(emits=[_state_emit(orm, session, now)])


def heartbeat(now: float) -> None:
    """Mark this process's connections alive and drop rows of processes that died."""
    with db.session() as orm:
        orm.execute(update(Connection).where(Connection.server_id == SERVER_ID).values(seen_at=now))
        orm.execute(delete(Connection).where(Connection.seen_at < now - cfg("CONNECTION_STALE_SECONDS")))
        orm.commit()


# --- contributions and marks -------------------------------------------------------------


def _client_id(payload: dict) -> str:
    """The id a client gives a new contribution, so a resend after a reconnect is stored once."""
    client_id = payload.get("client_id")
    if not isinstance(client_id, str) or not 8 <= len(client_id) <= 64 or not client_id.isascii():
        raise RuleViolation("bad_request")
    return client_id


def _check_new(orm, session: Session, person: Participant, kind, text: str) -> tuple[Step, str | None]:
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
    return {"contribution": _view_one(orm, session, existing, full=True), "duplicate": True}


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
    """Store a contribution once (retries with the same client id are acknowledged again)."""
    client_id = _client_id(payload)
    text = _text(payload.get("text"), "MAX_TEXT_LENGTH")
    kind = payload.get("kind")
    details = rules.clean_details(kind, payload.get("details"))
    with db.session() as orm:
        person, session = _bound(orm, sid)
        resent = duplicate_of(orm, session, person, client_id)
        if resent is not None:
            return Outcome(ack=resent)
        step, flag = _check_new(orm, session, person, kind, text)
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
        return _published(orm, session, contribution)


def _view_one(orm, session: Session, c: Contribution, *, full: bool) -> dict:
    names = {p.id: p.name for p in session.participants}
    marks = orm.scalars(select(Mark).where(Mark.contribution_id == c.id).order_by(Mark.created_at)).all()
    return contribution_view(c, names, marks, full=full)


def _sids(orm, participant_ids: list[str]) -> list[str]:
    if not participant_ids:
        return []
    return list(orm.scalars(select(Connection.sid).where(Connection.participant_id.in_(participant_ids))))


def _published(orm, session: Session, c: Contribution, event: str = "contribution:new") -> Outcome:
    """A committed contribution: its full view as the acknowledgement, and its delivery to the room."""
    full = _view_one(orm, session, c, full=True)
    return Outcome(ack={"contribution": full}, emits=_deliver(orm, session, c, full, event))


def _deliver(
    orm, session: Session, c: Contribution, full: dict, event: str = "contribution:new"
) -> list[Emit]:
    """Send a contribution (``full``: its view with everything) to exactly those allowed to see it.

    The facilitator and the author get the full view in their own rooms; the
    rest of the room gets the public view (or only the news that it is hidden).
    """
    insiders = [p.id for p in session.participants if p.role == "facilitator" and not p.removed]
    if c.participant_id and c.participant_id not in insiders and not c.hidden:
        insiders.append(c.participant_id)
    emits = [Emit(event, full, room_person(pid)) for pid in insiders]
    skip = _sids(orm, insiders)
    if c.hidden:
        emits.append(Emit("contribution:hidden", {"id": c.id}, room_all(session.id), skip))
    elif not _private_step(session, c.step_index) or c.step_index != session.step_index:
        public = {k: v for k, v in full.items() if k != "flag"}
        emits.append(Emit(event, public, room_all(session.id), skip))
    return emits


def mark(sid: str, payload: dict, now: float) -> Outcome:
    """The case bringer (or whoever the step allows) marks a contribution; ``on: false`` takes it back."""
    contribution_id, value, on = payload.get("id"), payload.get("value"), payload.get("on", True)
    if not isinstance(contribution_id, str):
        raise RuleViolation("bad_request")
    with db.session() as orm:
        person, session = _bound(orm, sid)
        c = orm.get(Contribution, contribution_id)
        if c is None or c.session_id != session.id or not _visible(session, c, person.id, person.role):
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
        from .card_play import changes_balance  # 'helped' on a played card moves the quadrant balance

        balance = changes_balance(session, c, value)
        if balance:
            _touch(session, now)
        orm.commit()
        outcome = _published(orm, session, c, "contribution:changed")
        if balance:
            outcome.emits.append(_state_emit(orm, session, now))
        return outcome


def hide(sid: str, payload: dict, now: float) -> Outcome:
    """The facilitator hides a contribution from everyone else (or shows it again)."""
    contribution_id, hidden = payload.get("id"), payload.get("hidden", True)
    if not isinstance(contribution_id, str) or not isinstance(hidden, bool):
        raise RuleViolation("bad_request")
    with db.session() as orm:
        person, session = _bound(orm, sid)
        rules.require_facilitator(person.role)
        c = orm.get(Contribution, contribution_id)
        if c is None or c.session_id != session.id:
            raise RuleViolation("unknown_contribution")
        c.hidden = hidden
        session.updated_at = now
        orm.commit()
        return _published(orm, session, c, "contribution:changed")


# --- facilitator control -----------------------------------------------------------------


def _facilitator_action(sid: str, now: float, change) -> Outcome:
    """Shared frame of every facilitator action: check the role, apply, commit, broadcast state."""
    with db.session() as orm:
        person, session = _bound(orm, sid, for_update=True)
        rules.require_facilitator(person.role)
        extra = change(orm, session, person) or Outcome()
        _touch(session, now)
        orm.commit()
        state = _state_emit(orm, session, now)
        extra.emits.insert(0, state)
        extra.ack = {"state": state.data, **extra.ack}
        return extra


def _enter_step(orm, session: Session, index: int, now: float) -> list[Emit]:
    """Close the current step's visit, open ``index`` with a fresh timer; reveal private writing."""
    leaving = session.step_index
    method = method_of(session)
    orm.execute(
        update(StepVisit)
        .where(StepVisit.session_id == session.id, StepVisit.ended_at.is_(None))
        .values(ended_at=now)
    )
    session.step_index = index
    orm.add(StepVisit(session_id=session.id, step_index=index, started_at=now))
    _store_timer(session, Timer.fresh(rules.step_minutes(method.steps[index], session.step_minutes) * 60))
    session.turn_order = None
    session.turn_index = None
    reveal = []
    if leaving != index and _private_step(session, leaving):
        revealed = orm.scalars(
            select(Contribution).where(
                Contribution.session_id == session.id,
                Contribution.step_index == leaving,
                Contribution.hidden.is_(False),
            )
        ).all()
        for c in revealed:
            emits = _deliver(orm, session, c, _view_one(orm, session, c, full=True))
            reveal.extend(e for e in emits if e.to == room_all(session.id))
    from .card_play import enter_step  # a step with a cards rule deals; each player hears their hand

    return reveal + enter_step(orm, session)


def start(sid: str, payload: dict, now: float) -> Outcome:
    """The facilitator starts the session at its first step (a case bringer must be assigned)."""

    def change(orm, session, _person):
        rules.require_status(session.status, "lobby")
        if not any(p.role == "case_bringer" and not p.removed for p in session.participants):
            raise RuleViolation("needs_case_bringer")
        session.status = "running"
        session.started_at = now
        return Outcome(emits=_enter_step(orm, session, 0, now))

    return _facilitator_action(sid, now, change)


def go_to_step(sid: str, payload: dict, now: float) -> Outcome:
    """The facilitator moves to the next or previous step, or jumps to one."""

    def change(orm, session, _person):
        rules.require_status(session.status, "running")
        index = rules.target_step(session.step_index, payload.get("to"), len(method_of(session).steps))
        return Outcome(emits=_enter_step(orm, session, index, now))

    return _facilitator_action(sid, now, change)


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
        _store_timer(session, Timer.fresh(0))

    return _facilitator_action(sid, now, change)


def control_timer(sid: str, payload: dict, now: float) -> Outcome:
    """The facilitator starts, pauses, resumes, extends or resets the step's timer."""

    def change(_orm, session, _person):
        rules.require_status(session.status, "running")
        timer = _timer(session).control(payload.get("action"), now, payload.get("seconds"))
        _store_timer(session, timer)

    return _facilitator_action(sid, now, change)


def settings(sid: str, payload: dict, now: float) -> Outcome:
    """The facilitator locks joining or lets time's up move on to the next step by itself."""

    def change(_orm, session, _person):
        for name in ("joining_locked", "auto_advance"):
            if name in payload:
                if not isinstance(payload[name], bool):
                    raise RuleViolation("bad_request")
                setattr(session, name, payload[name])

    return _facilitator_action(sid, now, change)


def _other(session: Session, participant_id) -> Participant:
    found = next((p for p in session.participants if p.id == participant_id and not p.removed), None)
    if found is None:
        raise RuleViolation("unknown_participant")
    return found


def assign_role(sid: str, payload: dict, now: float) -> Outcome:
    """The facilitator makes someone the case bringer or a participant, or hands facilitation over."""
    role = payload.get("role")
    if role not in ("case_bringer", "participant", "facilitator"):
        raise RuleViolation("bad_request")

    def change(_orm, session, person):
        target = _other(session, payload.get("participant_id"))
        if target is person:
            return None
        if role == "case_bringer":
            for p in session.participants:
                if p.role == "case_bringer":
                    p.role = "participant"
        target.role = role
        if role == "case_bringer":
            from .card_play import drop_hand  # the case bringer holds no cards

            return Outcome(emits=drop_hand(session, target.id))
        if role != "facilitator":
            return None
        person.role = "participant"
        # Both now see a different set of contributions: they fetch a new snapshot.
        return Outcome(emits=[Emit("session:resync", {}, room_person(p.id)) for p in (person, target)])

    return _facilitator_action(sid, now, change)


def remove_participant(sid: str, payload: dict, now: float) -> Outcome:
    """The facilitator removes someone; their token stops working and their devices are disconnected."""

    def change(orm, session, person):
        target = _other(session, payload.get("participant_id"))
        if target is person:
            raise RuleViolation("forbidden_role")
        target.removed = True
        target.role = "participant"
        target.left_at = now
        from .card_play import drop_hand  # their cards go back into the pile

        drop_hand(session, target.id)
        sids = list(orm.scalars(select(Connection.sid).where(Connection.participant_id == target.id)))
        orm.execute(delete(Connection).where(Connection.participant_id == target.id))
        return Outcome(
            emits=[Emit("session:removed", {}, room_person(target.id))],
            disconnect=sids,
        )

    return _facilitator_action(sid, now, change)


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
            _store_timer(session, Timer.fresh(rules.step_minutes(step, session.step_minutes) * 60))
            return
        _store_timer(session, Timer.fresh(rule.seconds_per_speaker).start(now))

    return _facilitator_action(sid, now, change)


def set_ready(sid: str, payload: dict, now: float) -> Outcome:
    """Anyone says they are ready to move on from the current step (or not)."""
    ready = payload.get("ready")
    if not isinstance(ready, bool):
        raise RuleViolation("bad_request")
    with db.session() as orm:
        person, session = _bound(orm, sid)
        rules.require_status(session.status, "running")
        person.ready_step = session.step_index if ready else None
        _touch(session, now)
        orm.commit()
        state = _state_emit(orm, session, now)
        return Outcome(ack={}, emits=[state])


def set_language(sid: str, payload: dict, now: float) -> Outcome:
    """A person switches their language; later errors reach them in it."""
    with db.session() as orm:
        person, _session = _bound(orm, sid)
        person.lang = i18n.pick(payload.get("lang"))
        orm.commit()
        return Outcome(ack={"lang": person.lang})


def language_of(sid: str) -> str | None:
    with db.session() as orm:
        conn = orm.get(Connection, sid)
        if conn is None or conn.participant_id is None:
            return None
        person = orm.get(Participant, conn.participant_id)
        return person.lang if person else None


# --- time's up ---------------------------------------------------------------------------


def expire_due_timers(now: float) -> list[Emit]:
    """Mark running timers whose deadline passed as expired; each fires once, whatever the process count.

    The conditional UPDATE is the guard: only the process whose update
    changes the row announces time's up.
    """
    emits: list[Emit] = []
    with db.session() as orm:
        due = orm.execute(
            select(Session.id, Session.timer_deadline).where(
                Session.timer_state == "running", Session.timer_deadline <= now
            )
        ).all()
        for session_id, deadline in due:
            won = orm.execute(
                update(Session)
                .where(
                    Session.id == session_id,
                    Session.timer_state == "running",
                    Session.timer_deadline == deadline,
                )
                .values(
                    timer_state="expired",
                    timer_deadline=None,
                    timer_remaining=0.0,
                    version=Session.version + 1,
                )
            ).rowcount
            orm.commit()
            if not won:
                continue
            session = orm.get(Session, session_id)
            orm.refresh(session)
            emits.append(
                Emit(
                    "timer:expired",
                    {"step_index": session.step_index, "deadline_ms": round(deadline * 1000)},
                    room_all(session_id),
                )
            )
            advance = session.auto_advance and session.status == "running" and session.turn_order is None
            if advance and session.step_index + 1 < len(method_of(session).steps):
                emits.extend(_enter_step(orm, session, session.step_index + 1, now))
                _store_timer(session, _timer(session).start(now))
                _touch(session, now)
                orm.commit()
            emits.append(_state_emit(orm, session, now))
    return emits
