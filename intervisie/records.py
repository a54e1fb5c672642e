"""HTTP endpoints around the session record: download, the case as recorded, attendance, deletion.

Who may do what follows from the participant token, sent as an
``Authorization: Bearer`` header or as a ``token`` field of a POST (so a plain
HTML form can start a download). Never from the query string, which ends up in
logs and browser history.
"""

from __future__ import annotations

import csv
import io
import re
import threading
import time
from contextlib import contextmanager

from babel.numbers import format_decimal
from flask import Blueprint, Response, jsonify, request
from sqlalchemy import select

from . import export, i18n, retention
from .db import db
from .models import Participant, Session
from .offload import run_off_loop
from .service import digest, method_of
from .session import RuleViolation, clean_text, normalise_code

bp = Blueprint("records", __name__)

WRITERS = {
    "md": ("text/markdown; charset=utf-8", export.to_markdown),
    "pdf": ("application/pdf", export.to_pdf),
    "json": ("application/json", export.to_json),
}
CASE_MAX_LENGTH = 6000
# A spreadsheet runs a cell starting with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


class Refused(Exception):
    """A request this person may not make; answered as JSON in their language."""

    def __init__(self, code: str, status: int, lang: str, **params):
        super().__init__(code)
        self.code, self.status, self.lang, self.params = code, status, lang, params


@bp.errorhandler(Refused)
def _refused(err: Refused):
    message = i18n.translate(err.lang, f"error.{err.code}", **err.params)
    return jsonify({"ok": False, "error": err.code, "message": message}), err.status


# --- who is asking -----------------------------------------------------------------------


def _body() -> dict:
    if request.method not in ("POST", "DELETE"):
        return {}
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else request.form.to_dict()


def _param(name: str):
    """A parameter that is not a secret: from the body, else the query string."""
    value = _body().get(name)
    return request.args.get(name) if value is None else value


def _flag(name: str) -> bool:
    return str(_param(name)).strip().lower() in ("1", "true", "yes", "on")


def _token() -> str | None:
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip()
    token = _body().get("token")
    return token if isinstance(token, str) else None


def participant_for(orm, session: Session, token) -> Participant | None:
    """The (not removed) participant of this session that holds ``token``."""
    if not isinstance(token, str) or not 8 <= len(token) <= 100:
        return None
    person = orm.scalar(select(Participant).where(Participant.token_hash == digest(token)))
    if person is None or person.session_id != session.id or person.removed:
        return None
    return person


def may_export(person: Participant, session: Session) -> bool:
    """The facilitator at any time; the case bringer once the session is in its last step or over."""
    if person.role == "facilitator":
        return True
    last_step = len(method_of(session).steps) - 1
    in_last_step = session.status == "running" and session.step_index >= last_step
    return person.role == "case_bringer" and (session.status == "ended" or in_last_step)


def consented(session: Session) -> bool:
    """False while a session under the confidentiality agreement waits for the case bringer's consent.

    A method with breakout groups has no case bringer to ask: each member allows their own round
    (``record:consent``), and a round without that consent is left out of the record."""
    if method_of(session).has_breakouts:
        return True
    return not session.confidentiality or session.record_consent_at is not None


def _is_facilitator(person: Participant, _session: Session) -> bool:
    return person.role == "facilitator"


def _is_case_bringer(person: Participant, _session: Session) -> bool:
    return person.role == "case_bringer"


def _load(orm, code: str, allowed, refusal: str) -> tuple[Session, Participant, str]:
    """The session, the person asking and their language; refuses with 404 or 403."""
    asked = _param("lang")
    lang = i18n.pick(asked or i18n.best_match(request.accept_languages))
    session = None
    if len(code) <= 32:
        session = orm.scalar(select(Session).where(Session.code == normalise_code(code)))
    if session is None:
        raise Refused("unknown_session", 404, lang)
    person = participant_for(orm, session, _token())
    if person is not None and not asked:
        lang = i18n.pick(person.lang)
    if person is None or not allowed(person, session):
        if refusal == "record_forbidden" and person is not None and person.role == "case_bringer":
            refusal = "record_not_yet"
        raise Refused(refusal, 403, lang)
    return session, person, lang


