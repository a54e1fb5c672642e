"""Load and validate the intervision methods defined as data in ``methods/*.yaml``.

Card decks live in ``methods/decks/`` (see ``decks.py``); a method names its
deck with ``deck:`` and ``load_library`` checks that the deck exists.

A broken file must stop the server with the file, the field and what is wrong,
so every check here raises ``MethodError`` with that triple instead of letting
a KeyError or TypeError escape.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

if TYPE_CHECKING:
    from .decks import Deck

LANGUAGES = ("nl", "en")
ROLES = ("facilitator", "case_bringer", "participant")
AUDIENCES = ("team", "managers")
# What a contribution can be; labels live in the translation catalogues.
KINDS = (
    "checkin",
    "review",
    "case_proposal",
    "case",
    "question",
    "answer",
    "association",
    "perspective",
    "core_problem",
    "cause",
    "solution",
    "advice",
    "quality",
    "takeaway",
    "action",
    "learned",
    "evaluation",
    "checkout",
)
# An answer belongs to a question: the kind each replying kind replies to.
REPLIES_TO = {"answer": "question"}
# A turned-away case bringer's own notes: never listed in ``contribute``, only the author reads them.
NOTE_KIND = "note"
# Marks come in scales: a person gives at most one value per scale to a contribution.
MARK_SCALES = {
    "rating": ("warm", "neutral", "cold"),
    "appeals": ("appeals",),
    "helped": ("helped",),
    "vote": ("vote",),
    "keep": ("keep",),
}
MARK_VALUES = tuple(v for values in MARK_SCALES.values() for v in values)


def scale_of(value: str) -> str:
    return next(scale for scale, values in MARK_SCALES.items() if value in values)


RULE_TYPES = (
    "case_bringer_listens",
    "case_bringer_turned_away",
    "open_questions",
    "max_per_person",
    "marks",
    "write_privately",
    "turn_order",
    "cards",
    "reveal_together",
    "loop_back",
    "stillness",
    "case_round",
    "breakouts",
)
# How a case round decides: by everyone's vote, hidden until all voted, or by the facilitator alone.
CASE_ROUND_VOTES = ("hidden", "facilitator")
# Rules that keep the case bringer from contributing to the step.
CASE_BRINGER_SILENT = ("case_bringer_listens", "case_bringer_turned_away")
MAX_HAND = 10
# Breakouts: how large a group may be asked to be, how many phases a round has, how long a phase lasts.
BREAKOUT_SIZES = (2, 5)
MAX_PHASES = 8
MAX_PHASE_MINUTES = 60
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,40}$")
MAX_MINUTES = 180
# What a group may want from a session, and who a method suits: the start page's picker filters on them.
GOALS = ("understand", "solve", "reflect", "practise")
EXPERIENCE = ("beginner", "experienced")


class MethodError(ValueError):
    """A method file is invalid: says which file, which field, and what is wrong."""

    def __init__(self, source: str, where: str, problem: str):
        super().__init__(f"{source}: {where}: {problem}")
        self.source, self.where, self.problem = source, where, problem


@dataclass(frozen=True)
class Phase:
    """One phase of a breakout round: its minutes, and what the round's client and the consultants write."""

    id: str
    names: dict[str, str]
    minutes: int
    client: tuple[str, ...] = ()  # kinds the round's client may write
    consultants: tuple[str, ...] = ()  # kinds the other members may write
    turned_away: bool = False  # the client listens with their back turned: only their own notes


@dataclass(frozen=True)
class Rule:
    type: str
    kind: str | None = None
    count: int | None = None
    values: tuple[str, ...] = ()
    by: tuple[str, ...] = ()
    seconds_per_speaker: int | None = None
    roles: tuple[str, ...] = ()
    hand: int | None = None  # cards: how many cards each person holds
    to: str | None = None  # loop_back: the id of the earlier step it goes back to
    auto_pass: bool = False  # turn_order: the turn passes on by itself when its seconds are up
    vote: str | None = None  # case_round: 'hidden' (everyone votes) or 'facilitator' (who decides)
    size: int | None = None  # breakouts: the people per group
    phases: tuple[Phase, ...] = ()  # breakouts: what each round passes through


