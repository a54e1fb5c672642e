"""The privacy guard: likely personal data of third parties in a text, before it is sent.

Cases are confidential and the house rule is "no names of clients or
patients", yet people type them without thinking. The detection is deduce's,
a maintained de-identification library made for Dutch clinical text: names
(from its name lists and its context rules), dates, street addresses and
postcodes, Dutch phone numbers, e-mail addresses, BSN (with its 11-check)
and long numbers. For English, deduce's name lists and patterns for e-mail
and dates carry over; ``phonenumbers`` (Google's libphonenumber) finds
British, American and international phone numbers, and a few patterns in
deduce's own annotator type add English months, street names and "client
number 123" phrases in either language.

deduce takes minutes to build its lookup tables after an install (``./dev``
does that once) and seconds to load them, so the server starts a worker
process that loads them (``start_loading``) and asks it; until it is ready,
``ready()`` is False and ``findings`` finds nothing: the guard never makes
anyone wait. Tests and the benchmark ``load()`` it in their own process.
"""

from __future__ import annotations

import json
import logging
import os
import re
import select
import string
import subprocess
import sys
import threading
from collections.abc import Iterable
from subprocess import PIPE

import phonenumbers
from stop_words import get_stop_words

from . import i18n

KINDS = ("name", "date", "address", "phone", "email", "bsn", "client_number")
# deduce's tags, after its own post-processing, as our kinds; other tags are not flagged.
_KIND_OF_TAG = {
    "persoon": "name",
    "bijnaam": "name",  # ours: a nickname said to be one, a name even where it is an everyday word ("Big Mo")
    "datum": "date",
    "locatie": "address",
    "telefoonnummer": "phone",
    "emailadres": "email",
    "bsn": "bsn",
    "id": "client_number",
    "cliëntnummer": "client_number",
}
# deduce's parts that flag what is no third party's personal data here: a city, the hospital or
# care home someone works at, an age, a web address. The redactor and the patient's own name
# (we give deduce no patient) are not needed.
_DISABLED = frozenset(
    {
        "placename",
        "hospital",
        "institution",
        "age",
        "url",
        "patient_name",
        "redactor",
        "merge_adjacent_annotations",
    }
)
_MONTHS_EN = "January|February|March|April|May|June|July|August|September|October|November|December"
_MONTHS_NL = "januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|november|december"
_EXTRA_PATTERNS = {
    # 4 May 1950, May 4, 1950
    "date_en": (
        rf"\b((?:\d{{1,2}}(?:st|nd|rd|th)? (?:{_MONTHS_EN}),? (?:19|20)\d\d)"
        rf"|(?:(?:{_MONTHS_EN}) \d{{1,2}}(?:st|nd|rd|th)?,? (?:19|20)\d\d))\b",
        "datum",
    ),
    # 12 High Street, 221b Baker Street
    "street_en": (
        r"\b(\d{1,4}[a-z]? (?:[A-Z][a-z]+ ){1,3}(?:Street|St|Road|Rd|Avenue|Ave|Lane|Drive|Way|Close"
        r"|Court|Square|Place|Crescent|Gardens|Terrace|Grove))\b",
        "locatie",
    ),
    # A birthday without its year is still a date of birth: "jarig op 14 maart", "born on 3rd May"
    "birthday": (
        r"(?i)\b(?:jarig|verjaardag|geboren|birthday|born|turns?\s+\d+|wordt\s+\d+(?:\s+jaar)?)\b\W+(?:\w+\W+){0,3}?"
        rf"(\d{{1,2}}(?:st|nd|rd|th|e)?(?:\s+of)?\s+(?:{_MONTHS_NL}|{_MONTHS_EN}))\b",
        "datum",
    ),
    # A nickname said to be one: "ze noemen hem Sjonnie", "Big Mo, as the lads call him", "known as Tiny"
    "nickname": (
        r"\b(?:(?:noem(?:en|t|den)|call(?:s|ed)?)\s+(?:hem|haar|him|her)|nicknamed|known\s+as|goes\s+by|"
        r"bijnaam(?:\s+is)?)\s+((?:[A-Z][\w'-]+\s)?[A-Z][\w'-]+)",
        "bijnaam",
    ),
    "nickname_as": (
        r"\b((?:[A-Z][\w'-]+\s)?[A-Z][\w'-]+),?\s+(?:as|zoals)\s+(?:\w+\s+){0,4}?"
        r"(?:call|calls|called|noemen|noemt|noemden)\s+(?:him|her|hem|haar)\b",
        "bijnaam",
    ),
    # In a Dutch clause: "die iedereen Tante Riet noemt", "die ze op de groep Sjonnie noemen"
    "nickname_die": (
        r"\bdie\s+(?:\w+\s+){1,4}?((?:[A-Z][\w'-]+\s)?[A-Z][\w'-]+)\s+(?:noemen|noemt|noemden|noemde)\b",
        "bijnaam",
    ),
    # Mrs Evans, Dr. Clarke-Hughes: deduce's titles are Dutch
    "title_en": (r"\b((?:Mr|Mrs|Ms|Miss|Mx|Dr)\.? [A-Z][a-z]+(?:-[A-Z][a-z]+)?)\b", "persoon"),
    # cliëntnummer is 4711, patient no. A-12345, dossiernr: 98765, NHS number 943 476 5919
    # Only initials, after a word for the person: "cliënt R.J. (45)", "patient J.S."
    "initials": (
        r"(?i:\b(?:cli[eë]nt|pati[eë]nt|bewoner|bewoonster|leerling|jongere|client|patient|resident|pupil|"
        r"meneer|mevrouw|dhr|mw|mr|mrs|ms)\.?)\s+([A-Z]\.\s?(?:[A-Z]\.\s?)*[A-Z]\.)",
        "persoon",
    ),
    "client_number": (
        r"(?i)\b(?:cli[eë]nt|pati[eë]nt|dossier|client|patient|case|file|record|nhs)(?:[ -]?|\s+(?:\w+\s+){1,2})"
        r"(?:nummer|nr\.?|number|no\.?|id|#)\s*(?::|is|was)?\s*([A-Z]{0,3}-?\d{3,}(?: \d{3,})*(?:[/-]\d{2,})*)",
        "cliëntnummer",
    ),
}
_PHONE_REGIONS = {"nl": ("NL",), "en": ("GB", "US", "NL")}
# Words about a colleague just before a name: the suggestion is then "collega B", else "cliënt A".
_COLLEAGUE_WORDS = {
    "nl": (
        "collega",
        "juf",
        "teamleider",
        "leidinggevende",
        "manager",
        "directeur",
        "coördinator",
        "stagiair",
        "stagiaire",
        "teamgenoot",
        "mentor",
    ),
    "en": ("colleague", "team leader", "manager", "director", "coordinator", "intern", "supervisor"),
}
# English capitalises the first word of a sentence: deduce's name lists then see "My" or "Can" as names.
_ENGLISH_WORDS = frozenset(get_stop_words("en"))
_DUTCH_WORDS = frozenset(get_stop_words("nl"))
_TITLES = {"mevrouw", "mevr", "mw", "meneer", "mr", "mrs", "ms", "miss", "dhr", "heer", "de", "dr", "juf"}
# What deduce's name lists also hold but names no person here: shops, apps and other things people
# mention by name ("de Albert Heijn", "at Boots", "speelt Fortnite").
_THINGS = frozenset(
    {
        "albert heijn",
        "jumbo",
        "lidl",
        "aldi",
        "hema",
        "action",
        "kruidvat",
        "etos",
        "blokker",
        "ikea",
        "primark",
        "boots",
        "tesco",
        "asda",
        "sainsbury's",
        "sainsburys",
        "morrisons",
        "greggs",
        "costa",
        "mcdonald's",
        "whatsapp",
        "facebook",
        "instagram",
        "tiktok",
        "snapchat",
        "fortnite",
        "minecraft",
        "roblox",
        "netflix",
        "youtube",
        "teams",
        "zoom",
        "excel",
        "outlook",
    }
)
# Words after a name that make it the name of a place or institution: "het Maxima Medisch Centrum".
_INSTITUTION_WORDS = re.compile(
    r"\s*(?:medisch|ziekenhuis|kinderziekenhuis|kliniek|school|college|centrum|stichting|huis|"
    r"hospital|clinic|centre|center|academy|house|trust|surgery|\(?afdeling|\(?unit|ward)\b",
    re.IGNORECASE,
)
# A name right after these words is a school, a ward or a group: "basisschool De Wilgen", "on Rainbow ward".
_INSTITUTION_BEFORE = re.compile(
    r"\b(?:basisschool|school|afdeling|locatie|woongroep|kinderdagverblijf|kdv|bso|opvang|verpleeghuis|"
    r"zorgcentrum|buurthuis|primary|nursery|academy)\s+$",
    re.IGNORECASE,
)
# A name right after these words is a system or product: "we use Rio", "we werken in Nedap".
_PRODUCT_BEFORE = re.compile(
    r"\b(?:use|uses|used|using|gebruiken|gebruikt|gebruikten|werken\s+(?:met|in)|work\s+(?:with|in))\s+$",
    re.I,
)
# A name right after these words is a place ("in Den Bosch", "uit Gent", "het OCMW van Gent", "in Milton Keynes").
_PLACE_BEFORE = {
    "nl": re.compile(
        r"\b(?:in|uit|te|(?:gemeente|ocmw|stad|provincie|regio|politie|wijkteam|ggd)(?:\s+van)?)\s+$", re.I
    ),
    "en": re.compile(r"\b(?:in|near|(?:council|city|county|borough|police)\s+of)\s+$", re.I),
}
# After a word that opens an English sentence, these say it is no name: "Mark my words", "Hope that
# helps", "Grace under pressure", "Ward B3" (a name is followed by a verb or where the person is from:
# "Grace rang", "Oliver from the baby room").
_NOT_AFTER_A_NAME = re.compile(
    r"\s+(?:my|your|our|their|that|this|these|those|under|over|of|[a-z]?\d+)\b",
    re.IGNORECASE,
)
# A BSN typed in groups: "1318.60.914", "131 860 914" (deduce reads nine digits in a row).
_BSN_GROUPED = re.compile(r"(?<![\d.-])(\d{4}[. -]\d{2}[. -]\d{3}|\d{3}[. -]\d{3}[. -]\d{3})(?![\d.-])")
# A title before a name typed in lower case: "mrs patel", "mw. jansen".
_TITLED_LOWER = re.compile(
    r"\b(?:mevrouw|mevr\.?|mw\.?|meneer|dhr\.?|mr\.?|mrs\.?|ms\.?|miss|juf|meester)\s+([a-z][a-z'-]{2,})\b"
)

