"""Question cards in a live session: dealing, playing, drawing, reshuffling and focusing a round.

The rules for the card state itself are pure (``intervisie/cards.py``); this
module ties them to the session: who may hold cards in a step, what a played
card becomes (a contribution of the step's ``cards`` kind), and what each
person may see. Hands are private: the shared state (``session:state``)
carries only the size of each hand, and a person's own cards reach them in
their snapshot, in the acknowledgement of their own actions and in a personal
``cards:hand`` event to their own room.

The card state is one JSON column that several people change at once: every
change here holds the session's row lock (``bound``), so changes take turns.
"""

from __future__ import annotations

import random

from .. import cards
from .. import session as rules
from ..db import db
from ..decks import Deck
from ..methods import Rule, Step
from ..models import Session
from ..session import RuleViolation
from .base import Emit, Outcome, bound, checked_text, method_of, require_current, room_person, touch
from .contributions import check_new, client_id_of, duplicate_of, new_contribution
from .views import deck_of, decks, published, state_emit


def _rng() -> random.Random:
    return random.Random()


def initial_cards(method, deck_id=None) -> tuple[Deck | None, dict | None]:
    """The deck and fresh card state of a new session: the method's deck, or another installed one."""
    if deck_id is None:
        deck_id = method.deck
    elif method.deck is None:
        raise RuleViolation("no_deck")
    if deck_id is None:
        return None, None
    if not isinstance(deck_id, str) or deck_id not in decks():
        raise RuleViolation("unknown_deck")
    deck = decks()[deck_id]
    return deck, cards.new_state(deck, _rng())


def _hand_emits(session: Session, old: dict | None, new: dict) -> list[Emit]:
    """A personal ``cards:hand`` to everyone whose hand changed, in their own room only."""
    before = (old or {}).get("hands", {})
    after = new.get("hands", {})
    return [
        Emit("cards:hand", cards.view(new, p.id), room_person(p.id))
        for p in session.participants
        if not p.removed and before.get(p.id, []) != after.get(p.id, [])
    ]


def players(session: Session, step: Step, rule: Rule) -> list[str]:
    """Who holds cards in this step: those whose role may add what a card becomes; the case bringer
    only when cards are answered (check-in cards), never when they are questions to them."""
    roles = step.contribute.get(rule.kind, ())
    asked = rule.kind == "question"
    return [
        p.id
        for p in session.participants
        if not p.removed and p.role in roles and not (asked and p.role == "case_bringer")
    ]


def _deal(state: dict, session: Session, step: Step, rule: Rule) -> dict:
    """Top every player's hand up; hands of people who no longer play go back into the pile."""
    ids = players(session, step, rule)
    for pid in list(state["hands"]):
        if pid not in ids:
            state = cards.return_hand(state, pid)
    return cards.deal(state, ids, rule.hand)


def enter_step(orm, session: Session) -> list[Emit]:
    """Called when a step opens: a step with a ``cards`` rule deals (or tops up) the players' hands."""
    step = method_of(session).steps[session.step_index]
    rule, deck = step.rule("cards"), deck_of(session)
    if rule is None or deck is None:
        return []
    old = session.cards
    new = _deal(old or cards.new_state(deck, _rng()), session, step, rule)
    session.deck_id, session.cards = deck.id, new
    return _hand_emits(session, old, new)


def drop_hand(session: Session, participant_id: str) -> list[Emit]:
    """Someone stops playing (removed, or made case bringer): their cards go back into the pile."""
    old = session.cards
    if not old or participant_id not in old["hands"]:
        return []
    session.cards = cards.return_hand(old, participant_id)
    return _hand_emits(session, old, session.cards)


def _deck_and_state(session: Session) -> tuple[Deck, dict]:
    deck = deck_of(session)
    if deck is None:
        raise RuleViolation("no_deck")
    return deck, session.cards or cards.new_state(deck, _rng())


def _card_step(session: Session) -> tuple[Step, Rule]:
    rules.require_status(session.status, "running")
    step = method_of(session).steps[session.step_index]
    rule = step.rule("cards")
    if rule is None:
        raise RuleViolation("wrong_step")
    return step, rule


def _store(session: Session, state: dict, now: float) -> None:
    """The new card state; the caller holds the session's row lock (``bound``), so nobody changed it since."""
    session.cards = state
    touch(session, now)


def _card_action(sid: str, payload: dict, now: float, change, *, facilitator_only: bool = True) -> Outcome:
    """Shared frame of the card actions other than playing: check, change the state, store, broadcast.

    ``change(session, person, deck, state, step, rule)`` returns the new state
    and extra acknowledgement fields. Every card action of the facilitator
    (deal, reshuffle, focus, a draw for someone) is guarded like every
    facilitator control (``require_current``); a player's own draw is not.
    """

    with db.session(write=True) as orm:
        person, session = bound(orm, sid)
        if facilitator_only:
            rules.require_facilitator(person.role)
        if person.role == "facilitator":  # every card action of the facilitator is a guarded control
            require_current(session, payload)
            session.control += 1
        deck, state = _deck_and_state(session)
        step, rule = _card_step(session)
        new, ack = change(session, person, deck, state, step, rule)
        old = session.cards
        _store(session, new, now)
        orm.commit()
        shared = state_emit(orm, session, now)
        return Outcome(
            ack={"state": shared.data, **ack, "cards": cards.view(new, person.id)},
            emits=[shared, *_hand_emits(session, old, new)],
        )


