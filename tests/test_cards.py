"""Card rules: a shuffled pile, dealing, drawing, playing, reshuffling and the quadrant balance."""

import json
import random

import pytest

from intervisie import cards
from intervisie.decks import load_decks
from intervisie.methods import default_directory
from intervisie.session import RuleViolation

DECK = load_decks(default_directory() / "decks")["coachkwadrant"]
PEOPLE = ["ayla", "bram", "chen"]


def quadrant(card_id):
    return DECK.card(card_id).quadrant


def fresh(focus=None, seed=1):
    return cards.new_state(DECK, random.Random(seed), focus)


def test_new_state_is_a_shuffled_json_pile_of_the_whole_deck():
    state = fresh()
    assert sorted(state["pile"]) == sorted(c.id for c in DECK.cards)
    assert state["pile"] != [c.id for c in DECK.cards]
    assert state == {"pile": state["pile"], "hands": {}, "focus": None, "played": []}
    assert json.loads(json.dumps(state)) == state
    assert fresh(seed=7) == fresh(seed=7)


def test_focus_limits_the_pile_to_one_quadrant():
    state = fresh("verdiepen")
    assert state["focus"] == "verdiepen"
    assert {quadrant(c) for c in state["pile"]} == {"verdiepen"}
    assert len(state["pile"]) == len(DECK.cards_in("verdiepen"))
    with pytest.raises(RuleViolation) as caught:
        fresh("elders")
    assert caught.value.code == "no_such_quadrant"


def test_deal_fills_each_hand_from_the_top_without_touching_the_input():
    state = fresh()
    top = state["pile"][:9]
    dealt = cards.deal(state, PEOPLE, 3)
    assert state["hands"] == {} and len(state["pile"]) == len(DECK.cards)
    assert dealt["hands"] == {"ayla": top[0:9:3], "bram": top[1:9:3], "chen": top[2:9:3]}
    assert len(dealt["pile"]) == len(DECK.cards) - 9
    assert cards.deal(dealt, PEOPLE, 3) == dealt  # full hands stay as they are


def test_deal_tops_up_after_a_play():
    state = cards.deal(fresh(), PEOPLE, 3)
    card = state["hands"]["bram"][1]
    state = cards.play(state, DECK, "bram", card)
    state = cards.deal(state, PEOPLE, 3)
    assert {pid: len(hand) for pid, hand in state["hands"].items()} == {"ayla": 3, "bram": 3, "chen": 3}
    assert card not in state["hands"]["bram"]


def test_a_short_pile_is_shared_fairly():
    state = fresh("verhelderen")  # 13 cards for 5 people with 3 each
    state = cards.deal(state, ["a", "b", "c", "d", "e"], 3)
    assert sorted(len(h) for h in state["hands"].values()) == [2, 2, 3, 3, 3]
    assert state["pile"] == []


def test_draw_takes_the_top_card_or_the_top_of_a_quadrant():
    state = fresh()
    top = state["pile"][0]
    state, card = cards.draw(state, DECK, "ayla")
    assert card == top and state["hands"]["ayla"] == [top] and top not in state["pile"]
    first_confront = next(c for c in state["pile"] if quadrant(c) == "confronteren")
    state, card = cards.draw(state, DECK, "ayla", "confronteren")
    assert card == first_confront and state["hands"]["ayla"] == [top, card]


def test_draw_refuses_unknown_quadrant_empty_pile_and_full_hand():
    with pytest.raises(RuleViolation, match="no_such_quadrant"):
        cards.draw(fresh(), DECK, "ayla", "elders")
    state = fresh("verdiepen")
    with pytest.raises(RuleViolation, match="pile_empty"):
        cards.draw(state, DECK, "ayla", "verbreden")
    state = cards.deal(state, ["ayla"], 10)
    with pytest.raises(RuleViolation, match="hand_full"):
        cards.draw(state, DECK, "ayla")
    state = cards.deal(
        cards.set_focus(state, DECK, random.Random(2), "verdiepen"), ["a", "b", "c", "d", "e"], 3
    )
    assert state["pile"] == []
    with pytest.raises(RuleViolation, match="pile_empty"):
        cards.draw(state, DECK, "f")


def test_play_records_the_card_with_its_quadrant_and_question():
    state = cards.deal(fresh(), PEOPLE, 3)
    card = state["hands"]["chen"][0]
    after = cards.play(state, DECK, "chen", card, contribution_id="q1")
    assert card in state["hands"]["chen"]  # the input is left alone
    assert card not in after["hands"]["chen"] and card not in after["pile"]
    assert after["played"] == [{"card": card, "quadrant": quadrant(card), "by": "chen", "contribution": "q1"}]
    assert json.loads(json.dumps(after)) == after