_deid = None  # deduce, when loaded in this process (``load``: tests, the benchmark, the worker)
_worker = None  # the guard's own process (``start_loading``: the server)
_worker_ready = False
_asking = threading.Lock()
WORKER_TIMEOUT_S = 5.0
log = logging.getLogger(__name__)


def ready() -> bool:
    """True once ``findings`` looks (deduce loaded here or in the worker); False before: it finds nothing."""
    global _worker_ready
    if _deid is not None or _worker_ready:
        return True
    if _worker is not None and select.select([_worker.stdout], [], [], 0)[0]:
        _worker_ready = _worker.stdout.readline().strip() == b"ready"
    return _worker_ready


def load() -> None:
    """Load deduce now, in this process and thread (seconds; minutes if its tables were never built)."""
    global _deid
    if _deid is None:
        _deid = _build()


def start_loading() -> None:
    """Start the guard's own process, which loads deduce; the server runs on meanwhile, unslowed.

    In a process of its own because loading holds Python's interpreter lock for
    seconds at a time (a thread here would stall every session's events), and
    its 1 GB of tables stays out of the server process.
    """
    global _worker
    if _worker is None:
        _worker = subprocess.Popen([sys.executable, "-m", __name__], stdin=PIPE, stdout=PIPE)


def _ask_worker(text: str, lang: str, names: list[str]) -> list[dict]:
    """The worker's findings; none (and the worker stopped) if it does not answer in time.

    One question at a time; under eventlet the pipe and the lock are green, so
    the other sessions go on while the worker thinks.
    """
    global _worker, _worker_ready
    with _asking:
        try:
            _worker.stdin.write(json.dumps([text, lang, names]).encode() + b"\n")
            _worker.stdin.flush()
            if select.select([_worker.stdout], [], [], WORKER_TIMEOUT_S)[0]:
                return json.loads(_worker.stdout.readline())
        except (OSError, ValueError):
            pass
        log.error("the privacy guard's process did not answer; the guard is off")
        _worker.kill()
        _worker, _worker_ready = None, False
        return []


