"""The privacy guard on the general patterns found in the fresh2 batch and the probes after it.

Places, institutions, shops and systems that deduce's name lists also hold; English
sentence openers that are everyday words; nicknames said to be one; a
birthday without its year; a BSN typed in groups; a title before a name in
lower case.
"""

from __future__ import annotations

import pytest

from intervisie import privacy
from tests.test_privacy import flagged


@pytest.fixture(scope="module", autouse=True)
def guard():
    privacy.load()


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("in Den Bosch hebben ze een ander protocol", "nl"),
        ("in het OCMW van Gent zeggen ze dat het niet hun taak is", "nl"),
        ("de wijkverpleging in Bergen op Zoom is overbelast", "nl"),
        ("de collega's van het Maxima Medisch Centrum belden", "nl"),
        ("Het Rode Kruis kwam helpen", "nl"),
        ("de Albert Heijn om de hoek belt ons als hij verward binnenloopt", "nl"),
        ("the community nurses in Milton Keynes are stretched", "en"),
        ("she works at Boots in Leeds", "en"),
        ("Mark my words, it will happen again", "en"),
        ("Hope that makes sense", "en"),
        ("Grace under pressure is what they want from us", "en"),
        ("Ward B3 has 24 beds", "en"),
        ("We use Rio for the notes but it's slow", "en"),
        ("de directeur van basisschool De Wilgen wil een gesprek", "nl"),
        ("op de Margriet (afdeling) is het onrustig", "nl"),
        ("we werken in Nedap en dat loopt vast", "nl"),
    ],
)
def test_places_institutions_shops_and_sentence_openers_are_no_names(text, lang):
    assert flagged(text, lang) == []


@pytest.mark.parametrize(
    ("text", "lang", "name"),
    [
        ("Grace rang in tears", "en", "Grace"),
        ("Oliver from the Sunflower room cried all morning", "en", "Oliver"),
        ("meneer Bergen wil zijn dossier zien", "nl", "meneer Bergen"),
        ("Big Mo, as the other lads call him, kicked off again", "en", "Big Mo"),
        ("they call him Big Tony on the unit", "en", "Big Tony"),
        ("ze noemen hem Sjonnie op de groep", "nl", "Sjonnie"),
        ("de bezoekster die iedereen Tante Riet noemt, sliep weer", "nl", "Tante Riet"),
        ("ik sprak mw. jansen over haar zoon", "nl", "jansen"),
        ("cliënt R.J. (45) heeft een verstandelijke beperking", "nl", "R.J."),
    ],
)
def test_people_are_still_names_nicknames_and_lower_case_after_a_title_too(text, lang, name):
    assert [(found, kind) for found, kind, _ in flagged(text, lang)] == [(name, "name")]


def test_a_nickname_of_someone_in_the_session_is_not_flagged():
    assert flagged("ze noemen hem Sjonnie op de groep", known=["Sjonnie"]) == []


@pytest.mark.parametrize(
    ("text", "lang", "date"),
    [
        ("ze is jarig op 14 maart en wordt dan 90", "nl", "14 maart"),
        ("he turns 18 on 3 June", "en", "3 June"),
        ("ze wordt 4 jaar op 12 april", "nl", "12 april"),
    ],
)
def test_a_birthday_without_its_year_is_a_date_of_birth(text, lang, date):
    assert [(found, kind) for found, kind, _ in flagged(text, lang)] == [(date, "date")]


def test_a_bsn_typed_in_groups_is_flagged_when_its_check_digit_holds():
    assert [kind for _, kind, _ in flagged("BSN: 1318.60.914")] == ["bsn"]
    assert [kind for _, kind, _ in flagged("haar bsn is 131 860 914")] == ["bsn"]
    assert flagged("het dossier telt 1318.60.915 tekens") == []


def test_a_client_number_with_words_between_and_a_slash_in_it():
    assert [(found, kind) for found, kind, _ in flagged("zijn dossier heeft nummer 2023/4471")] == [
        ("2023/4471", "client_number")
    ]
