"""Translation catalogues: one JSON file per language, shared by templates, JavaScript and errors.

Keys are dotted ids (``error.too_long``); values may hold ``{name}`` fields.
Dutch is the first language and the fallback.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

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
