"""HTTP pages and the small JSON API next to the live protocol."""

from __future__ import annotations

import io
import json
import time

import segno
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    get_template_attribute,
    jsonify,
    render_template,
    request,
    url_for,
)
from sqlalchemy import select

from . import i18n, limits, records, service, tailoring
from .db import db
from .methods import EXPERIENCE, GOALS, MethodError
from .models import Participant, Session
from .session import RuleViolation, normalise_code

bp = Blueprint("views", __name__)

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; media-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


@bp.after_app_request
def security_headers(response: Response) -> Response:
    """No third parties, no framing, no leaking of join links; nothing confidential cached."""
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    if not request.path.startswith("/static/"):
        response.headers["Cache-Control"] = "no-store"
    return response


def page_language() -> str:
    return i18n.pick(
        request.args.get("lang") or request.cookies.get("lang") or i18n.best_match(request.accept_languages)
    )


# Texts a page never shows are left out of it, to keep its first load small.
# The record's texts (downloads, follow-up, deletion, last time's actions) are needed by few people
# and late: a session page fetches them from /api/texts/record when it first shows one.
RECORD_LATER = (
    "ui.record.export.",
    "ui.record.keep.",
    "ui.record.carried.",
    "ui.record.fac.",
    "ui.record.follow.",
)
START_ONLY = ("ui.home.", "ui.create.", *RECORD_LATER)
# "ui.revoked." is for the facilitator's own devices (session:claim elsewhere); participants never get it.
NOT_FOR_PARTICIPANTS = (*START_ONLY, "ui.fac.", "ui.cards.fac.", "ui.revoked.")


def _with_cards(session: Session, skip: tuple[str, ...]) -> dict:
    """A session with question cards loads their styles and texts; one without needs neither."""
    has_deck = service.deck_of(session) is not None
    return {"has_deck": has_deck, "skip_texts": skip if has_deck else (*skip, "ui.cards.")}


def _client_catalogues(skip: tuple[str, ...] = ()) -> dict:
    """The ``ui.*`` texts in every language, for the page's JavaScript (errors arrive translated)."""
    return {
        code: {
            k: v for k, v in i18n.catalogue(code).items() if k.startswith("ui.") and not k.startswith(skip)
        }
        for code in i18n.LANGUAGES
    }


def _translator(lang: str):
    return lambda key, **params: i18n.translate(lang, key, **params)


def _render(template: str, *, skip_texts: tuple[str, ...] = (), **context) -> str:
    lang = page_language()
    return render_template(
        template,
        lang=lang,
        t=_translator(lang),
        catalogues=_client_catalogues(skip_texts),
        **context,
    )


def _session_or_404(code: str) -> Session:
    with db.session() as orm:
        found = orm.scalar(select(Session).where(Session.code == normalise_code(code)))
    if found is None:
        abort(404)
    return found


_TOO_MANY: dict[str, str] = {}
# How deep a JSON body may nest: the deepest this API reads is three levels.
MAX_JSON_DEPTH = 32


def readable_json(value) -> bool:
    """Whether a parsed JSON body holds only valid Unicode (no lone surrogate) and nests at most ``MAX_JSON_DEPTH``."""
    pending = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if depth > MAX_JSON_DEPTH:
            return False
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return False
        elif isinstance(item, dict):
            pending.extend((k, depth + 1) for k in item)
            pending.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            pending.extend((v, depth + 1) for v in item)
    return True


@bp.before_app_request
def refuse_unreadable_json():
    """A JSON body that does not parse, nests past reason or is not valid Unicode is answered 400
    ``bad_request`` before any handler reads it (it once reached a hash of a token and answered 500)."""
    if not request.is_json or not request.content_length:
        return None
    try:
        body = json.loads(request.get_data(cache=True))
    except (ValueError, RecursionError):
        body = None
        readable = False
    else:
        readable = readable_json(body)
    if readable:
        return None
    return _api_error("bad_request", page_language())