def serve() -> None:
    """The worker: load deduce, say ``ready``, then answer each line ``[text, lang, names]`` with findings."""
    os.nice(19)  # advice while typing: the server's own work goes first
    with os.fdopen(os.dup(1), "wb") as answers:
        os.dup2(2, 1)  # whatever a library prints goes to the log, not into the answers
        load()
        answers.write(b"ready\n")
        answers.flush()
        for line in sys.stdin.buffer:
            text, lang, names = json.loads(line)
            answers.write(json.dumps(findings(text, lang, names)).encode() + b"\n")
            answers.flush()


def _build():
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    import deduce
    import docdeid

    # deduce sets up the root logger at import (DEBUG, to stdout): leave the app's logging as it was.
    root.handlers[:] = handlers
    root.setLevel(level)
    deid = deduce.Deduce()
    extra = docdeid.process.DocProcessorGroup()
    for name, (pattern, tag) in _EXTRA_PATTERNS.items():
        extra.add_processor(name, docdeid.process.RegexpAnnotator(pattern, tag=tag, capturing_group=1))
    position = deid.processors.get_names(recursive=False).index("post_processing")
    deid.processors.add_processor("intervisie", extra, position=position)
    return deid


def findings(text: str, language: str, known_names: Iterable[str] = ()) -> list[dict]:
    """Likely personal data of third parties in ``text``, in order of position.

    Each finding is ``{"start": int, "end": int, "kind": str, "replacement": str}``:
    character offsets into ``text`` (end exclusive), one of ``KINDS``, and a
    suggested replacement in ``language`` (``nl`` or ``en``; anything else is
    Dutch), such as "cliënt A" or "collega B" for names (one letter per
    distinct name). Names of people in the session (``known_names``, their
    display names) are never flagged. Empty while not ``ready()``, and for
    anything that is not a string.
    """
    if not isinstance(text, str) or not text.strip() or not ready():
        return []
    lang = i18n.pick(language)
    names = [name for name in known_names if isinstance(name, str)]
    deid = _deid
    if deid is None:
        return _ask_worker(text, lang, names)
    known = _name_words(names)
    annotations = deid.deidentify(text, disabled=_DISABLED).annotations
    spans = {(a.start_char, a.end_char): a.tag for a in annotations}
    for region in _PHONE_REGIONS[lang]:
        for match in phonenumbers.PhoneNumberMatcher(text, region):
            if spans.get((match.start, match.end), "id") == "id":  # a phone number more than a long number
                spans[match.start, match.end] = "telefoonnummer"
    found, letters = [], {}
    for m in _BSN_GROUPED.finditer(text):
        if _is_bsn(re.sub(r"\D", "", m[1])):
            spans.setdefault((m.start(1), m.end(1)), "bsn")
    for m in _TITLED_LOWER.finditer(text):
        if _is_listed_name(deid, m[1], lang):
            spans.setdefault((m.start(1), m.end(1)), "persoon")
    for (start, end), tag in sorted(spans.items(), key=lambda span: (span[0][0], -span[0][1])):
        kind = _KIND_OF_TAG.get(tag)
        if kind is None or (found and start < found[-1]["end"]):
            continue
        if tag == "bijnaam":
            if not _name_words([text[start:end]]) - known:
                continue
        elif kind == "name":
            start = _past_sentence_opener(text, start, end, lang)
            if not _is_third_party(text[start:end], lang, known) or _is_place_or_thing(
                text, start, end, lang
            ):
                continue
        found.append({"start": start, "end": end, "kind": kind, "replacement": ""})
    for item in found:
        item["replacement"] = _replacement(text, item, lang, letters)
    return found


