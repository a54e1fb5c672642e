"""A method tailored for one group, and a group's own method file: pure rules, no Flask.

A tailored plan is the method's own steps, some left out, some moved, renamed
or given other minutes. It is checked against what the method allows
(``can_skip``, ``can_move``), then written back into the file format and read
by the same loader as the files in ``methods/`` (``parse_method``): a plan can
never build a method that a file could not describe.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import PureWindowsPath

import yaml

from . import i18n
from .decks import Deck
from .methods import (
    LANGUAGES,
    MAX_MINUTES,
    Method,
    MethodError,
    check_deck,
    method_to_document,
    parse_method,
    read_text,
)
from .session import RuleViolation, clean_text

MAX_FILE_BYTES = 64 * 1024  # the largest shipped method is under 12 KiB
MAX_FILE_NAME = 100
MAX_STEP_NAME = 60
MAX_METHOD_NAME = 80
PLAN_FIELDS = {"step", "name", "minutes"}
# The deck of check-in cards (methods/decks/inchecken.yaml): one card each, answered as the check-in.
CHECKIN_DECK = "inchecken"
CHECKIN_CARDS = {"type": "cards", "hand": 1, "kind": "checkin"}


def _step_plan(entry, raw: dict) -> dict:
    """One step of a plan applied to its file form: a new name (in every language) and minutes."""
    if "name" in entry:
        name = clean_text(entry["name"], MAX_STEP_NAME, single_line=True)
        raw = {**raw, "names": dict.fromkeys(LANGUAGES, name)}
    if "minutes" in entry:
        minutes = entry["minutes"]
        if isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= MAX_MINUTES:
            raise RuleViolation("bad_minutes")
        raw = {**raw, "minutes": minutes}
    return raw


def tailor(method: Method, plan) -> Method:
    """The method as ``plan`` tailors it.

    ``plan`` lists the steps to run, in order: ``{"step": id, "name"?: text,
    "minutes"?: 1..180}``; a step left out is skipped. Raises RuleViolation:
    ``bad_request`` (shape, a step twice), ``no_such_step``, ``bad_minutes``,
    ``empty``/``too_long`` (a name), ``step_required`` (a step that cannot be
    skipped), ``step_fixed`` (a step that cannot move, or another step moved
    past it); MethodError when the result breaks a rule of the file format
    (a loop back to a step left out).
    """
    if not isinstance(plan, list) or not plan or len(plan) > len(method.steps):
        raise RuleViolation("bad_request")
    document = method_to_document(method)
    raw_steps = {raw["id"]: raw for raw in document["steps"]}
    chosen: list[dict] = []
    for entry in plan:
        if (
            not isinstance(entry, dict)
            or entry.keys() - PLAN_FIELDS
            or not isinstance(entry.get("step"), str)
        ):
            raise RuleViolation("bad_request")
        if entry["step"] not in raw_steps:
            raise RuleViolation("no_such_step")
        if any(raw["id"] == entry["step"] for raw in chosen):
            raise RuleViolation("bad_request")
        chosen.append(_step_plan(entry, raw_steps[entry["step"]]))
    order = [step.id for step in method.steps]
    position = {raw["id"]: i for i, raw in enumerate(chosen)}
    for place, step in enumerate(method.steps):
        if step.id not in position:
            if not step.can_skip:
                raise RuleViolation("step_required", step=dict(step.names))
            continue
        if step.can_move:
            continue
        for other in position:
            if (order.index(other) < place) != (position[other] < position[step.id]):
                raise RuleViolation("step_fixed", step=dict(step.names))
    return parse_method({**document, "steps": chosen}, method.source)


def with_checkin_cards(method: Method) -> Method:
    """The method with check-in cards: every step that takes check-ins deals each person one card from
    ``CHECKIN_DECK``, to answer as their check-in (or write one of their own).

    Raises RuleViolation ``checkin_cards_unavailable`` for a method without a
    check-in step, or one that deals cards from its own deck already.
    """
    document = method_to_document(method)
    steps = [
        {**raw, "rules": [*raw["rules"], CHECKIN_CARDS]}
        if any(entry["kind"] == "checkin" for entry in raw["contribute"])
        else raw
        for raw in document["steps"]
    ]
    if method.deck is not None or steps == document["steps"]:
        raise RuleViolation("checkin_cards_unavailable")
    return parse_method({**document, "deck": CHECKIN_DECK, "steps": steps}, method.source)


# The steps a case round adds to a method (``with_case_round``), by the part of the catalogue their
# texts are in: everyone pitches one case, then the group chooses.
CASE_ROUND_STEPS = {
    "pitch": {
        "id": "casusronde-pitches",
        "minutes": 5,
        "contribute": [{"kind": "case_proposal", "roles": ["facilitator", "case_bringer", "participant"]}],
        "rules": [{"type": "max_per_person", "count": 1}],
    },
    "choose": {"id": "casusronde", "minutes": 5},
}
# Steps that stay before the case round: the check-in and the review of last time's actions.
OPENING_KINDS = {"checkin", "review"}


def with_case_round(method: Method, vote) -> Method:
    """The method with a case round added after its opening steps (check-in, review): everyone pitches
    a case, then the group votes (``vote``: ``hidden``) or the facilitator chooses (``facilitator``).

    Raises RuleViolation ``bad_request`` for another ``vote``, ``case_round_unavailable`` for a
    method that has a case round already or breakouts (each member a client: no case bringer).
    """
    if vote not in ("hidden", "facilitator"):
        raise RuleViolation("bad_request")
    if method.has_breakouts or any(step.rule("case_round") for step in method.steps):
        raise RuleViolation("case_round_unavailable")  # one already, or breakouts: no case bringer
    added = [_added_step(f"case_round.{part}", raw) for part, raw in CASE_ROUND_STEPS.items()]
    added[-1]["rules"] = [{"type": "case_round", "vote": vote}]
    return _with_steps(method, added, OPENING_KINDS)


# The review of last time's actions (``with_review``): everyone says what came of theirs.
REVIEW_STEP = {
    "id": "terugblik-acties",
    "minutes": 5,
    "contribute": [{"kind": "review", "roles": ["facilitator", "case_bringer", "participant"]}],
}


def with_review(method: Method) -> Method:
    """The method with a review of last time's actions after its check-in; the session shows those
    actions there (``Session.carried_actions``). Raises RuleViolation ``review_unavailable`` for a
    method that has a review step already."""
    if any("review" in step.contribute for step in method.steps):
        raise RuleViolation("review_unavailable")
    return _with_steps(method, [_added_step("review", REVIEW_STEP)], {"checkin"})


def _added_step(part: str, raw: dict) -> dict:
    """A step a tailoring adds, in the file format: ``raw`` with its texts from ``method.<part>.*``."""
    texts = {
        field: {lang: i18n.translate(lang, f"method.{part}.{field}") for lang in LANGUAGES}
        for field in ("names", "purpose", "instructions")
    }
    return {**raw, **texts}


def _with_steps(method: Method, added: list[dict], before: set[str]) -> Method:
    """The method with ``added`` steps after its first steps that take only kinds in ``before``."""
    document = method_to_document(method)
    steps = document["steps"]
    opening = [{e["kind"] for e in raw["contribute"]} <= before for raw in steps]
    at = opening.index(False) if False in opening else len(steps)
    return parse_method({**document, "steps": [*steps[:at], *added, *steps[at:]]}, method.source)


def _identifier(name: str) -> str:
    """A file id from a name: ``Onze Balint-variant`` gives ``onze-balint-variant``."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name).strip("-")[:41].strip("-")