@bp.before_app_request
def limit_code_lookups():
    """Every path with a join code is a look-up, counted per address as ``session:join`` is (limits.py).

    Over the limit: 429, a translated page or JSON error; a 404 versus 200 no longer tells a guesser much.
    """
    if not (request.view_args and "code" in request.view_args):
        return None
    if limits.of(current_app).lookup_allowed(request.remote_addr):
        return None
    lang = page_language()
    if request.path.startswith("/api/"):
        response, _status = _api_error("rate_limited", lang, 429)
    else:
        if lang not in _TOO_MANY:  # rendered once per language: a refusal should cost next to nothing
            _TOO_MANY[lang] = _render("too_many.html", skip_texts=NOT_FOR_PARTICIPANTS + ("ui.cards.",))
        response = Response(_TOO_MANY[lang])
    response.status_code = 429
    response.headers["Retry-After"] = "60"
    return response


@bp.app_errorhandler(404)
def not_found(_error):
    """A stale or mistyped session link: say so in the visitor's language, and offer the way back."""
    return _render("not_found.html", skip_texts=NOT_FOR_PARTICIPANTS + ("ui.cards.",)), 404


@bp.get("/")
def start():
    """Create a session or join one with a code."""
    lang = page_language()
    return _render(
        "start.html",
        methods=[m.summary(lang) for m in service.methods().values()],
        # The check-in cards are offered on their own (tailoring.with_checkin_cards), not as question cards.
        decks=[d for d in service.deck_summaries(lang) if d["id"] != tailoring.CHECKIN_DECK],
        checkin_deck=tailoring.CHECKIN_DECK in service.decks(),
        goals=GOALS,
        experience=EXPERIENCE,
    )


def _session_page(code: str, view: str, skip: tuple[str, ...], **context) -> str:
    """One page template serves every view of a session; each gets only the texts it shows."""
    session = _session_or_404(code)
    return _render("session.html", view=view, code=session.code, **_with_cards(session, skip), **context)


def _about(code: str) -> dict:
    """What a person needs to know they found the right session before joining, and nothing more:

    its title, the facilitator's name, the method's name and whether the group's confidentiality
    agreement is asked on joining (never the case, people or writing).
    """
    session = _session_or_404(code)
    with db.session() as orm:
        facilitator = orm.scalar(
            select(Participant.name).where(
                Participant.session_id == session.id,
                Participant.role == "facilitator",
                Participant.removed.is_(False),
            )
        )
    try:
        names = dict(service.method_of(session).names)  # as created: tailored, or the group's own
    except RuleViolation:
        names = {}
    return {
        "title": session.title,
        "facilitator": facilitator or "",
        "method": names,
        "confidentiality": session.confidentiality,
    }


@bp.get("/s/<code>")
def participant(code: str):
    """Join with a name, or come back with the token kept in this browser."""
    return _session_page(code, "participant", NOT_FOR_PARTICIPANTS, about=_about(code))


@bp.get("/s/<code>/facilitator")
def facilitator(code: str):
    """The facilitator's view; the facilitator key travels in the URL fragment, never to the server log."""
    return _session_page(code, "facilitator", START_ONLY)


@bp.get("/s/<code>/screen")
def screen(code: str):
    """The read-only shared screen for a projector; the screen key travels in the URL fragment."""
    return _session_page(code, "screen", NOT_FOR_PARTICIPANTS)


@bp.get("/s/<code>/qr.svg")
def qr_code(code: str):
    """The join link as a QR code, drawn here: no third-party service sees the code."""
    session = _session_or_404(code)
    link = url_for("views.participant", code=session.code, _external=True)
    out = io.BytesIO()
    segno.make(link, error="m").save(out, kind="svg", scale=8, border=2, dark="#000", light="#fff")
    return Response(out.getvalue(), mimetype="image/svg+xml")


@bp.get("/api/methods")
def list_methods():
    lang = page_language()
    return jsonify([m.summary(lang) for m in service.methods().values()])