def _is_third_party(name: str, lang: str, known: set[str]) -> bool:
    """False for a name of someone in the session, or an English word that starts a sentence."""
    words = _name_words([name]) - _TITLES
    if lang == "en" and len(words) == 1 and words <= _ENGLISH_WORDS:
        return False
    return bool(words - known)


def _is_place_or_thing(text: str, start: int, end: int, lang: str) -> bool:
    """True for what deduce reads as a name but is a place, an institution or a shop (see ``_THINGS``)."""
    name = text[start:end]
    if (
        name.casefold() in _THINGS
        or _INSTITUTION_WORDS.match(text, end)
        or _INSTITUTION_BEFORE.search(text[:start])
    ):
        return True
    if _name_words([name]) & _TITLES:
        return False  # "meneer Bergen" is a person
    if lang == "nl" and re.search(r"\bhet\s+$", text[:start], re.IGNORECASE):
        return True  # "het Rode Kruis": no person takes "het"
    opens = text[:start].rstrip()[-1:] in ("", ".", "!", "?", ":", ";")
    if lang == "en" and opens and len(name.split()) == 1 and _NOT_AFTER_A_NAME.match(text, end):
        return True
    of = re.match(r"(?:van|of)\s+", name)  # deduce takes "van" into a surname: "van Gent"
    if _PRODUCT_BEFORE.search(text[:start]) or _PLACE_BEFORE[lang].search(
        text[: start + (of.end() if of else 0)]
    ):
        return True
    words = [t.text for t in _deid.tokenizers["default"].tokenize(text[start:])] if _deid else []
    place = _deid.lookup_structs["placename"].longest_matching_prefix(words) if words else None
    return place is not None and len("".join(place)) >= len("".join(name.split()))


