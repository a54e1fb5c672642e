"""The cards of a session as plain JSON data, and the rules for dealing and playing them.

No Flask, no database: the state is a dict stored as is in ``Session.cards``
(see docs/decks.md for its shape). Every function returns a new dict and
leaves its input alone, so the caller assigns the result back and SQLAlchemy
notices the change. Randomness comes from a ``random.Random`` the caller
passes in, so tests can fix the shuffle.
"""

from __future__ import annotations

import random
from collections.abc import Iterable

from .decks import Deck
from .methods import MAX_HAND
from .session import RuleViolation


def _copy(state: dict) -> dict:
    return {
        "pile": list(state["pile"]),
        "hands": {pid: list(hand) for pid, hand in state["hands"].items()},
        "focus": state["focus"],
        "played": [dict(entry) for entry in state["played"]],
    }


def _check_quadrant(deck: Deck, quadrant) -> None:
    if quadrant is not None and deck.quadrant(quadrant) is None:
        raise RuleViolation("no_such_quadrant")


def _pile(deck: Deck, rng: random.Random, focus: str | None, played: Iterable[str]) -> list[str]:
    """A shuffled pile of the focus quadrant (or the whole deck) without the cards already played.

    When every card has been played, the pile starts again from all of them:
    a long session should never run dry for good.
    """
    cards = [c.id for c in deck.cards if focus is None or c.quadrant == focus]
    used = set(played)
    pile = [c for c in cards if c not in used] or cards
    rng.shuffle(pile)
    return pile


def new_state(deck: Deck, rng: random.Random, focus: str | None = None) -> dict:
    """A fresh shuffled pile, empty hands, nothing played; ``focus`` limits the pile to one quadrant."""
    _check_quadrant(deck, focus)
    return {"pile": _pile(deck, rng, focus, ()), "hands": {}, "focus": focus, "played": []}


def deal(state: dict, participant_ids: Iterable[str], hand: int) -> dict:
    """Fill each person's hand up to ``hand`` cards, one card per person per pass.

    Dealing in passes spreads a short pile fairly; when the pile runs out some
    hands stay short rather than the deal being refused. Dealing again after a
    card was played tops the hand up again.
    """
    state = _copy(state)
    ids = list(dict.fromkeys(participant_ids))
    for pid in ids:
        state["hands"].setdefault(pid, [])
    for _ in range(min(hand, MAX_HAND)):
        for pid in ids:
            if state["pile"] and len(state["hands"][pid]) < hand:
                state["hands"][pid].append(state["pile"].pop(0))
    return state


def draw(state: dict, deck: Deck, participant_id: str, quadrant: str | None = None) -> tuple[dict, str]:
    """Take the top card of the pile, or the top card of one quadrant, into a person's hand."""
    _check_quadrant(deck, quadrant)
    state = _copy(state)
    hand = state["hands"].setdefault(participant_id, [])
    if len(hand) >= MAX_HAND:
        raise RuleViolation("hand_full", max=MAX_HAND)
    card_id = next(
        (c for c in state["pile"] if quadrant is None or _quadrant_of(deck, c) == quadrant),
        None,
    )
    if card_id is None:
        raise RuleViolation("pile_empty")
    state["pile"].remove(card_id)
    hand.append(card_id)
    return state, card_id


def _quadrant_of(deck: Deck, card_id: str) -> str | None:
    card = deck.card(card_id)
    return card.quadrant if card else None


def play(state: dict, deck: Deck, participant_id: str, card_id, contribution_id: str | None = None) -> dict:
    """Play a card from one's own hand; it leaves the game and is recorded with its quadrant.

    ``contribution_id`` links the play to the question it became, so the
    balance can count the ones the case bringer marked as helpful.
    """
    hand = state["hands"].get(participant_id, [])
    if not isinstance(card_id, str) or card_id not in hand:
        raise RuleViolation("card_not_in_hand")
    state = _copy(state)
    state["hands"][participant_id].remove(card_id)
    state["played"].append(
        {
            "card": card_id,
            "quadrant": _quadrant_of(deck, card_id),
            "by": participant_id,
            "contribution": contribution_id,
        }
    )
    return state


def return_hand(state: dict, participant_id: str) -> dict:
    """Put someone's hand at the bottom of the pile, e.g. when they leave the session."""
    state = _copy(state)
    state["pile"].extend(state["hands"].pop(participant_id, []))
    return state


def reshuffle(state: dict, deck: Deck, rng: random.Random) -> dict:
    """All hands go back into the pile, which is shuffled; what was played stays played."""
    return set_focus(state, deck, rng, state["focus"])


def set_focus(state: dict, deck: Deck, rng: random.Random, focus: str | None) -> dict:
    """Rebuild the pile for one quadrant (or the whole deck, with None); hands go back in."""
    _check_quadrant(deck, focus)
    state = _copy(state)
    played = [entry["card"] for entry in state["played"]]
    return {**state, "pile": _pile(deck, rng, focus, played), "hands": {}, "focus": focus}


def view(state: dict | None, participant_id: str | None) -> dict:
    """What one person may see: their own hand, and only the size of everyone else's."""
    if not state:
        return {"focus": None, "pile": 0, "hand": [], "hands": {}, "played": []}
    return {
        "focus": state["focus"],
        "pile": len(state["pile"]),
        "hand": list(state["hands"].get(participant_id, [])),
        "hands": {pid: len(hand) for pid, hand in state["hands"].items()},
        "played": [dict(entry) for entry in state["played"] if not entry.get("hidden")],
    }


def set_hidden(state: dict | None, contribution_id: str, hidden: bool) -> dict | None:
    """The state with the card played as ``contribution_id`` hidden (or shown again); None if no card was.

    A hidden card question is gone from every view and count: ``view`` and
    ``quadrant_balance`` leave it out; only the facilitator still sees the
    contribution itself.
    """
    if not state or not any(e.get("contribution") == contribution_id for e in state["played"]):
        return None
    new = _copy(state)
    for entry in new["played"]:
        if entry.get("contribution") == contribution_id:
            entry.pop("hidden", None)
            if hidden:
                entry["hidden"] = True
    return new


def quadrant_balance(
    played: Iterable[dict], helped: Iterable[str] = (), quadrants: Iterable[str] = ()
) -> dict:
    """How many questions each person and the whole group asked per quadrant, and how many helped.

    ``helped`` holds the ids of contributions the case bringer marked as
    helpful (the marks live in the database, not in the card state).
    ``quadrants`` lists the quadrants to always show, so an avoided quadrant
    appears as a zero rather than not at all.
    """
    helped = set(helped)
    order = list(quadrants)

    def empty() -> dict:
        return {q: {"asked": 0, "helped": 0} for q in order}

    group, people = empty(), {}
    for entry in played:
        quadrant = entry.get("quadrant")
        if quadrant is None or entry.get("hidden"):
            continue
        was_helpful = entry.get("contribution") is not None and entry["contribution"] in helped
        person = people.setdefault(entry.get("by"), empty())
        for tally in (group, person):
            counts = tally.setdefault(quadrant, {"asked": 0, "helped": 0})
            counts["asked"] += 1
            counts["helped"] += int(was_helpful)
    return {"group": group, "people": people}
