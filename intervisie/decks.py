"""Load and validate card decks defined as data in ``methods/decks/*.yaml``.

A deck is a four-quadrant question model (two axes with two poles each) plus
the question cards that fill the quadrants. The shipped deck is our own open
model; an organisation replaces it with its own (licensed) card set by
dropping in a file, so every check a session relies on happens here, at load
time, and fails with a ``MethodError`` naming the file, the field and the
problem, exactly like the method files.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .methods import LANGUAGES, MethodError, Reader, read_document

QUADRANT_COUNT = 4
MIN_CARDS_PER_QUADRANT = 4
MAX_CARD_TEXT = 300  # a card becomes a contribution, so it must stay well under the text limit
HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
# WCAG AA for normal text: the colour is used for labels on white and behind white text.
MIN_CONTRAST = 4.5


@dataclass(frozen=True)
class Pole:
    id: str
    names: dict[str, str]


@dataclass(frozen=True)
class Axis:
    id: str
    names: dict[str, str]
    poles: tuple[Pole, Pole]


@dataclass(frozen=True)
class Quadrant:
    id: str
    names: dict[str, str]
    descriptions: dict[str, str]
    colour: str
    position: dict[str, str]  # axis id -> pole id


@dataclass(frozen=True)
class Card:
    id: str
    quadrant: str
    text: dict[str, str]


@dataclass(frozen=True)
class Deck:
    id: str
    names: dict[str, str]
    descriptions: dict[str, str]
    axes: tuple[Axis, Axis]
    quadrants: tuple[Quadrant, ...]
    cards: tuple[Card, ...]
    credits: dict[str, str] = field(default_factory=dict)
    source: str = ""

    def quadrant(self, quadrant_id) -> Quadrant | None:
        return next((q for q in self.quadrants if q.id == quadrant_id), None)

    def card(self, card_id) -> Card | None:
        return next((c for c in self.cards if c.id == card_id), None)

    def cards_in(self, quadrant_id: str) -> tuple[Card, ...]:
        return tuple(c for c in self.cards if c.quadrant == quadrant_id)

    def cell(self, quadrant: Quadrant) -> tuple[int, int]:
        """(column, row) in the diagram: the first axis runs left to right, the second top to bottom."""
        column, row = ([p.id for p in axis.poles].index(quadrant.position[axis.id]) for axis in self.axes)
        return column, row

    def summary(self, lang: str) -> dict:
        """What a client needs to draw the diagram and show the cards, in one language."""
        return {
            "id": self.id,
            "name": self.names[lang],
            "description": self.descriptions[lang],
            "credits": self.credits.get(lang),
            "axes": [
                {
                    "id": a.id,
                    "name": a.names[lang],
                    "poles": [{"id": p.id, "name": p.names[lang]} for p in a.poles],
                }
                for a in self.axes
            ],
            "quadrants": [self._quadrant_summary(q, lang) for q in self.quadrants],
            "cards": [{"id": c.id, "quadrant": c.quadrant, "text": c.text[lang]} for c in self.cards],
        }

    def _quadrant_summary(self, quadrant: Quadrant, lang: str) -> dict:
        column, row = self.cell(quadrant)
        return {
            "id": quadrant.id,
            "name": quadrant.names[lang],
            "description": quadrant.descriptions[lang],
            "colour": quadrant.colour,
            "position": dict(quadrant.position),
            "column": column,
            "row": row,
            "cards": len(self.cards_in(quadrant.id)),
        }


def contrast_on_white(colour: str) -> float:
    """WCAG contrast ratio of a ``#rrggbb`` colour against white (1 to 21)."""

    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(int(colour[i : i + 2], 16)) for i in (1, 3, 5))
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return 1.05 / (luminance + 0.05)


def _list(r: Reader, value, where: str, length: int | None = None) -> list:
    if not isinstance(value, list) or not value:
        raise r.fail(where, "must be a non-empty list")
    if length is not None and len(value) != length:
        raise r.fail(where, f"must list exactly {length}, not {len(value)}")
    return value


def _unique(r: Reader, items: list[tuple[str, str]]) -> None:
    """Refuse the second use of a value; ``items`` pairs each value with its field path."""
    seen: set[str] = set()
    for where, value in items:
        if value in seen:
            raise r.fail(where, f"'{value}' is used twice")
        seen.add(value)


def _read_pole(r: Reader, raw, where: str) -> Pole:
    r.mapping(raw, where, {"id", "names"})
    return Pole(id=r.identifier(raw["id"], f"{where}.id"), names=r.text(raw["names"], f"{where}.names"))


def _read_axis(r: Reader, raw, where: str) -> Axis:
    r.mapping(raw, where, {"id", "names", "poles"})
    raw_poles = _list(r, raw["poles"], f"{where}.poles", 2)
    return Axis(
        id=r.identifier(raw["id"], f"{where}.id"),
        names=r.text(raw["names"], f"{where}.names"),
        poles=tuple(_read_pole(r, p, f"{where}.poles[{i}]") for i, p in enumerate(raw_poles)),
    )