def _is_bsn(digits: str) -> bool:
    """The BSN's 11-check: 9×d1 + 8×d2 + … + 2×d8 − d9 is a multiple of 11 (and not all zeros)."""
    if len(digits) != 9 or not digits.strip("0"):
        return False
    return sum(int(d) * w for d, w in zip(digits, (9, 8, 7, 6, 5, 4, 3, 2, -1), strict=True)) % 11 == 0


def _is_listed_name(deid, word: str, lang: str) -> bool:
    """Is ``word`` (typed in lower case) a first name or surname in deduce's lists, and no common word?"""
    if word in _ENGLISH_WORDS or word in _DUTCH_WORDS:
        return False
    token = [word.capitalize()]
    return any(deid.lookup_structs[kind].longest_matching_prefix(token) for kind in ("surname", "first_name"))


def _past_sentence_opener(text: str, start: int, end: int, lang: str) -> int:
    """Where a name starts without the English word that opens its sentence ("When Maria Lopez").

    English capitalises a sentence's first word, and deduce then reads it as part of the name that
    follows: replacing the name would take the word along.
    """
    opener = re.match(r"(\S+)\s+(?=\S)", text[start:end])
    word = opener[1].strip(string.punctuation).casefold() if opener else ""
    if lang != "en" or word not in _ENGLISH_WORDS or word in _TITLES:
        return start
    if text[:start].rstrip()[-1:] not in ("", ".", "!", "?", ":", ";"):
        return start  # mid-sentence: a capital that belongs to the name ("Will Smith")
    return start + opener.end()


def _name_words(names: Iterable[str]) -> set[str]:
    return {word.strip(string.punctuation).casefold() for name in names for word in name.split()} - {""}


def _replacement(text: str, item: dict, lang: str, letters: dict) -> str:
    """ "cliënt A" / "collega B" for a name (the same name, the same letter); "[date]" and so on else."""
    if item["kind"] != "name":
        return i18n.translate(lang, f"privacy.replacement.{item['kind']}")
    key = _name_words([text[item["start"] : item["end"]]]) - _TITLES
    letter = letters.setdefault(frozenset(key), string.ascii_uppercase[len(letters) % 26])
    # The last words before the name, and the name itself ("collega Kees" is one name to deduce).
    near = " ".join(text[: item["start"]].split()[-2:]) + " " + text[item["start"] : item["end"]]
    colleague = any(re.search(rf"\b{word}\b", near.casefold()) for word in _COLLEAGUE_WORDS[lang])
    return i18n.translate(lang, "privacy.colleague" if colleague else "privacy.client", letter=letter)


if __name__ == "__main__":
    serve()
