"""Joining and identity: creating a session, joining, coming back, screens, roles, presence."""

from __future__ import annotations

import secrets
import time

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from .. import i18n, tailoring
from .. import session as rules
from ..db import db
from ..decks import deck_to_data
from ..methods import Method, check_deck, method_to_data
from ..models import Connection, Participant, Session
from ..session import RuleViolation
from . import breakouts, cards
from .base import (
    SERVER_ID,
    Emit,
    Outcome,
    bound,
    cfg,
    checked_name,
    connected_ids,
    digest,
    lock,
    method_of,
    methods,
    new_id,
    new_secret,
    require_current,
    room_all,
    room_person,
    session_by_code,
    touch,
)
from .steps import back_again, facilitator_action, pause_for_absence
from .views import decks, snapshot, state_emit, waited_for


def chosen_method(payload: dict) -> Method:
    """The method a new session runs: an installed one (``method_id``) or the group's own file
    (``method_file``, see ``tailoring.read_own_method``), tailored by ``plan`` when one is given, with
    check-in cards when ``checkin_cards`` is true, with a case round when ``case_round`` says how it
    chooses (``hidden``: by vote; ``facilitator``), with a review of last time's actions when
    ``review_step`` is true."""
    if payload.get("method_file") is not None:
        method = tailoring.read_own_method(payload["method_file"], decks())
    else:
        method_id = payload.get("method_id")
        if not isinstance(method_id, str) or method_id not in methods():
            raise RuleViolation("unknown_method")
        method = methods()[method_id]
    if payload.get("plan") is not None:
        method = tailoring.tailor(method, payload["plan"])
    checkin_cards = payload.get("checkin_cards", False)
    if not isinstance(checkin_cards, bool):
        raise RuleViolation("bad_request")
    if checkin_cards:
        method = tailoring.with_checkin_cards(method)
        check_deck(method, decks())
    review = payload.get("review_step", False)
    if not isinstance(review, bool):
        raise RuleViolation("bad_request")
    if review:
        method = tailoring.with_review(method)
    if payload.get("case_round") is not None:
        method = tailoring.with_case_round(method, payload["case_round"])
    return method