@dataclass(frozen=True)
class Step:
    id: str
    names: dict[str, str]
    purpose: dict[str, str]
    instructions: dict[str, str]
    minutes: int
    contribute: dict[str, tuple[str, ...]]  # kind -> roles allowed to add it
    rules: tuple[Rule, ...] = ()
    can_skip: bool = True  # a group tailoring the method may leave this step out
    can_move: bool = True  # ... or move it; a step that cannot keeps every other step on its side

    def rule(self, type_: str) -> Rule | None:
        return next((r for r in self.rules if r.type == type_), None)

    def rules_of(self, type_: str) -> list[Rule]:
        return [r for r in self.rules if r.type == type_]


@dataclass(frozen=True)
class Fits:
    """When a method fits, for the picker: what the group wants, their experience, and one line."""

    goals: tuple[str, ...]
    experience: tuple[str, ...]
    when: dict[str, str]


@dataclass(frozen=True)
class Method:
    id: str
    names: dict[str, str]
    descriptions: dict[str, str]
    audience: str
    group_size: tuple[int, int]
    steps: tuple[Step, ...]
    house_rules: dict[str, tuple[str, ...]] = field(default_factory=dict)
    source: str = ""
    deck: str | None = None  # id of the card deck in methods/decks/, for methods with a cards step
    fits: Fits | None = None

    def step_index(self, step_id: str) -> int:
        return next(i for i, s in enumerate(self.steps) if s.id == step_id)

    @property
    def has_breakouts(self) -> bool:
        """Whether a step splits the group into breakout groups: then each member is a round's client,
        and the session has no case bringer."""
        return any(s.rule("breakouts") for s in self.steps)

    def summary(self, lang: str) -> dict:
        """What a start page shows before someone picks this method."""
        return {
            "id": self.id,
            "name": self.names[lang],
            "description": self.descriptions[lang],
            "audience": self.audience,
            "deck": self.deck,
            "group_size": list(self.group_size),
            "minutes": sum(s.minutes for s in self.steps),
            "goals": list(self.fits.goals) if self.fits else [],
            "experience": list(self.fits.experience) if self.fits else [],
            "when": self.fits.when[lang] if self.fits else "",
            "checkin": any("checkin" in s.contribute for s in self.steps),  # check-in cards can be added
            # So none is added: the method has one, or has breakouts (and so no case bringer).
            "case_round": self.has_breakouts or any(s.rule("case_round") for s in self.steps),
            "review": any("review" in s.contribute for s in self.steps),  # so none is added
            "steps": [
                {
                    "id": s.id,
                    "name": s.names[lang],
                    "purpose": s.purpose[lang],
                    "minutes": s.minutes,
                    "can_skip": s.can_skip,
                    "can_move": s.can_move,
                }
                for s in self.steps
            ],
        }


