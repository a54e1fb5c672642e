"""Reading a text while it is written: the question coach and the privacy guard, before anything is sent.

Nothing is stored and nobody else hears of it: the author alone gets the answer.
"""

from __future__ import annotations

from sqlalchemy import select

from .. import coach, privacy
from ..db import db
from ..i18n import translate
from ..models import Connection, Participant
from ..session import RuleViolation
from .base import Outcome, cfg

KIND_LENGTH = 32


def check_writing(sid: str, payload: dict, now: float) -> Outcome:
    """Read ``payload["text"]`` as a contribution of ``payload["kind"]`` that is still being written.

    The ack has ``coach`` (for a question: label, language, the words that made
    it closed or advice, an open suggestion in the text's language, hints; else
    None) and ``privacy`` (likely personal data of people outside the session,
    each with a replacement). Offsets count UTF-16 code units, as the
    browser's strings do. Errors: ``bad_request``, ``too_long``, ``not_joined``.
    """
    text, kind = payload.get("text"), payload.get("kind")
    if not isinstance(text, str) or not isinstance(kind, str) or not 0 < len(kind) <= KIND_LENGTH:
        raise RuleViolation("bad_request")
    if len(text) > cfg("MAX_TEXT_LENGTH"):
        raise RuleViolation("too_long", max=cfg("MAX_TEXT_LENGTH"))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: not text
        raise RuleViolation("bad_request") from None
    with db.session() as orm:
        person = orm.scalar(
            select(Participant)
            .join(Connection, Connection.participant_id == Participant.id)
            .where(Connection.sid == sid)
        )
        if person is None or person.removed:
            raise RuleViolation("not_joined")
        names = orm.scalars(
            select(Participant.name).where(
                Participant.session_id == person.session_id, Participant.removed.is_(False)
            )
        ).all()
        lang = person.lang
    verdict = coach.check(text, lang)  # under a millisecond: its tables load at start-up (events.py)
    found = privacy.findings(text, verdict.language, names)  # asks the guard's own process, green
    units = _Utf16(text)
    return Outcome(
        ack={
            "coach": _coach_view(verdict, units) if kind == "question" else None,
            "privacy": [{**f, "start": units.at(f["start"]), "end": units.at(f["end"])} for f in found],
        }
    )


def _coach_view(verdict: coach.Verdict, units: _Utf16) -> dict:
    return {
        "label": verdict.label,
        "language": verdict.language,
        "words": [[units.at(start), units.at(end)] for start, end in verdict.words],
        "suggestion": translate(verdict.language, verdict.suggestion) if verdict.suggestion else None,
        "hints": list(verdict.hints),
    }


class _Utf16:
    """Python offsets (code points) as JavaScript's (UTF-16 code units): they differ after an emoji."""

    def __init__(self, text: str):
        self.text = text
        self.plain = all(ord(ch) < 0x10000 for ch in text)

    def at(self, index: int) -> int:
        if self.plain:
            return index
        return index + sum(ord(ch) >= 0x10000 for ch in self.text[:index])