def create_session(payload: dict, now: float | None = None, follow_up: tuple = (None, None)) -> dict:
    """Create a session and its facilitator; returns the secrets only the creator gets.

    ``follow_up`` is ``(earlier session id, actions to review)`` when the
    session follows up an earlier one (see ``records.carry_over``).
    """
    now = now or time.time()
    method = chosen_method(payload)
    title = rules.clean_text(payload.get("title", ""), 120, required=False, single_line=True)
    name = checked_name(payload.get("name"))
    lang = i18n.pick(payload.get("lang"))
    overrides = rules.check_step_minutes(method, payload.get("step_minutes"))
    auto_start_timer = payload.get("auto_start_timer", True)
    if not isinstance(auto_start_timer, bool):
        raise RuleViolation("bad_request")
    # The group's confidentiality agreement; creating with it on is confirming it (the form shows it).
    confidentiality = payload.get("confidentiality", False)
    if not isinstance(confidentiality, bool):
        raise RuleViolation("bad_request")
    deck, card_state = cards.initial_cards(method, payload.get("deck_id"))
    facilitator_key, screen_key, token = new_secret(), new_secret(), new_secret()
    follow_up_of, carried_actions = follow_up
    with db.session(write=True) as orm:
        for _ in range(20):
            code = rules.new_join_code()
            if orm.scalar(select(Session.id).where(Session.code == code)) is None:
                break
        first = rules.step_minutes(method.steps[0], overrides) * 60
        session = Session(
            id=new_id(),
            code=code,
            title=title,
            method_id=method.id,
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
            auto_start_timer=auto_start_timer,
            confidentiality=confidentiality,
            follow_up_of=follow_up_of,
            carried_actions=carried_actions,
            deck_id=deck.id if deck else None,
            method=method_to_data(method),
            deck=deck_to_data(deck) if deck else None,
            cards=card_state,
        )
        facilitator = Participant(
            id=new_id(),
            token_hash=digest(token),
            name=name,
            name_key=rules.name_key(name),
            role="facilitator",
            lang=lang,
            joined_at=now,
            agreed_at=now if confidentiality else None,
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
    the caller ``changed`` the session on the way in. The snapshot is read
    only after the connection has joined its rooms (``Outcome.then``), so
    whatever is committed meanwhile reaches it as a push: no gap between the
    snapshot and the stream (a contribution in both is dropped by id on the client).
    """
    arriving = participant is not None and participant.id not in connected_ids(orm, session.id, now)
    announce = changed or arriving
    _bind(orm, sid, session, participant, now)
    if arriving:
        back_again(orm, session, participant.id, now)
    if announce:
        touch(session, now)
    orm.commit()
    session_id, participant_id = session.id, participant.id if participant else None

    def read_snapshot() -> dict:
        ack = {"snapshot": fresh_snapshot(session_id, participant_id, time.time())}
        if token:
            ack["token"] = token
        return ack

    outcome = Outcome(join_rooms=_rooms(session, participant), session_id=session.id, then=read_snapshot)
    if announce:
        outcome.emits.append(state_emit(orm, session, now))
    return outcome


def fresh_snapshot(session_id: str, participant_id: str | None, now: float) -> dict:
    """The snapshot of a session for one viewer, read in a transaction of its own."""
    with db.session() as orm:
        session = orm.get(Session, session_id)
        if session is None:
            raise RuleViolation("unknown_session")
        viewer = orm.get(Participant, participant_id) if participant_id else None
        return snapshot(orm, session, viewer, now)


def join(sid: str, payload: dict, now: float) -> Outcome:
    """Someone joins with the code and a display name; they get a token to come back with."""
    name = checked_name(payload.get("name"))
    key = rules.name_key(name)
    with db.session(write=True) as orm:
        session = session_by_code(orm, payload.get("code"), for_update=True)
        if session.status == "ended":
            raise RuleViolation("session_ended")
        if session.joining_locked:
            raise RuleViolation("joining_locked")
        if any(p.name_key == key for p in session.participants if not p.removed):
            raise RuleViolation("name_taken")
        if session.confidentiality and payload.get("agree") is not True:
            raise RuleViolation("agreement_needed")  # nothing of the session before the agreement
        token = new_secret()
        person = Participant(
            id=new_id(),
            token_hash=digest(token),
            name=name,
            name_key=key,
            role="participant",
            lang=i18n.hinted_language(payload.get("lang"), session.lang),
            joined_at=now,
            agreed_at=now if session.confidentiality else None,
        )
        session.participants.append(person)
        try:
            orm.flush()
        except IntegrityError:  # the database's own guard: one name per person still in the session
            raise RuleViolation("name_taken") from None
        dealt = cards.enter_step(orm, session) if session.status == "running" else []
        breakouts.seat_newcomer(orm, session, person)  # groups meeting now take them in
        outcome = _welcome(orm, sid, session, person, now, token=token)
        outcome.emits.extend(dealt)
        return outcome


def resume(sid: str, payload: dict, now: float) -> Outcome:
    """A known participant comes back (reload, new connection, server restart) with their token."""
    token = payload.get("token")
    if not isinstance(token, str) or not 8 <= len(token) <= 100:
        raise RuleViolation("bad_token")
    with db.session(write=True) as orm:
        person = orm.scalar(select(Participant).where(Participant.token_hash == digest(token)))
        if person is None:
            raise RuleViolation("bad_token")
        if person.removed:
            raise RuleViolation("removed")
        session = lock(orm, person.session_id)
        code = payload.get("code")
        if code is not None and (not isinstance(code, str) or rules.normalise_code(code) != session.code):
            raise RuleViolation("bad_token")
        if "lang" in payload:
            person.lang = i18n.hinted_language(payload["lang"], person.lang)
        return _welcome(orm, sid, session, person, now)


def _session_by_key(orm, payload: dict, key_hash: str) -> Session:
    """The session of ``payload["code"]``, if ``payload["key"]`` is its screen or facilitator key (row locked)."""
    session = session_by_code(orm, payload.get("code"), for_update=True)
    key = payload.get("key")
    if not isinstance(key, str) or not secrets.compare_digest(digest(key), getattr(session, key_hash)):
        raise RuleViolation("bad_key")
    return session


def watch(sid: str, payload: dict, now: float) -> Outcome:
    """A shared screen follows the session read-only, with the screen key from the facilitator."""
    with db.session(write=True) as orm:
        session = _session_by_key(orm, payload, "screen_key_hash")
        return _welcome(orm, sid, session, None, now)


def claim_facilitator(sid: str, payload: dict, now: float) -> Outcome:
    """The facilitator link: sign in as the session's creator and take the facilitator role back.

    The creator's other devices lose the session at once: their connections
    are told (``session:revoked``) and closed, and their old token stops working.
    """
    with db.session(write=True) as orm:
        session = _session_by_key(orm, payload, "facilitator_key_hash")
        owner = min(session.participants, key=lambda p: p.joined_at)
        for p in session.participants:
            if p.role == "facilitator" and p is not owner:
                p.role = "participant"
        owner.role = "facilitator"
        session.stood_in_for = None
        if owner.removed and any(p.name_key == owner.name_key for p in session.participants if not p.removed):
            owner.name = f"{owner.name} ({len(session.participants)})"
            owner.name_key = rules.name_key(owner.name)
        owner.removed = False
        token = new_secret()  # a new device: the old token stops working
        owner.token_hash = digest(token)
        old_sids = [
            s
            for s in orm.scalars(select(Connection.sid).where(Connection.participant_id == owner.id))
            if s != sid
        ]
        orm.execute(delete(Connection).where(Connection.sid.in_(old_sids)))
        orm.flush()
        outcome = _welcome(orm, sid, session, owner, now, token=token, changed=True)
        outcome.emits.extend(Emit("session:revoked", {}, old) for old in old_sids)
        outcome.disconnect.extend(old_sids)
        return outcome


def disconnect(sid: str, now: float) -> Outcome:
    """A connection closed: forget it; the person shows as away only after the grace period."""
    with db.session(write=True) as orm:
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
    """The state as it is now, for everyone: sent when a grace period has run out.

    If the facilitator or the case bringer is still away, the step's timer pauses (see ``steps.pause_for_absence``).
    """
    with db.session(write=True) as orm:
        try:
            session = lock(orm, session_id)
        except RuleViolation:
            return Outcome()  # deleted meanwhile
        pause_for_absence(orm, session, now)
        orm.commit()
        return Outcome(emits=[state_emit(orm, session, now)])


def heartbeat(now: float) -> list[str]:
    """Mark this process's connections alive and drop rows of processes that died.

    Returns the sessions that lost connections so: their presence changed (see ``presence_state``).
    """
    with db.session(write=True) as orm:
        orm.execute(update(Connection).where(Connection.server_id == SERVER_ID).values(seen_at=now))
        stale = Connection.seen_at < now - cfg("CONNECTION_STALE_SECONDS")
        lost = sorted(set(orm.scalars(select(Connection.session_id).where(stale))))
        orm.execute(delete(Connection).where(stale))
        orm.commit()
        return lost


def _other(session: Session, participant_id) -> Participant:
    found = next((p for p in session.participants if p.id == participant_id and not p.removed), None)
    if found is None:
        raise RuleViolation("unknown_participant")
    return found


def make_case_bringer(orm, session: Session, target: Participant) -> list[Emit]:
    """Make ``target`` the case bringer (the one before steps down): the facilitator's choice, or the
    case round's. Returns what to send (their card hand goes back)."""
    if target.role != "case_bringer":
        session.record_consent_at = None  # another case, another case bringer to ask
    for p in session.participants:
        if p.role == "case_bringer":
            p.role = "participant"
    orm.flush()  # the old case bringer steps down before the new one steps up
    target.role = "case_bringer"
    return cards.drop_hand(session, target.id)


def assign_role(sid: str, payload: dict, now: float) -> Outcome:
    """The facilitator makes someone the case bringer or a participant, or hands facilitation over."""
    role = payload.get("role")
    if role not in ("case_bringer", "participant", "facilitator"):
        raise RuleViolation("bad_request")

    def change(orm, session, person):
        target = _other(session, payload.get("participant_id"))
        if target is person:
            return None
        if role == "case_bringer":
            return Outcome(emits=make_case_bringer(orm, session, target))
        target.role = role
        if role != "facilitator":
            return None
        person.role = "participant"
        # The new lead leaves their breakout group; the former one joins a group meeting now.
        breakouts.hand_over(orm, session, target, person, now)
        session.stood_in_for = None  # a hand-over (or handing back) ends a stand-in
        # Both now see a different set of contributions: they fetch a new snapshot.
        return Outcome(emits=[Emit("session:resync", {}, room_person(p.id)) for p in (person, target)])

    return facilitator_action(sid, payload, now, change, guarded=False)


def take_over(sid: str, payload: dict, now: float) -> Outcome:
    """The co-facilitator takes the lead while the facilitator is away past the grace period.

    The facilitator becomes a participant, remembered as ``stood_in_for`` so
    the lead can be handed back with ``role:assign``. Guarded like a control
    (``control``): a double click takes over once. Both get ``session:resync``.
    """
    with db.session(write=True) as orm:
        person, session = bound(orm, sid)
        rules.require_status(session.status, "lobby", "running")
        if person.id != session.co_facilitator_id or person.role != "participant":
            raise RuleViolation("not_co_facilitator")
        require_current(session, payload)
        lead = next(p for p in session.participants if p.role == "facilitator" and not p.removed)
        connected = connected_ids(orm, session.id, now)
        if rules.presence(lead.id in connected, lead.left_at, now, cfg("PRESENCE_GRACE_SECONDS")) != "away":
            raise RuleViolation("facilitator_present")
        lead.role, person.role = "participant", "facilitator"
        breakouts.hand_over(orm, session, person, lead, now)
        session.stood_in_for = lead.id
        # The new lead holds the timer now: nobody waits any more for the one they took over from.
        if session.absence_paused and not waited_for(session, connected, now):
            session.absence_paused = False
        session.control += 1
        touch(session, now)
        orm.commit()
        state = state_emit(orm, session, now)
        resync = [Emit("session:resync", {}, room_person(p.id)) for p in (person, lead)]
        return Outcome(ack={"state": state.data}, emits=[state, *resync])


def remove_participant(sid: str, payload: dict, now: float) -> Outcome:
    """The facilitator removes someone; their token stops working and their devices are disconnected."""

    def change(orm, session, person):
        target = _other(session, payload.get("participant_id"))
        if target is person:
            raise RuleViolation("forbidden_role")
        target.removed = True
        target.role = "participant"
        target.left_at = now
        breakouts.drop_member(orm, session, target.id, now)  # out of their group, their round skipped
        hands = cards.drop_hand(session, target.id)
        sids = list(orm.scalars(select(Connection.sid).where(Connection.participant_id == target.id)))
        orm.execute(delete(Connection).where(Connection.participant_id == target.id))
        return Outcome(
            emits=[Emit("session:removed", {}, room_person(target.id)), *hands],
            disconnect=sids,
        )

    return facilitator_action(sid, payload, now, change, guarded=False)


def record_consent(sid: str, payload: dict, now: float) -> Outcome:
    """The case bringer allows (``given: true``) or withdraws the download of the record; in a method
    with breakout groups, each member does so for the round in which they were the client.

    Acknowledged with ``{"given": bool}``; everyone hears the new state (the
    facilitator sees it). Refused ``case_bringer_only`` for anyone else; in a
    breakouts method ``consent_per_round`` for the facilitator, who is no round's client.
    """
    given = payload.get("given")
    if not isinstance(given, bool):
        raise RuleViolation("bad_request")
    with db.session(write=True) as orm:
        person, session = bound(orm, sid)
        if method_of(session).has_breakouts:
            if person.role == "facilitator":
                raise RuleViolation("consent_per_round")
            person.consent_at = now if given else None
        elif person.role != "case_bringer":
            raise RuleViolation("case_bringer_only")
        else:
            session.record_consent_at = now if given else None
        touch(session, now)
        orm.commit()
        return Outcome(ack={"given": given}, emits=[state_emit(orm, session, now)])


def set_language(sid: str, payload: dict, now: float) -> Outcome:
    """A person switches their language (``nl`` or ``en``); later errors reach them in it."""
    lang = i18n.checked_language(payload.get("lang"))
    with db.session(write=True) as orm:
        person, _session = bound(orm, sid)
        person.lang = lang
        orm.commit()
        return Outcome(ack={"lang": person.lang})
