"""What every service module shares: the outcome of an action, rooms, ids, and loading a session.

Every action commits its change before it returns an ``Outcome``: the
acknowledgement for the caller and the messages to deliver. The Socket.IO
layer only delivers them, so nothing is broadcast that is not already stored.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import bindparam, select
from sqlalchemy.orm import aliased

from .. import session as rules
from ..db import db
from ..methods import Method, method_from_data
from ..models import Connection, Contribution, Participant, Session
from ..session import RuleViolation, Timer

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
    # Called after the connection joined ``join_rooms``; what it returns is added to the acknowledgement.
    then: Callable[[], dict] | None = None


def new_id() -> str:
    return uuid.uuid4().hex


def new_secret() -> str:
    return secrets.token_urlsafe(24)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def methods() -> dict[str, Method]:
    return current_app.extensions["intervisie_methods"]


_kept: dict[tuple[str, str], object] = {}


def kept_with(session: Session, name: str, rebuild):
    """What ``session`` kept in its column ``name`` (its method, its deck), rebuilt from the data once
    per process; None when it kept none (a session from before they were kept)."""
    key = (session.id, name)
    found = _kept.get(key)
    if found is None:
        data = getattr(session, name)
        if data is None:
            return None
        if len(_kept) > 4000:
            _kept.clear()
        found = _kept[key] = rebuild(data)
    return found


def method_of(session: Session) -> Method:
    """The session's method as it was when the session was created (see ``Session.method``).

    Sessions from before methods were kept with them use the installed method
    of that id; when that is gone too, ``unknown_method``.
    """
    kept = kept_with(session, "method", method_from_data)
    if kept is not None:
        return kept
    if session.method_id not in methods():
        raise RuleViolation("unknown_method")
    return methods()[session.method_id]


def cfg(name: str):
    return current_app.config[name]


def checked_text(value, limit_name: str) -> str:
    """A multi-line text within the configured limit (see ``session.clean_text``)."""
    return rules.clean_text(value, cfg(limit_name))


def checked_name(value) -> str:
    limit = cfg("MAX_NAME_LENGTH")
    try:
        return rules.clean_text(value, limit, single_line=True)
    except RuleViolation:
        raise RuleViolation("name_required", max=limit) from None


def session_by_code(orm, code, *, for_update: bool = False) -> Session:
    """The session with this join code; ``for_update`` locks its row until the transaction ends."""
    if not isinstance(code, str) or len(code) > 32:
        raise RuleViolation("unknown_session")
    query = select(Session).where(Session.code == rules.normalise_code(code))
    found = orm.scalar(query.with_for_update() if for_update else query)
    if found is None:
        raise RuleViolation("unknown_session")
    return found


def lock(orm, session_id: str) -> Session:
    """The session, its row locked until the transaction ends (``db.lock_session``); every
    read-check-write of a session takes its turn. Raises ``unknown_session`` when it is gone."""
    session = db.lock_session(orm, session_id)
    if session is None:
        raise RuleViolation("unknown_session")
    return session


def bound(orm, sid: str) -> tuple[Participant, Session]:
    """The participant and session this connection belongs to, the session row locked (see ``lock``)."""
    conn = orm.get(Connection, sid)
    if conn is None or conn.participant_id is None:
        raise RuleViolation("not_joined")
    session = lock(orm, conn.session_id)
    person = orm.get(Participant, conn.participant_id)
    if person is None or person.removed:
        raise RuleViolation("not_joined")
    return person, session


@dataclass
class Member:
    """A person in a seated session (see ``seat``), with the ids of their open connections."""

    id: str
    name: str
    name_key: str
    role: str
    removed: bool
    sids: list[str] = field(default_factory=list)


@dataclass
class Seat:
    """A session as the contribution path reads it (``seat``): the columns it needs, no ORM object.

    It has the attributes of ``Session`` that the rules and views read on that
    path (``method_of``, ``sealed_step``, ``deliver`` accept it); a column the
    path comes to need is added here and to ``seat``'s query.
    """

    id: str
    status: str
    step_index: int
    turn_order: list | None
    turn_index: int | None
    revealed_steps: list | None
    updated_at: float
    method_id: str
    full: bool  # it holds MAX_CONTRIBUTIONS_PER_SESSION contributions already
    participants: list[Member]
    method: dict | None = None  # read only when this process has not kept the method yet

    def sids(self) -> dict[str, list[str]]:
        return {p.id: p.sids for p in self.participants}


_seat_queries: dict[int, object] = {}


def seat_query():
    """The one statement of ``seat`` (built once per limit): the session, row locked; its people; their
    connections; and whether it is full (the ``MAX_CONTRIBUTIONS_PER_SESSION``-th row exists: no COUNT)."""
    most = cfg("MAX_CONTRIBUTIONS_PER_SESSION")
    query = _seat_queries.get(most)
    if query is None:
        mine, conn = aliased(Connection), aliased(Connection)
        session_of_sid = select(mine.session_id).where(
            mine.sid == bindparam("sid"), mine.participant_id.is_not(None)
        )
        where = session_of_sid.scalar_subquery()
        # Not correlated with the outer rows: read once per statement, not once per person.
        held = select(Contribution.id).where(Contribution.session_id == where).offset(most - 1).limit(1)
        query = _seat_queries[most] = (
            select(
                Session.id,
                Session.status,
                Session.step_index,
                Session.turn_order,
                Session.turn_index,
                Session.revealed_steps,
                Session.updated_at,
                Session.method_id,
                held.exists(),
                Participant.id,
                Participant.name,
                Participant.name_key,
                Participant.role,
                Participant.removed,
                conn.sid,
            )
            .join(Participant, Participant.session_id == Session.id)
            .outerjoin(conn, conn.participant_id == Participant.id)
            .where(Session.id == where)
            .with_for_update(of=Session)
        )
    return query


def seat(orm, sid: str) -> tuple[Member, Seat]:
    """Who is at connection ``sid`` and where: one read, the session row locked (as ``bound`` does).

    The contribution path's ``bound``: no ORM objects, and the people and their
    connections come with it, so the contribution is checked, stored and
    published without another read. Raises ``not_joined`` when the connection
    is not a person's (a screen, never entered, removed, revoked).
    """
    rows = orm.connection().execute(seat_query(), {"sid": sid}).all()
    if not rows:
        raise RuleViolation("not_joined")
    first = rows[0]
    people: dict[str, Member] = {}
    me = None
    for *_, pid, name, name_key, role, removed, conn_sid in rows:
        person = people.get(pid)
        if person is None:
            person = people[pid] = Member(pid, name, name_key, role, removed)
        if conn_sid is not None:
            person.sids.append(conn_sid)
            if conn_sid == sid:
                me = person
    if me is None or me.removed:
        raise RuleViolation("not_joined")
    where = Seat(*first[:9], participants=list(people.values()))
    if (where.id, "method") not in _kept:
        where.method = orm.scalar(select(Session.method).where(Session.id == where.id))
    return me, where


def require_current(session: Session, payload: dict) -> None:
    """Refuse a control sent from another state than the one the session is in now (``stale``)."""
    sent = payload.get("control")
    if type(sent) is not int or sent != session.control:
        raise RuleViolation("stale")


def timer_of(row) -> Timer:
    """The timer kept in ``row``'s ``timer_*`` columns: a session's step timer, or a breakout group's."""
    return Timer(row.timer_state, row.timer_duration, row.timer_deadline, row.timer_remaining)


def store_timer(row, timer: Timer) -> None:
    """Keep ``timer`` in ``row``'s ``timer_*`` columns (a session or a breakout group)."""
    row.timer_state = timer.state
    row.timer_duration = timer.duration
    row.timer_deadline = timer.deadline
    row.timer_remaining = timer.remaining


def touch(session: Session, now: float) -> None:
    session.version += 1
    session.updated_at = now


def to_ms(seconds: float | None) -> int | None:
    return None if seconds is None else round(seconds * 1000)


def connected_ids(orm, session_id: str, now: float) -> set[str]:
    fresh = now - cfg("CONNECTION_STALE_SECONDS")
    rows = orm.scalars(
        select(Connection.participant_id).where(
            Connection.session_id == session_id,
            Connection.participant_id.is_not(None),
            Connection.seen_at >= fresh,
        )
    )
    return set(rows)