def _download(body: bytes, content_type: str, filename: str) -> Response:
    response = Response(body, content_type=content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


# --- the record --------------------------------------------------------------------------


@bp.route("/api/sessions/<code>/record.<any(md, pdf, json):fmt>", methods=["GET", "POST"])
def download_record(code: str, fmt: str):
    """The session record as Markdown, PDF or JSON; people's names only with names=true.

    The database is read here (quick); the file is written off the event loop,
    so a long record never holds up the other sessions. A PDF of more than
    ``export.PDF_MAX_CHARS`` characters is refused with 413 ``record_too_large``.
    """
    with db.session() as orm:
        session, _person, lang = _load(orm, code, may_export, "record_forbidden")
        if not consented(session):
            raise Refused("consent_needed", 403, lang)
        record = export.build_record(orm, session, lang=lang, names=_flag("names"), tz=_param("tz"))
    if fmt == "pdf" and export.text_size(record) > export.PDF_MAX_CHARS:
        raise Refused("record_too_large", 413, lang, limit=format_decimal(export.PDF_MAX_CHARS, locale=lang))
    content_type, write = WRITERS[fmt]
    filename = f"{export.label(lang, 'filename')}-{record['session']['date']}.{fmt}"
    with _one_build_per_session(session.id, lang):
        body = run_off_loop(write, record)
    return _download(body, content_type, filename)


_building: set[str] = set()  # sessions whose record file is being written now
_building_lock = threading.Lock()


@contextmanager
def _one_build_per_session(session_id: str, lang: str):
    """One record file of a session at a time: repeated downloads of a long PDF cannot fill the
    few worker threads that every session's downloads share (refused 503 ``busy``, try again)."""
    with _building_lock:
        if session_id in _building:
            raise Refused("busy", 503, lang)
        _building.add(session_id)
    try:
        yield
    finally:
        with _building_lock:
            _building.discard(session_id)


def _case_view(orm, session: Session) -> dict:
    told = export.told_case(orm, session)
    return {
        "ok": True,
        "text": session.record_case or told,
        "told": told,
        "edited": bool(session.record_case),
    }


@bp.get("/api/sessions/<code>/record/case")
def recorded_case(code: str):
    """The case text as it will go into the record, and as it was told, for the case bringer to edit."""
    with db.session() as orm:
        session, _person, _lang = _load(orm, code, _is_case_bringer, "case_bringer_only")
        return jsonify(_case_view(orm, session))


@bp.post("/api/sessions/<code>/record/case")
def record_case(code: str):
    """The case bringer shortens or redacts the case for the record; an empty text restores the original."""
    with db.session(write=True) as orm:
        session, _person, lang = _load(orm, code, _is_case_bringer, "case_bringer_only")
        try:
            text = clean_text(_param("text") or "", CASE_MAX_LENGTH, required=False)
        except RuleViolation as refusal:
            raise Refused(refusal.code, 400, lang, **refusal.params) from None
        session.record_case = text or None
        session.updated_at = time.time()
        db.scrub_after_commit(orm)  # what was cut from the case must not linger on disk
        orm.commit()
        return jsonify(_case_view(orm, session))


# --- attendance --------------------------------------------------------------------------


def attended_minutes(person: Participant, session: Session, now: float) -> int:
    """From joining (or the start, if later) to the end, or to leaving if they never came back."""
    if session.started_at is None:
        return 0
    start = max(person.joined_at, session.started_at)
    end = session.ended_at or now
    if person.left_at is not None:
        end = min(end, person.left_at)
    return max(0, round((end - start) / 60))


def safe_cell(value) -> str:
    """A cell as written, valid Unicode, that a spreadsheet never runs as a formula."""
    text = export.valid_text(str(value))
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def attendance_csv(lang: str, day: str, rows: list[tuple[str, int]]) -> bytes:
    """The attendance list as CSV: a header, then name, date written out, minutes per person."""
    out = io.StringIO()
    # Dutch spreadsheet programs split columns on semicolons, English ones on commas.
    writer = csv.writer(out, delimiter=";" if lang == "nl" else ",", lineterminator="\r\n")
    writer.writerow([safe_cell(export.label(lang, f"attendance.{k}")) for k in ("name", "date", "minutes")])
    written_day = export.long_date(day, lang)
    for name, minutes in rows:
        writer.writerow([safe_cell(name), safe_cell(written_day), minutes])
    # The byte-order mark makes spreadsheet programs read the names as UTF-8.
    return ("\ufeff" + out.getvalue()).encode("utf-8")


@bp.route("/api/sessions/<code>/attendance.csv", methods=["GET", "POST"])
def attendance(code: str):
    """Who attended and for how long, for accreditation; the facilitator only."""
    with db.session() as orm:
        session, _person, lang = _load(orm, code, _is_facilitator, "facilitator_only")
        now = time.time()
        day = export.session_date(session, export.zone(_param("tz")))
        rows = [(person.name, attended_minutes(person, session, now)) for person in session.participants]
    filename = f"{export.label(lang, 'attendance_filename')}-{day}.csv"
    body = run_off_loop(attendance_csv, lang, day, rows)
    return _download(body, "text/csv; charset=utf-8", filename)


# --- deleting ----------------------------------------------------------------------------


@bp.route("/api/sessions/<code>", methods=["DELETE"])
@bp.post("/api/sessions/<code>/delete")
def delete_session(code: str):
    """The facilitator deletes the session and everything in it now; confirm=<session code> required."""
    with db.session(write=True) as orm:
        session, _person, lang = _load(orm, code, _is_facilitator, "facilitator_only")
        confirm = _param("confirm")
        if not isinstance(confirm, str) or normalise_code(confirm[:32]) != session.code:
            raise Refused("confirm_delete", 400, lang)
        session_id = session.id
        retention.delete_sessions(orm, [session_id])
        orm.commit()
    retention.announce([session_id])
    return jsonify({"ok": True, "deleted": True})


# --- follow-up ---------------------------------------------------------------------------


def carry_over(payload: dict) -> tuple[str | None, list | None]:
    """For a new session: which session it follows up, and the actions to review from there.

    The source is the earlier session itself (its code and the token of its
    facilitator or case bringer) or its JSON record; names come along only if
    asked for (``follow_up.names``) or present in that record. Raises
    ``RuleViolation`` (``bad_request``, ``unknown_session``,
    ``follow_up_forbidden``, ``bad_record``).
    """
    source, record = payload.get("follow_up"), payload.get("follow_up_record")
    if source is None and record is None:
        return None, None
    if source is not None:
        if not isinstance(source, dict) or not isinstance(source.get("code"), str):
            raise RuleViolation("bad_request")
        with db.session() as orm:
            earlier = orm.scalar(select(Session).where(Session.code == normalise_code(source["code"][:32])))
            if earlier is None:
                raise RuleViolation("unknown_session")
            person = participant_for(orm, earlier, source.get("token"))
            if person is None or not may_export(person, earlier):
                raise RuleViolation("follow_up_forbidden")
            if not consented(earlier):
                raise RuleViolation("consent_needed")
            record = export.build_record(orm, earlier, lang=earlier.lang, names=source.get("names") is True)
    return carried_actions(record)


def carried_actions(record) -> tuple[str | None, list]:
    """The actions of a record, checked field by field: an uploaded file is not trusted."""
    if not isinstance(record, dict) or record.get("schema_version") != export.SCHEMA_VERSION:
        raise RuleViolation("bad_record")
    actions = record.get("actions")
    if not isinstance(actions, list) or len(actions) > 100:
        raise RuleViolation("bad_record")
    fields = [("who", 200), ("when", 200), ("measure", 200)]
    if record.get("names_included") is True:
        fields.append(("author", 80))
    carried = []
    try:
        for action in actions:
            if not isinstance(action, dict):
                raise RuleViolation("bad_record")
            kept = {"text": clean_text(action.get("text"), 2000)}
            for name, limit in fields:
                if action.get(name) is not None and clean_text(action[name], limit, required=False):
                    kept[name] = clean_text(action[name], limit)
            carried.append(kept)
    except RuleViolation:
        raise RuleViolation("bad_record") from None
    earlier = record.get("session")
    earlier_id = earlier.get("id") if isinstance(earlier, dict) else None
    if not (isinstance(earlier_id, str) and re.fullmatch(r"[0-9a-f]{32}", earlier_id)):
        earlier_id = None
    return earlier_id, carried
