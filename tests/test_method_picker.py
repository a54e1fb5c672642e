"""Choosing a method: what each says it fits, the start page's picker, and check-in with cards."""

from __future__ import annotations

import re
import uuid

import pytest

from intervisie import coach, tailoring
from intervisie.decks import load_decks
from intervisie.methods import EXPERIENCE, GOALS, default_directory, load_library
from intervisie.session import RuleViolation
from tests.conftest import Group

LIBRARY, DECKS = load_library(default_directory())
CHECKIN = DECKS[tailoring.CHECKIN_DECK]


def test_every_shipped_method_says_when_it_fits_in_both_languages():
    for method in LIBRARY.values():
        assert method.fits is not None, method.id
        assert set(method.fits.goals) <= set(GOALS) and set(method.fits.experience) <= set(EXPERIENCE)
        assert all(method.fits.when[lang] for lang in ("nl", "en"))
    # Between them, the methods serve every goal and every level of experience.
    assert {g for m in LIBRARY.values() for g in m.fits.goals} == set(GOALS)
    assert {e for m in LIBRARY.values() for e in m.fits.experience} == set(EXPERIENCE)


def test_the_method_list_carries_what_the_picker_filters_on(client):
    methods = {m["id"]: m for m in client.get("/api/methods?lang=en").get_json()}
    five = methods["vijf-fasen"]
    assert five["goals"] == ["understand", "solve"] and five["when"].startswith("you want to understand")
    assert five["minutes"] == 80 and five["group_size"] == [3, 8] and five["checkin"] is True
    assert [(s["id"], s["can_skip"], s["can_move"]) for s in five["steps"][:3]] == [
        ("check-in", True, False),
        ("casus", False, False),
        ("vragen", True, True),
    ]


def test_the_start_page_lets_the_picker_filter_every_method(client):
    page = client.get("/", headers={"Accept-Language": "nl"}).get_data(as_text=True)
    for method in LIBRARY.values():
        assert f'value="{method.id}"' in page
    assert 'data-goals="understand solve" data-experience="beginner experienced"' in page
    assert 'data-low="3" data-high="8" data-minutes="80" data-checkin>' in page
    assert "Past als: je een lastige situatie eerst goed wilt begrijpen" in page
    assert "Vink stappen uit om ze over te slaan" in page
    shown = re.sub(r"<script.*?</script>", "", page, flags=re.DOTALL)
    assert not re.search(r">\s*(ui|error)\.[a-z_.]+\s*<", shown)  # every text translated
    for goal in (
        "Een moment begrijpen",
        "Een probleem oplossen",
        "Voelen en reflecteren",
        "Vragen stellen oefenen",
    ):
        assert f">{goal}</option>" in page
    # The check-in cards are offered as check-in cards, not as a deck of question cards.
    assert 'id="deck-inchecken"' not in page and "Inchecken met kaarten" in page


# --- the check-in card deck --------------------------------------------------------------------


THEMES = {
    "work joy": ("plezier", "worthwhile"),
    "health and vitality": ("gezond", "energie"),
    "talents and competences": ("talent", "vaardigheid"),
    "development": ("geleerd", "feedback"),
    "what the future brings": ("komende jaar", "vijf jaar", "verandering"),
    "workload and balance": ("werkdruk", "te veel", "rest van je leven"),
    "colleagues and manager": ("collega", "leidinggevende"),
}


def test_the_checkin_deck_covers_every_theme_with_open_questions_in_both_languages():
    assert load_decks(default_directory() / "decks")[tailoring.CHECKIN_DECK] == CHECKIN
    texts = [card.text["nl"].lower() + " " + card.text["en"].lower() for card in CHECKIN.cards]
    for theme, words in THEMES.items():
        assert sum(any(w in text for w in words) for text in texts) >= 2, theme
    for card in CHECKIN.cards:
        for lang in ("nl", "en"):
            assert coach.check(card.text[lang], lang).label == "open", (card.id, lang)


def test_checkin_cards_deal_one_card_to_answer_at_the_checkin(app, client):
    group = Group(app, client, checkin_cards=True)
    rules = group.facilitator.snapshot["method"]["steps"][0]["rules"]
    assert {"type": "cards", "kind": "checkin", "hand": 1} in rules
    group.start()
    bram = group.participants[0]
    hand = bram.reconnect()["snapshot"]["hand"]
    assert len(hand) == 1 and hand[0] in {c.id for c in CHECKIN.cards}
    assert len(group.case_bringer.reconnect()["snapshot"]["hand"]) == 1  # everyone checks in, with a card
    # A check-in card is answered: played without words, it is refused and nothing changes.
    refused = bram.emit("card:play", client_id=uuid.uuid4().hex, card_id=hand[0])
    assert refused["ok"] is False and refused["error"] == "empty"
    answered = bram.emit(
        "card:play", client_id=uuid.uuid4().hex, card_id=hand[0], text="Veel energie deze week."
    )
    assert answered["ok"], answered
    shown = answered["contribution"]
    assert shown["kind"] == "checkin" and shown["text"] == "Veel energie deze week."
    assert shown["details"]["quadrant"] == CHECKIN.card(hand[0]).quadrant
    # One check-in each, with a card or without: the answer was it.
    again = bram.add("checkin", "Nog iets")
    assert again["ok"] is False and again["error"] == "limit_reached"
    assert group.participants[1].add("checkin", "Rustig, zonder kaart.")["ok"]
    # After the check-in the cards are done: the case step has none.
    group.go(1)
    assert group.participants[1].reconnect()["snapshot"]["method"]["steps"][1]["rules"] == [
        {"type": "max_per_person", "count": 3}
    ]


def test_checkin_cards_only_where_there_is_a_checkin_without_cards(client):
    with pytest.raises(RuleViolation) as refused:
        tailoring.with_checkin_cards(LIBRARY["manager-coachkwadrant"])  # deals its own question cards
    assert refused.value.code == "checkin_cards_unavailable"
    without = tailoring.tailor(LIBRARY["vijf-fasen"], [{"step": "casus"}, {"step": "vragen"}])
    with pytest.raises(RuleViolation):
        tailoring.with_checkin_cards(without)
    body = client.post(
        "/api/sessions",
        json={
            "method_id": "vijf-fasen",
            "name": "Fien",
            "lang": "en",
            "plan": [{"step": "casus"}],
            "checkin_cards": True,
        },
    ).get_json()
    assert body["error"] == "checkin_cards_unavailable" and "no check-in step" in body["message"]
    for wrong in ("yes", 1, None, []):
        body = client.post(
            "/api/sessions", json={"method_id": "vijf-fasen", "name": "Fien", "checkin_cards": wrong}
        ).get_json()
        assert body["ok"] is False and body["error"] == "bad_request"
