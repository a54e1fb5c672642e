"""Card decks: the shipped model and method validate; broken decks say which file, which field, what is wrong."""

import copy

import pytest
import yaml

from intervisie import coach
from intervisie.decks import contrast_on_white, load_decks, parse_deck
from intervisie.methods import MethodError, default_directory, load_library, load_methods, parse_method
from tests.support import parse_error

DECKS = default_directory() / "decks"
DECK = yaml.safe_load((DECKS / "coachkwadrant.yaml").read_text(encoding="utf-8"))
MANAGER = yaml.safe_load((default_directory() / "manager-coachkwadrant.yaml").read_text(encoding="utf-8"))


def test_shipped_deck_validates_with_enough_cards():
    deck = load_decks(DECKS)["coachkwadrant"]
    assert len(deck.cards) >= 48
    assert [q.id for q in deck.quadrants] == ["verhelderen", "verdiepen", "confronteren", "verbreden"]
    for quadrant in deck.quadrants:
        assert len(deck.cards_in(quadrant.id)) >= 12
        assert contrast_on_white(quadrant.colour) >= 4.5
    cells = {q.id: deck.cell(q) for q in deck.quadrants}
    assert cells == {"verhelderen": (0, 0), "verdiepen": (1, 0), "confronteren": (1, 1), "verbreden": (0, 1)}


def test_shipped_cards_are_open_questions():
    deck = load_decks(DECKS)["coachkwadrant"]
    for card in deck.cards:
        for lang in ("nl", "en"):
            assert card.text[lang].endswith("?"), card.id
            assert coach.check(card.text[lang], lang).label == "open", (card.id, lang)


def test_manager_method_validates_against_its_deck():
    methods, decks = load_library(default_directory())
    method = methods["manager-coachkwadrant"]
    assert method.audience == "managers" and method.deck in decks
    rounds = method.steps[method.step_index("kaartrondes")]
    cards = rounds.rule("cards")
    assert (cards.hand, cards.kind) == (3, "question")
    assert rounds.rule("marks").values == ("helped",) and rounds.rule("marks").by == ("case_bringer",)
    assert method.summary("en")["deck"] == "coachkwadrant"
    assert set(methods) == set(load_methods(default_directory()))


def test_deck_summary_has_what_the_diagram_needs():
    summary = load_decks(DECKS)["coachkwadrant"].summary("en")
    assert [a["id"] for a in summary["axes"]] == ["focus", "houding"]
    assert summary["quadrants"][0]["name"] == "Clarify" and summary["quadrants"][0]["column"] == 0
    assert len(summary["cards"]) >= 48 and summary["cards"][0]["text"].endswith("?")


def broken(change):
    return parse_error(parse_deck, DECK, change)


def _drop_cards_of(quadrant, keep):
    def change(d):
        mine = [c for c in d["cards"] if c["quadrant"] == quadrant][:keep]
        d["cards"] = [c for c in d["cards"] if c["quadrant"] != quadrant] + mine

    return change


@pytest.mark.parametrize(
    ("change", "where", "problem"),
    [
        (lambda d: d.pop("cards"), "", "missing field 'cards'"),
        (lambda d: d.update(shuffle=True), "shuffle", "unknown field"),
        (lambda d: d["names"].pop("en"), "names.en", "missing or empty"),
        (lambda d: d["names"].update(de="Karten"), "names.de", "unknown language"),
        (lambda d: d["axes"].pop(), "axes", "exactly 2"),
        (lambda d: d["axes"][1]["poles"].pop(), "axes[1].poles", "exactly 2"),
        (lambda d: d["axes"][1]["poles"][0]["names"].pop("nl"), "axes[1].poles[0].names.nl", "missing"),
        (lambda d: d["axes"][1].update(id="focus"), "axes[1].id", "used twice"),
        (lambda d: d["axes"][1]["poles"][0].update(id="persoon"), "axes[1].poles[0].id", "used twice"),
        (lambda d: d["quadrants"].pop(), "quadrants", "exactly 4"),
        (lambda d: d["quadrants"][2].update(colour="#ffdd00"), "quadrants[2].colour", "too light"),
        (lambda d: d["quadrants"][2].update(colour="red"), "quadrants[2].colour", "hex colour"),
        (lambda d: d["quadrants"][3].update(colour="#1d5fa8"), "quadrants[3].colour", "used twice"),
        (lambda d: d["quadrants"][1]["descriptions"].pop("en"), "quadrants[1].descriptions.en", "missing"),
        (lambda d: d["quadrants"][1]["position"].pop("houding"), "quadrants[1].position", "missing field"),
        (
            lambda d: d["quadrants"][1]["position"].update(houding="duwen"),
            "quadrants[1].position.houding",
            "one of",
        ),
        (
            lambda d: d["quadrants"][1].update(position={"focus": "situatie", "houding": "volgen"}),
            "quadrants[1].position",
            "used twice",
        ),
        (lambda d: d["quadrants"][1].update(id="verhelderen"), "quadrants[1].id", "used twice"),
        (lambda d: d["cards"][5].update(quadrant="elders"), "cards[5].quadrant", "unknown quadrant"),
        (lambda d: d["cards"][5].update(id=d["cards"][4]["id"]), "cards[5].id", "used twice"),
        (lambda d: d["cards"][5]["text"].pop("en"), "cards[5].text.en", "missing or empty"),
        (lambda d: d["cards"][5]["text"].update(nl="x" * 301), "cards[5].text.nl", "longer than"),
        (lambda d: d["cards"][5].update(colour="#000000"), "cards[5].colour", "unknown field"),
        (_drop_cards_of("verdiepen", 3), "cards", "'verdiepen' has 3 cards"),
        (lambda d: d.update(cards=[]), "cards", "non-empty list"),
    ],
)
def test_broken_deck_names_file_field_and_problem(change, where, problem):
    error = broken(change)
    assert error.source == "broken.yaml"
    assert error.where == where
    assert problem in error.problem
    assert str(error).startswith(f"broken.yaml: {where}: ")