@bp.post("/api/sessions")
def create_session():
    """Create a session; the answer holds the secrets only its creator may have."""
    payload = request.get_json(silent=True)
    lang = page_language()
    if not isinstance(payload, dict):
        return _api_error("bad_request", lang)
    if not limits.of(current_app).creation_allowed(request.remote_addr):
        response, status = _api_error("rate_limited", lang, 429)
        response.headers["Retry-After"] = "60"
        return response, status
    try:
        created = service.create_session(payload, time.time(), follow_up=records.carry_over(payload))
    except RuleViolation as refusal:
        status = 403 if refusal.code == "follow_up_forbidden" else 400
        return _api_error(refusal.code, payload.get("lang") or lang, status, **refusal.params)
    except MethodError as broken:
        return _method_error(broken, payload.get("lang") or lang)
    code = created["code"]
    created["join_url"] = url_for("views.participant", code=code, _external=True)
    created["facilitator_url"] = (
        url_for("views.facilitator", code=code, _external=True) + "#key=" + created["facilitator_key"]
    )
    created["screen_url"] = (
        url_for("views.screen", code=code, _external=True) + "#key=" + created["screen_key"]
    )
    return jsonify({"ok": True, **created}), 201


def _api_error(code: str, lang, status: int = 400, **params):
    body = {"ok": False, "error": code, "message": i18n.translate(lang, f"error.{code}", **params)}
    return jsonify(body), status


def _method_error(broken: MethodError, lang):
    """A method file or plan that does not hold: its file, field and problem, in the user's language."""
    body = {
        "ok": False,
        "error": "method_invalid",
        "message": tailoring.explain(lang, broken),
        "file": broken.source,
        "field": broken.where,
    }
    return jsonify(body), 400


def _method_request(read):
    """Run ``read(payload)`` for a method API call; refusals become translated 400 answers."""
    payload = request.get_json(silent=True)
    lang = page_language()
    if not isinstance(payload, dict):
        return _api_error("bad_request", lang)
    lang = i18n.pick(payload.get("lang") or lang)
    try:
        return read(payload, lang)
    except RuleViolation as refusal:
        return _api_error(refusal.code, lang, **refusal.params)
    except MethodError as broken:
        return _method_error(broken, lang)


# The start page's radio value for a group's own uploaded method (an installed method's is its id).
OWN_METHOD = "own:file"


@bp.post("/api/methods/check")
def check_method():
    """Check an uploaded method file (``method_file``: name and YAML text) before a session runs it.

    Answers its summary and its rows for the start page's picker, or the file, field and problem.
    """

    def read(payload, lang):
        if payload.get("method_file") is None:
            raise RuleViolation("bad_request")
        method = service.chosen_method({"method_file": payload["method_file"]})
        summary, t = method.summary(lang), _translator(lang)
        option, steps = (get_template_attribute("method_picker.html", name) for name in ("option", "steps"))
        return jsonify(
            {
                "ok": True,
                "method": summary,
                "option": str(option(summary, t, OWN_METHOD)),
                "steps": str(steps(summary, t, OWN_METHOD)),
            }
        )

    return _method_request(read)


@bp.post("/api/methods/own")
def own_method():
    """The chosen method as tailored (``method_id`` or ``method_file``, ``plan``), as a YAML file
    named ``name``: the group's own method, to upload again or to install in ``methods/``."""

    def read(payload, _lang):
        filename, text = tailoring.own_method_file(service.chosen_method(payload), payload.get("name"))
        return Response(
            text,
            mimetype="application/yaml",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )

    return _method_request(read)


@bp.get("/api/texts/record")
def record_texts():
    """The texts of the session record's controls, in every language, for a page that now needs them."""
    catalogues = _client_catalogues()
    return jsonify(
        {
            code: {k: v for k, v in texts.items() if k.startswith(RECORD_LATER)}
            for code, texts in catalogues.items()
        }
    )


@bp.get("/healthz")
def health():
    return {"ok": True, "methods": len(current_app.extensions["intervisie_methods"])}