@pytest.mark.parametrize("who", ["ayla", "nobody"])
def test_play_refuses_a_card_not_in_the_hand(who):
    state = cards.deal(fresh(), PEOPLE, 3)
    others_card = state["hands"]["bram"][0]
    for card in (others_card, state["pile"][0], "no-such-card", None, ["x"]):
        with pytest.raises(RuleViolation) as caught:
            cards.play(state, DECK, who, card)
        assert caught.value.code == "card_not_in_hand"


def test_reshuffle_puts_hands_back_and_keeps_played_cards_out():
    state = cards.deal(fresh(), PEOPLE, 3)
    played = state["hands"]["ayla"][0]
    state = cards.play(state, DECK, "ayla", played)
    again = cards.reshuffle(state, DECK, random.Random(5))
    assert again["hands"] == {} and again["played"] == state["played"]
    assert sorted(again["pile"]) == sorted(c.id for c in DECK.cards if c.id != played)


def test_set_focus_rebuilds_the_pile_for_one_quadrant_then_the_whole_deck():
    state = cards.deal(fresh(), PEOPLE, 3)
    focused = cards.set_focus(state, DECK, random.Random(3), "verbreden")
    assert focused["focus"] == "verbreden" and focused["hands"] == {}
    assert sorted(focused["pile"]) == sorted(c.id for c in DECK.cards_in("verbreden"))
    back = cards.set_focus(focused, DECK, random.Random(3), None)
    assert back["focus"] is None and len(back["pile"]) == len(DECK.cards)
    with pytest.raises(RuleViolation, match="no_such_quadrant"):
        cards.set_focus(state, DECK, random.Random(3), "elders")


def test_when_every_card_was_played_the_pile_starts_over():
    state = fresh("verdiepen")
    while state["pile"]:
        state, card = cards.draw(state, DECK, "ayla")
        state = cards.play(state, DECK, "ayla", card)
    assert state["pile"] == [] and len(state["played"]) == len(DECK.cards_in("verdiepen"))
    again = cards.reshuffle(state, DECK, random.Random(4))
    assert sorted(again["pile"]) == sorted(c.id for c in DECK.cards_in("verdiepen"))


def test_return_hand_puts_a_leavers_cards_under_the_pile():
    state = cards.deal(fresh(), PEOPLE, 3)
    hand = state["hands"]["bram"]
    after = cards.return_hand(state, "bram")
    assert "bram" not in after["hands"] and after["pile"][-3:] == hand


def test_view_shows_only_ones_own_hand():
    state = cards.deal(fresh("verhelderen"), PEOPLE, 2)
    seen = cards.view(state, "ayla")
    assert seen == {
        "focus": "verhelderen",
        "pile": len(DECK.cards_in("verhelderen")) - 6,
        "hand": state["hands"]["ayla"],
        "hands": {"ayla": 2, "bram": 2, "chen": 2},
        "played": [],
    }
    assert cards.view(state, "someone-else")["hand"] == []
    assert cards.view(None, "ayla")["pile"] == 0


def test_quadrant_balance_per_person_and_group():
    played = [
        {"card": "a", "quadrant": "verhelderen", "by": "ayla", "contribution": "q1"},
        {"card": "b", "quadrant": "verhelderen", "by": "ayla", "contribution": "q2"},
        {"card": "c", "quadrant": "confronteren", "by": "ayla", "contribution": "q3"},
        {"card": "d", "quadrant": "verhelderen", "by": "bram", "contribution": None},
        {"card": "e", "quadrant": None, "by": "bram", "contribution": "q5"},  # a card no longer in the deck
    ]
    order = [q.id for q in DECK.quadrants]
    balance = cards.quadrant_balance(played, helped={"q2", "q3", "q5"}, quadrants=order)
    assert balance["group"] == {
        "verhelderen": {"asked": 3, "helped": 1},
        "verdiepen": {"asked": 0, "helped": 0},
        "confronteren": {"asked": 1, "helped": 1},
        "verbreden": {"asked": 0, "helped": 0},
    }
    assert list(balance["people"]["ayla"]) == order
    assert balance["people"]["ayla"]["confronteren"] == {"asked": 1, "helped": 1}
    assert balance["people"]["bram"]["verhelderen"] == {"asked": 1, "helped": 0}
    assert balance["people"]["bram"]["verdiepen"] == {"asked": 0, "helped": 0}
    assert cards.quadrant_balance([]) == {"group": {}, "people": {}}
    assert json.loads(json.dumps(balance)) == balance


def test_balance_from_a_played_state():
    state = cards.deal(fresh(), PEOPLE, 3)
    for pid in PEOPLE:
        state = cards.play(state, DECK, pid, state["hands"][pid][0], contribution_id=f"q-{pid}")
    balance = cards.quadrant_balance(state["played"], helped={"q-bram"})
    assert sum(c["asked"] for c in balance["group"].values()) == 3
    assert sum(c["helped"] for c in balance["group"].values()) == 1