def play(sid: str, payload: dict, now: float) -> Outcome:
    """A player plays a card from their own hand: it becomes their question (as it stands, or in their
    own words ``text``), or, for a card of another kind (a check-in card), their answer ``text``; the
    hand is topped up."""
    client_id = client_id_of(payload)
    card_id = payload.get("card_id")
    if not isinstance(card_id, str) or not 0 < len(card_id) <= 64:
        raise RuleViolation("bad_request")
    own_text = payload.get("text")
    if own_text is not None:
        own_text = checked_text(own_text, "MAX_TEXT_LENGTH")

    with db.session(write=True) as orm:
        person, session = bound(orm, sid)
        resent = duplicate_of(orm, session, person, client_id)
        if resent is not None:
            return Outcome(ack={**resent, "cards": cards.view(session.cards, person.id)})
        deck, state = _deck_and_state(session)
        step, rule = _card_step(session)
        if own_text is None and rule.kind != "question":
            raise RuleViolation("empty")  # a check-in card is answered, not played as it stands
        card = deck.card(card_id)
        lang = person.lang if person.lang in deck.names else "nl"
        text = own_text or (card.text[lang] if card else "")
        _, flag, index = check_new(orm, session, person, rule.kind, text)
        if card is None or card_id not in state["hands"].get(person.id, []):
            raise RuleViolation("card_not_in_hand")
        contribution = new_contribution(
            session,
            person,
            step,
            index,
            client_id,
            now,
            kind=rule.kind,
            text=text,
            flag=flag,
            details={"card": card.id, "quadrant": card.quadrant},
        )
        new = cards.play(state, deck, person.id, card.id, contribution.id)
        new = cards.deal(new, [person.id], rule.hand)
        old = session.cards
        orm.add(contribution)
        _store(session, new, now)
        orm.commit()
        outcome = published(orm, session, contribution)
        outcome.ack["cards"] = cards.view(new, person.id)
        outcome.emits += [state_emit(orm, session, now), *_hand_emits(session, old, new)]
        return outcome


def deal(sid: str, payload: dict, now: float) -> Outcome:
    """The facilitator tops up every player's hand (e.g. for someone who joined during the step)."""

    def change(session, _person, _deck, state, step, rule):
        return _deal(state, session, step, rule), {}

    return _card_action(sid, payload, now, change)


def reshuffle(sid: str, payload: dict, now: float) -> Outcome:
    """The facilitator takes all hands back, shuffles the pile and deals again; played cards stay out."""

    def change(session, _person, deck, state, step, rule):
        return _deal(cards.reshuffle(state, deck, _rng()), session, step, rule), {}

    return _card_action(sid, payload, now, change)


def focus(sid: str, payload: dict, now: float) -> Outcome:
    """The facilitator focuses a round on one quadrant (``quadrant: null`` for the whole deck); new hands."""
    if "quadrant" not in payload:
        raise RuleViolation("bad_request")
    quadrant = payload["quadrant"]
    if quadrant is not None and not isinstance(quadrant, str):
        raise RuleViolation("bad_request")

    def change(session, _person, deck, state, step, rule):
        return _deal(cards.set_focus(state, deck, _rng(), quadrant), session, step, rule), {}

    return _card_action(sid, payload, now, change)


def draw(sid: str, payload: dict, now: float) -> Outcome:
    """Draw one card (from one quadrant, if given): the facilitator for any player, a player for themselves.

    A player may hold one card more than the step deals, so they can pick a
    quadrant they are missing; the facilitator can fill a hand up to the maximum.
    """
    quadrant, target = payload.get("quadrant"), payload.get("participant_id")
    if quadrant is not None and not isinstance(quadrant, str):
        raise RuleViolation("bad_request")
    if target is not None and not isinstance(target, str):
        raise RuleViolation("bad_request")

    def change(session, person, deck, state, step, rule):
        pid = target or person.id
        playing = players(session, step, rule)
        if person.role != "facilitator":
            if pid != person.id or pid not in playing:
                raise RuleViolation("forbidden_role")
            if len(state["hands"].get(pid, [])) > rule.hand:
                raise RuleViolation("hand_full", max=rule.hand + 1)
        elif pid not in playing:
            if not any(p.id == pid and not p.removed for p in session.participants):
                raise RuleViolation("unknown_participant")
            raise RuleViolation("not_a_player")
        new, card_id = cards.draw(state, deck, pid, quadrant)
        return new, (
            {"participant_id": pid, "card": card_id} if pid == person.id else {"participant_id": pid}
        )

    return _card_action(sid, payload, now, change, facilitator_only=False)