def _read_quadrant(r: Reader, raw, where: str, axes: tuple[Axis, ...]) -> Quadrant:
    r.mapping(raw, where, {"id", "names", "descriptions", "colour", "position"})
    colour = raw["colour"]
    if not isinstance(colour, str) or not HEX_COLOUR.match(colour):
        raise r.fail(f"{where}.colour", "must be a hex colour like '#1f5f9e' (quote it in YAML)")
    if contrast_on_white(colour) < MIN_CONTRAST:
        ratio = contrast_on_white(colour)
        raise r.fail(f"{where}.colour", f"too light on white ({ratio:.1f}:1, needs {MIN_CONTRAST}:1)")
    position = r.mapping(raw["position"], f"{where}.position", {a.id for a in axes})
    for axis in axes:
        r.choice(position[axis.id], f"{where}.position.{axis.id}", tuple(p.id for p in axis.poles))
    return Quadrant(
        id=r.identifier(raw["id"], f"{where}.id"),
        names=r.text(raw["names"], f"{where}.names"),
        descriptions=r.text(raw["descriptions"], f"{where}.descriptions"),
        colour=colour.lower(),
        position={a.id: position[a.id] for a in axes},
    )


def _read_card(r: Reader, raw, where: str, quadrant_ids: tuple[str, ...]) -> Card:
    r.mapping(raw, where, {"id", "quadrant", "text"})
    if raw["quadrant"] not in quadrant_ids:
        raise r.fail(f"{where}.quadrant", f"unknown quadrant (known: {', '.join(quadrant_ids)})")
    text = r.text(raw["text"], f"{where}.text")
    for lang in LANGUAGES:
        if len(text[lang]) > MAX_CARD_TEXT:
            raise r.fail(f"{where}.text.{lang}", f"longer than {MAX_CARD_TEXT} characters")
    return Card(id=r.identifier(raw["id"], f"{where}.id"), quadrant=raw["quadrant"], text=text)


def parse_deck(document, source: str) -> Deck:
    """Build a Deck from one parsed YAML document, or raise MethodError."""
    r = Reader(source)
    r.mapping(document, "", {"id", "names", "descriptions", "axes", "quadrants", "cards"}, {"credits"})
    axes = tuple(_read_axis(r, a, f"axes[{i}]") for i, a in enumerate(_list(r, document["axes"], "axes", 2)))
    _unique(r, [(f"axes[{i}].id", a.id) for i, a in enumerate(axes)])
    _unique(
        r, [(f"axes[{i}].poles[{j}].id", p.id) for i, a in enumerate(axes) for j, p in enumerate(a.poles)]
    )
    raw_quadrants = _list(r, document["quadrants"], "quadrants", QUADRANT_COUNT)
    quadrants = tuple(_read_quadrant(r, q, f"quadrants[{i}]", axes) for i, q in enumerate(raw_quadrants))
    _unique(r, [(f"quadrants[{i}].id", q.id) for i, q in enumerate(quadrants)])
    _unique(r, [(f"quadrants[{i}].colour", q.colour) for i, q in enumerate(quadrants)])
    # Four quadrants on four different positions fill the 2 x 2 grid exactly.
    _unique(
        r, [(f"quadrants[{i}].position", " x ".join(q.position.values())) for i, q in enumerate(quadrants)]
    )
    quadrant_ids = tuple(q.id for q in quadrants)
    cards = tuple(
        _read_card(r, c, f"cards[{i}]", quadrant_ids)
        for i, c in enumerate(_list(r, document["cards"], "cards"))
    )
    _unique(r, [(f"cards[{i}].id", c.id) for i, c in enumerate(cards)])
    for quadrant in quadrants:
        count = sum(1 for c in cards if c.quadrant == quadrant.id)
        if count < MIN_CARDS_PER_QUADRANT:
            raise r.fail(
                "cards",
                f"quadrant '{quadrant.id}' has {count} cards; each needs at least {MIN_CARDS_PER_QUADRANT}",
            )
    return Deck(
        id=r.identifier(document["id"], "id"),
        names=r.text(document["names"], "names"),
        descriptions=r.text(document["descriptions"], "descriptions"),
        axes=axes,
        quadrants=quadrants,
        cards=cards,
        credits=r.text(document["credits"], "credits") if "credits" in document else {},
        source=source,
    )


def load_decks(directory: Path) -> dict[str, Deck]:
    """Read every ``*.yaml`` deck in ``directory`` (none if it does not exist); stop on the first problem."""
    decks: dict[str, Deck] = {}
    directory = Path(directory)
    if not directory.is_dir():
        return decks
    for path in sorted(directory.glob("*.yaml")):
        deck = parse_deck(read_document(path), path.name)
        if deck.id in decks:
            raise MethodError(path.name, "id", f"'{deck.id}' is also defined in {decks[deck.id].source}")
        decks[deck.id] = deck
    return decks


def deck_to_data(deck: Deck) -> dict:
    """The deck as plain JSON data, kept with a session so its cards outlive a replaced deck file."""
    return asdict(deck)


def deck_from_data(data: dict) -> Deck:
    """The deck a session kept (``deck_to_data``), rebuilt."""
    return Deck(
        id=data["id"],
        names=data["names"],
        descriptions=data["descriptions"],
        axes=tuple(
            Axis(id=a["id"], names=a["names"], poles=tuple(Pole(**p) for p in a["poles"]))
            for a in data["axes"]
        ),
        quadrants=tuple(Quadrant(**q) for q in data["quadrants"]),
        cards=tuple(Card(**c) for c in data["cards"]),
        credits=data.get("credits") or {},
        source=data.get("source", ""),
    )