def own_method_file(method: Method, name) -> tuple[str, str]:
    """The (tailored) method as the group's own method file: ``(file name, YAML text)``.

    ``name`` becomes its name in every language and, as lower-case letters and
    dashes, its id. ``intervisie methods check`` and an upload read it back as
    this same method. Raises RuleViolation ``empty``/``too_long`` for the name.
    """
    name = clean_text(name, MAX_METHOD_NAME, single_line=True)
    ident = _identifier(name) or f"{method.id}-eigen"[:41]
    document = {**method_to_document(method), "id": ident, "names": dict.fromkeys(LANGUAGES, name)}
    text = yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=100)
    header = "# A group's own intervision method, saved from Intervisie. See docs/methods.md.\n"
    return f"{ident}.yaml", header + text


def read_own_method(file, decks: dict[str, Deck]) -> Method:
    """A group's own method file, uploaded as ``{"name": file name, "text": YAML}``.

    Read with ``yaml.safe_load`` (data, never code), at most ``MAX_FILE_BYTES``,
    checked like the files in ``methods/``. Raises RuleViolation
    ``bad_request``/``method_file_too_large``, or MethodError naming the file,
    the field and the problem.
    """
    if not isinstance(file, dict) or file.keys() != {"name", "text"}:
        raise RuleViolation("bad_request")
    name, text = file["name"], file["text"]
    if not isinstance(name, str) or not isinstance(text, str):
        raise RuleViolation("bad_request")
    if len(text.encode("utf-8", "replace")) > MAX_FILE_BYTES:
        raise RuleViolation("method_file_too_large", max=MAX_FILE_BYTES // 1024)
    source = clean_text(PureWindowsPath(name).name, MAX_FILE_NAME, required=False, single_line=True)
    method = parse_method(read_text(text, source or "-"), source or "-")
    check_deck(method, decks)
    return method


def _pattern(template: str) -> re.Pattern:
    """A catalogue template as a pattern that reads its ``{fields}`` back out of a text."""
    parts = re.split(r"\{(\w+)\}", template)
    return re.compile(
        "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.+?)" for i, p in enumerate(parts)), re.DOTALL
    )


def explain(lang: str, error: MethodError) -> str:
    """A MethodError as one sentence in ``lang``: file, field and problem.

    The loader words its problems in English (they also go to the server log);
    each known wording is in the catalogues as ``method_problem.*`` (en: the
    loader's exact text), so it is read back and said again in ``lang``. A
    wording not there yet shows in English inside the translated sentence.
    """
    problem = error.problem
    for key, template in i18n.catalogue("en").items():
        if key.startswith("method_problem."):
            found = _pattern(template).fullmatch(error.problem)
            if found:
                problem = i18n.translate(lang, key, **found.groupdict())
                break
    if error.where in ("", "-"):
        return i18n.translate(lang, "error.method_file", file=error.source, problem=problem)
    line = re.fullmatch(r"line (\d+)", error.where)  # YAML that does not parse (``read_text``)
    if line:
        return i18n.translate(lang, "error.method_line", file=error.source, line=line[1], problem=problem)
    return i18n.translate(lang, "error.method_field", file=error.source, field=error.where, problem=problem)
