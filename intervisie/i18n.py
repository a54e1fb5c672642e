"""Translation catalogues: one JSON file per language, shared by templates, JavaScript and errors.

Keys are dotted ids (``error.too_long``); values may hold ``{name}`` fields.
Dutch is the first language and the fallback.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

from .session import RuleViolation

CATALOGUES = Path(__file__).resolve().parent / "translations"
LANGUAGES = ("nl", "en")
DEFAULT = "nl"


@cache
def catalogue(lang: str) -> dict[str, str]:
    return json.loads((CATALOGUES / f"{pick(lang)}.json").read_text(encoding="utf-8"))


def pick(lang) -> str:
    """A supported language for whatever a client sent (``en-GB`` gives ``en``)."""
    if isinstance(lang, str) and lang[:2].lower() in LANGUAGES:
        return lang[:2].lower()
    return DEFAULT


def checked_language(lang) -> str:
    """A language a client asked for explicitly: ``nl`` or ``en`` (a region such as ``en-GB`` is fine).

    Raises ``RuleViolation("bad_request")`` for anything else, rather than
    silently switching the person to Dutch.
    """
    if not isinstance(lang, str) or not re.fullmatch(r"(nl|en)([-_][A-Za-z0-9]{1,8})*", lang, re.IGNORECASE):
        raise RuleViolation("bad_request")
    return lang[:2].lower()


def hinted_language(lang, fallback: str) -> str:
    """The language a client hints at on joining or coming back; ``fallback`` when it is none of ours."""
    try:
        return checked_language(lang)
    except RuleViolation:
        return fallback


def translate(lang, key: str, **params) -> str:
    text = catalogue(pick(lang)).get(key) or catalogue(DEFAULT).get(key) or key
    try:
        return text.format(**params)
    except (KeyError, IndexError, ValueError):
        return text


def best_match(accept_language) -> str:
    """The language to start with for a visitor, from the Accept-Language header."""
    for lang in accept_language.values() if accept_language else ():
        if lang[:2].lower() in LANGUAGES:
            return lang[:2].lower()
    return DEFAULT