def test_contrast_on_white():
    assert round(contrast_on_white("#000000")) == 21
    assert contrast_on_white("#ffffff") == pytest.approx(1.0)


def test_no_deck_directory_means_no_decks(tmp_path):
    assert load_decks(tmp_path / "decks") == {}


def test_duplicate_deck_ids_across_files(tmp_path):
    text = (DECKS / "coachkwadrant.yaml").read_text(encoding="utf-8")
    (tmp_path / "a.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(MethodError, match="also defined in a.yaml"):
        load_decks(tmp_path)


def test_invalid_deck_yaml_names_the_line(tmp_path):
    (tmp_path / "decks").mkdir()
    (tmp_path / "decks" / "bad.yaml").write_text("id: x\ncards: [\n", encoding="utf-8")
    with pytest.raises(MethodError) as caught:
        load_library(tmp_path)
    assert caught.value.source == "bad.yaml" and "line" in caught.value.where


def library(tmp_path, method: dict, with_deck: bool = True):
    """A methods directory with one method and, optionally, the shipped deck."""
    (tmp_path / "m.yaml").write_text(yaml.safe_dump(method, allow_unicode=True), encoding="utf-8")
    if with_deck:
        (tmp_path / "decks").mkdir()
        (tmp_path / "decks" / "coachkwadrant.yaml").write_text(
            (DECKS / "coachkwadrant.yaml").read_text(encoding="utf-8"), encoding="utf-8"
        )
    return tmp_path


def test_method_naming_a_missing_deck_stops_loading(tmp_path):
    directory = library(tmp_path, MANAGER, with_deck=False)
    for load in (load_library, load_methods):
        with pytest.raises(MethodError) as caught:
            load(directory)
        assert (caught.value.source, caught.value.where) == ("m.yaml", "deck")
        assert "no deck 'coachkwadrant'" in caught.value.problem


def test_load_methods_checks_against_given_decks(tmp_path):
    directory = library(tmp_path, MANAGER)
    assert "manager-coachkwadrant" in load_methods(directory)
    with pytest.raises(MethodError, match="no deck"):
        load_methods(directory, decks={})


def broken_method(change):
    return parse_error(parse_method, MANAGER, change)


CARDS_RULE = "steps[3].rules[0]"


@pytest.mark.parametrize(
    ("change", "where", "problem"),
    [
        (lambda d: d.pop("deck"), "deck", "steps[3] deals cards"),
        (lambda d: d.update(deck="Mijn Kaarten"), "deck", "lower-case"),
        (lambda d: d["steps"][3]["rules"][0].update(hand=0), f"{CARDS_RULE}.hand", "from 1 to 10"),
        (lambda d: d["steps"][3]["rules"][0].update(hand=11), f"{CARDS_RULE}.hand", "from 1 to 10"),
        (lambda d: d["steps"][3]["rules"][0].pop("hand"), CARDS_RULE, "missing field 'hand'"),
        (
            lambda d: d["steps"][3]["rules"][0].update(kind="advice"),
            f"{CARDS_RULE}.kind",
            "not a kind this step",
        ),
        (lambda d: d["steps"][3]["rules"][0].update(kind=["x"]), f"{CARDS_RULE}.kind", "one of"),
        (
            lambda d: d["steps"][3]["rules"][0].update(focus="verdiepen"),
            f"{CARDS_RULE}.focus",
            "unknown field",
        ),
        (
            lambda d: d["steps"][3]["rules"].append({"type": "cards", "hand": 2}),
            "steps[3].rules",
            "given twice",
        ),
    ],
)
def test_broken_card_method_names_field_and_problem(change, where, problem):
    error = broken_method(change)
    assert error.where == where
    assert problem in error.problem


def test_cards_rule_kind_defaults_to_question():
    document = copy.deepcopy(MANAGER)
    document["steps"][3]["rules"][0].pop("kind")
    method = parse_method(document, "m.yaml")
    assert method.steps[3].rule("cards").kind == "question"