class Reader:
    """Walks one parsed YAML document, naming the field in every error."""

    def __init__(self, source: str):
        self.source = source

    def fail(self, where: str, problem: str) -> MethodError:
        return MethodError(self.source, where, problem)

    def mapping(self, value, where: str, required: set[str], optional: set[str] = frozenset()):
        if not isinstance(value, dict):
            raise self.fail(where, "must be a mapping of fields")
        missing = sorted(required - value.keys())
        if missing:
            raise self.fail(where, f"missing field '{missing[0]}'")
        unknown = sorted(value.keys() - required - optional)
        if unknown:
            raise self.fail(f"{where}.{unknown[0]}" if where else unknown[0], "unknown field")
        return value

    def identifier(self, value, where: str) -> str:
        if not isinstance(value, str) or not ID_PATTERN.match(value):
            raise self.fail(where, "must be lower-case letters, digits and dashes")
        return value

    def text(self, value, where: str) -> dict[str, str]:
        if not isinstance(value, dict):
            raise self.fail(where, "must give the text per language (nl, en)")
        for lang in LANGUAGES:
            if not isinstance(value.get(lang), str) or not value[lang].strip():
                raise self.fail(f"{where}.{lang}", "missing or empty text")
        extra = sorted(value.keys() - set(LANGUAGES))
        if extra:
            raise self.fail(f"{where}.{extra[0]}", "unknown language")
        return {lang: value[lang].strip() for lang in LANGUAGES}

    def integer(self, value, where: str, low: int, high: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.fail(where, f"must be a whole number from {low} to {high}")
        return value

    def choice(self, value, where: str, allowed: tuple[str, ...]) -> str:
        if value not in allowed:
            raise self.fail(where, f"must be one of: {', '.join(allowed)}")
        return value

    def choices(self, value, where: str, allowed: tuple[str, ...]) -> tuple[str, ...]:
        if not isinstance(value, list) or not value:
            raise self.fail(where, "must be a non-empty list")
        return tuple(self.choice(v, f"{where}[{i}]", allowed) for i, v in enumerate(value))


def _read_rule(r: Reader, raw, where: str, contribute: dict[str, tuple[str, ...]]) -> Rule:
    if isinstance(raw, str):
        raw = {"type": raw}
    if not isinstance(raw, dict):
        raise r.fail(where, "must be a rule type or a mapping with 'type'")
    rule_type = r.choice(raw.get("type"), f"{where}.type", RULE_TYPES)
    if rule_type == "max_per_person":
        r.mapping(raw, where, {"type", "count"}, {"kind"})
        kind = raw.get("kind")
        if kind is not None and kind not in contribute:
            raise r.fail(f"{where}.kind", "is not a kind this step accepts")
        return Rule(rule_type, kind=kind, count=r.integer(raw["count"], f"{where}.count", 1, 50))
    if rule_type == "marks":
        r.mapping(raw, where, {"type", "kind", "values", "by"}, {"count"})
        kind = r.choice(raw["kind"], f"{where}.kind", KINDS)
        count = raw.get("count")
        return Rule(
            rule_type,
            kind=kind,
            values=r.choices(raw["values"], f"{where}.values", MARK_VALUES),
            by=r.choices(raw["by"], f"{where}.by", ROLES),
            count=None if count is None else r.integer(count, f"{where}.count", 1, 50),
        )
    if rule_type == "turn_order":
        r.mapping(raw, where, {"type", "seconds_per_speaker", "roles"}, {"auto_pass"})
        auto_pass = raw.get("auto_pass", False)
        if not isinstance(auto_pass, bool):
            raise r.fail(f"{where}.auto_pass", "must be true or false")
        return Rule(
            rule_type,
            seconds_per_speaker=r.integer(
                raw["seconds_per_speaker"], f"{where}.seconds_per_speaker", 10, 1800
            ),
            roles=r.choices(raw["roles"], f"{where}.roles", ROLES),
            auto_pass=auto_pass,
        )
    if rule_type == "loop_back":
        # Which step it goes back to is checked once all steps are read (parse_method).
        r.mapping(raw, where, {"type", "to"}, {"by"})
        return Rule(
            rule_type,
            to=r.identifier(raw["to"], f"{where}.to"),
            by=r.choices(raw.get("by", ["case_bringer"]), f"{where}.by", ROLES),
        )
    if rule_type == "cards":
        # A played card becomes a contribution of this kind, so the step must accept it.
        r.mapping(raw, where, {"type", "hand"}, {"kind"})
        kind = r.choice(raw.get("kind", "question"), f"{where}.kind", KINDS)
        if kind not in contribute:
            raise r.fail(f"{where}.kind", f"'{kind}' is not a kind this step accepts")
        return Rule(rule_type, kind=kind, hand=r.integer(raw["hand"], f"{where}.hand", 1, MAX_HAND))
    if rule_type == "case_round":
        # Which step the cases are pitched in is checked once all steps are read (parse_method).
        r.mapping(raw, where, {"type"}, {"vote"})
        return Rule(rule_type, vote=r.choice(raw.get("vote", "hidden"), f"{where}.vote", CASE_ROUND_VOTES))
    if rule_type == "breakouts":
        r.mapping(raw, where, {"type", "size", "phases"})
        phases = raw["phases"]
        if not isinstance(phases, list) or not phases:
            raise r.fail(f"{where}.phases", "must be a non-empty list")
        if len(phases) > MAX_PHASES:
            raise r.fail(f"{where}.phases", f"at most {MAX_PHASES} phases")
        read = tuple(_read_phase(r, p, f"{where}.phases[{i}]") for i, p in enumerate(phases))
        for i, phase in enumerate(read):
            if phase.id in {p.id for p in read[:i]}:
                raise r.fail(f"{where}.phases[{i}].id", f"'{phase.id}' is used twice")
        size = r.integer(raw["size"], f"{where}.size", *BREAKOUT_SIZES)
        return Rule(rule_type, size=size, phases=read)
    r.mapping(raw, where, {"type"})
    return Rule(rule_type)


def _read_phase(r: Reader, raw, where: str) -> Phase:
    """One phase of a breakouts rule (see docs/methods.md)."""
    r.mapping(raw, where, {"id", "names", "minutes"}, {"client", "consultants", "turned_away"})
    turned_away = raw.get("turned_away", False)
    if not isinstance(turned_away, bool):
        raise r.fail(f"{where}.turned_away", "must be true or false")
    parts = {}
    for part in ("client", "consultants"):
        kinds = () if raw.get(part) in (None, []) else r.choices(raw[part], f"{where}.{part}", KINDS)
        for i, kind in enumerate(kinds):
            if kind in REPLIES_TO:
                raise r.fail(f"{where}.{part}[{i}]", f"'{kind}' replies to another entry: not in breakouts")
            if kind in kinds[:i]:
                raise r.fail(f"{where}.{part}[{i}]", f"'{kind}' is listed twice")
        parts[part] = kinds
    if turned_away and parts["client"]:
        raise r.fail(f"{where}.client", "a turned-away client writes only their own notes")
    return Phase(
        id=r.identifier(raw["id"], f"{where}.id"),
        names=r.text(raw["names"], f"{where}.names"),
        minutes=r.integer(raw["minutes"], f"{where}.minutes", 1, MAX_PHASE_MINUTES),
        turned_away=turned_away,
        **parts,
    )


def _read_step(r: Reader, raw, where: str) -> Step:
    r.mapping(
        raw,
        where,
        {"id", "names", "purpose", "instructions", "minutes"},
        {"contribute", "rules", "can_skip", "can_move"},
    )
    for flag in ("can_skip", "can_move"):
        if not isinstance(raw.get(flag, True), bool):
            raise r.fail(f"{where}.{flag}", "must be true or false")
    contribute: dict[str, tuple[str, ...]] = {}
    for i, entry in enumerate(raw.get("contribute") or []):
        at = f"{where}.contribute[{i}]"
        r.mapping(entry, at, {"kind", "roles"})
        kind = r.choice(entry["kind"], f"{at}.kind", KINDS)
        if kind in contribute:
            raise r.fail(f"{at}.kind", f"'{kind}' is listed twice")
        contribute[kind] = r.choices(entry["roles"], f"{at}.roles", ROLES)
    rules = tuple(
        _read_rule(r, rule, f"{where}.rules[{i}]", contribute)
        for i, rule in enumerate(raw.get("rules") or [])
    )
    step = Step(
        id=r.identifier(raw["id"], f"{where}.id"),
        names=r.text(raw["names"], f"{where}.names"),
        purpose=r.text(raw["purpose"], f"{where}.purpose"),
        instructions=r.text(raw["instructions"], f"{where}.instructions"),
        minutes=r.integer(raw["minutes"], f"{where}.minutes", 1, MAX_MINUTES),
        contribute=contribute,
        rules=rules,
        can_skip=raw.get("can_skip", True),
        can_move=raw.get("can_move", True),
    )
    for once in RULE_TYPES:
        if len(step.rules_of(once)) > 1 and once not in ("marks", "max_per_person"):
            raise r.fail(f"{where}.rules", f"'{once}' is given twice")
    silent = [t for t in CASE_BRINGER_SILENT if step.rule(t)]
    if silent and any("case_bringer" in roles for roles in contribute.values()):
        raise r.fail(f"{where}.rules", "the case bringer listens here but may also contribute")
    if len(silent) > 1:
        raise r.fail(f"{where}.rules", "give either case_bringer_listens or case_bringer_turned_away")
    if step.rule("stillness") and contribute:
        raise r.fail(f"{where}.contribute", "a stillness step has nobody writing")
    if step.rule("reveal_together") and step.rule("write_privately"):
        raise r.fail(f"{where}.rules", "give either write_privately or reveal_together")
    if step.rule("case_round") and any(m.kind == "case_proposal" for m in step.rules_of("marks")):
        raise r.fail(f"{where}.rules", "a case round counts its own votes: no marks on case_proposal")
    if step.rule("reveal_together") and not contribute:
        raise r.fail(f"{where}.rules", "reveal_together needs a kind to write in 'contribute'")
    if step.rule("breakouts") and contribute:
        raise r.fail(f"{where}.contribute", "in breakouts the phases say who writes what")
    if step.rule("breakouts") and len(step.rules) > 1:
        raise r.fail(f"{where}.rules", "breakouts takes no other rule in its step")
    return step


def _check_breakouts(r: Reader, steps: tuple[Step, ...]) -> None:
    """A method with breakouts has no case bringer for the session: each member is a round's client."""
    if not any(s.rule("breakouts") for s in steps):
        return
    for i, step in enumerate(steps):
        for j, rule in enumerate(step.rules):
            silent = rule.type in ("case_round", *CASE_BRINGER_SILENT)
            if silent or "case_bringer" in (*rule.by, *rule.roles):
                raise r.fail(f"steps[{i}].rules[{j}]", "a method with breakouts has no case bringer")
        if any("case_bringer" in roles for roles in step.contribute.values()):
            raise r.fail(f"steps[{i}].contribute", "a method with breakouts has no case bringer")


def _read_fits(r: Reader, raw) -> Fits:
    r.mapping(raw, "fits", {"goals", "experience", "when"})
    return Fits(
        goals=r.choices(raw["goals"], "fits.goals", GOALS),
        experience=r.choices(raw["experience"], "fits.experience", EXPERIENCE),
        when=r.text(raw["when"], "fits.when"),
    )


def parse_method(document, source: str) -> Method:
    """Build a Method from one parsed YAML document, or raise MethodError."""
    r = Reader(source)
    r.mapping(
        document,
        "",
        {"id", "names", "descriptions", "audience", "group_size", "steps"},
        {"house_rules", "deck", "fits"},
    )
    size = document["group_size"]
    if not (isinstance(size, list) and len(size) == 2):
        raise r.fail("group_size", "must be [smallest, largest]")
    low = r.integer(size[0], "group_size[0]", 2, 30)
    high = r.integer(size[1], "group_size[1]", low, 30)
    steps_raw = document["steps"]
    if not isinstance(steps_raw, list) or not steps_raw:
        raise r.fail("steps", "must be a non-empty list of steps")
    steps = tuple(_read_step(r, s, f"steps[{i}]") for i, s in enumerate(steps_raw))
    seen: set[str] = set()
    for i, step in enumerate(steps):
        if step.id in seen:
            raise r.fail(f"steps[{i}].id", f"'{step.id}' is used twice")
        seen.add(step.id)
    for i, step in enumerate(steps):
        for j, rule in enumerate(step.rules):
            if rule.type == "loop_back" and rule.to not in {s.id for s in steps[:i]}:
                raise r.fail(f"steps[{i}].rules[{j}].to", f"'{rule.to}' is not an earlier step")
            if rule.type == "case_round" and not any("case_proposal" in s.contribute for s in steps[: i + 1]):
                problem = "a case round needs a step up to it that takes case_proposal"
                raise r.fail(f"steps[{i}].rules[{j}]", problem)
    _check_breakouts(r, steps)
    house_rules: dict[str, tuple[str, ...]] = {}
    if "house_rules" in document:
        raw_rules = document["house_rules"]
        if not isinstance(raw_rules, list):
            raise r.fail("house_rules", "must be a list of texts per language")
        texts = [r.text(item, f"house_rules[{i}]") for i, item in enumerate(raw_rules)]
        house_rules = {lang: tuple(t[lang] for t in texts) for lang in LANGUAGES}
    deck = None if document.get("deck") is None else r.identifier(document["deck"], "deck")
    fits = None if "fits" not in document else _read_fits(r, document["fits"])
    dealing = next((i for i, s in enumerate(steps) if s.rule("cards")), None)
    if dealing is not None and deck is None:
        raise r.fail("deck", f"missing: steps[{dealing}] deals cards, so the method must name a deck")
    return Method(
        id=r.identifier(document["id"], "id"),
        names=r.text(document["names"], "names"),
        descriptions=r.text(document["descriptions"], "descriptions"),
        audience=r.choice(document["audience"], "audience", AUDIENCES),
        group_size=(low, high),
        steps=steps,
        house_rules=house_rules,
        source=source,
        deck=deck,
        fits=fits,
    )


def read_text(text: str, source: str):
    """Parse YAML text (the safe loader: data only, never code; libyaml's when installed, ten times faster);
    bad YAML becomes a MethodError naming the line."""
    try:
        return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "-"
        raise MethodError(source, where, f"not valid YAML ({getattr(exc, 'problem', exc)})") from None
    except RecursionError:
        raise MethodError(source, "-", "nested too deeply") from None


def read_document(path: Path):
    """Parse one YAML file; bad YAML or bytes become a MethodError naming the file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise MethodError(path.name, "-", "not UTF-8 text") from None
    return read_text(text, path.name)


def check_deck(method: Method, decks: dict[str, Deck]) -> None:
    """Raise MethodError when the method names a deck that is not installed."""
    if method.deck is not None and method.deck not in decks:
        known = ", ".join(sorted(decks)) or "none"
        raise MethodError(method.source, "deck", f"no deck '{method.deck}' in decks/ (known: {known})")


def load_methods(directory: Path, decks: dict[str, Deck] | None = None) -> dict[str, Method]:
    """Read every ``*.yaml`` method in ``directory``; raise MethodError on the first problem.

    A method's ``deck`` is checked against ``decks``, by default the decks in
    ``directory/decks``, so a typo stops the server instead of a session.
    """
    if decks is None:
        from .decks import load_decks  # decks.py builds on this module

        decks = load_decks(Path(directory) / "decks")
    methods: dict[str, Method] = {}
    files = sorted(Path(directory).glob("*.yaml"))
    if not files:
        raise MethodError(str(directory), "-", "no method files (*.yaml) found")
    for path in files:
        source = path.name
        method = parse_method(read_document(path), source)
        check_deck(method, decks)
        if method.id in methods:
            raise MethodError(source, "id", f"'{method.id}' is also defined in {methods[method.id].source}")
        methods[method.id] = method
    return methods


def load_library(directory: Path) -> tuple[dict[str, Method], dict[str, Deck]]:
    """The methods in ``directory`` and the decks in ``directory/decks``, cross-checked."""
    from .decks import load_decks

    decks = load_decks(Path(directory) / "decks")
    return load_methods(directory, decks), decks


def default_directory() -> Path:
    return Path(__file__).resolve().parent.parent / "methods"


def method_to_data(method: Method) -> dict:
    """The method as plain JSON data, kept with a session so it outlives a changed or removed method file."""
    return asdict(method)


def method_from_data(data: dict) -> Method:
    """The method a session kept (``method_to_data``), rebuilt."""
    steps = tuple(
        Step(
            **{
                **step,
                "contribute": {kind: tuple(roles) for kind, roles in step["contribute"].items()},
                "rules": tuple(
                    Rule(
                        **{
                            **rule,
                            **{k: tuple(rule[k]) for k in ("values", "by", "roles")},
                            "phases": tuple(_phase_from_data(p) for p in rule.get("phases", ())),
                        }
                    )
                    for rule in step["rules"]
                ),
            }
        )
        for step in data["steps"]
    )
    fits = data.get("fits")
    return Method(
        **{
            **data,
            "fits": fits and Fits(tuple(fits["goals"]), tuple(fits["experience"]), fits["when"]),
            "group_size": tuple(data["group_size"]),
            "steps": steps,
            "house_rules": {lang: tuple(items) for lang, items in data["house_rules"].items()},
        }
    )


def _phase_from_data(data: dict) -> Phase:
    return Phase(**{**data, "client": tuple(data["client"]), "consultants": tuple(data["consultants"])})


def _plain(value):
    """Tuples as lists, all the way down: what a YAML file holds."""
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def method_to_document(method: Method) -> dict:
    """The method in the YAML file format that ``parse_method`` reads: a group's own method to download.

    Only what differs from the defaults is written, so the file reads like a hand-written one.
    """
    defaults = {f: getattr(Rule("-"), f) for f in Rule.__dataclass_fields__}
    steps = []
    for step in method.steps:
        raw = {
            "id": step.id,
            "names": dict(step.names),
            "purpose": dict(step.purpose),
            "instructions": dict(step.instructions),
            "minutes": step.minutes,
            "contribute": [{"kind": kind, "roles": list(roles)} for kind, roles in step.contribute.items()],
            "rules": [
                {
                    name: _plain(value)
                    for name, value in asdict(rule).items()
                    if name == "type" or value != defaults[name]
                }
                for rule in step.rules
            ],
        }
        raw.update({flag: False for flag in ("can_skip", "can_move") if not getattr(step, flag)})
        steps.append(raw)
    document = {
        "id": method.id,
        "names": dict(method.names),
        "descriptions": dict(method.descriptions),
        "audience": method.audience,
        "group_size": list(method.group_size),
    }
    if method.fits:
        document["fits"] = {
            "goals": list(method.fits.goals),
            "experience": list(method.fits.experience),
            "when": dict(method.fits.when),
        }
    if method.house_rules:
        document["house_rules"] = [
            {lang: method.house_rules[lang][i] for lang in LANGUAGES}
            for i in range(len(method.house_rules[LANGUAGES[0]]))
        ]
    if method.deck:
        document["deck"] = method.deck
    return {**document, "steps": steps}
