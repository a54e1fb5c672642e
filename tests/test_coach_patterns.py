"""The question coach on the general patterns found in the fresh2 batch and the probes after it.

Each case stands for a family of wordings, not for one question of the sets:
typed and spoken spellings, advice asked in the order of a clause after a
lead-in, the case bringer's own plans, invitations to tell, and suppositions.
"""

import pytest

from intervisie import coach


@pytest.mark.parametrize(
    ("text", "label"),
    [
        # Flemish and spoken Dutch read as their standard forms.
        ("kunt ge wat meer vertellen over da gesprek", "open"),
        ("kunt ge da nie gewoon zeggen tegen hem", "advice"),
        ("hebt ge da al eens gevraagd aan uw teamleider", "advice"),
        ("waarom doet ge da nie gewoon", "advice"),
        ("zijt ge daar zeker van", "closed"),
        ("ge zoudt toch eens met uw directeur kunnen praten", "advice"),
        ("mss kun je het met je coach bespreken", "advice"),
        ("kunt u niet beter de wijkverpleging inschakelen", "advice"),
        # Texting English and curly apostrophes.
        ("have u checked the lone working policy", "advice"),
        ("wouldnt a quick chat with the parents help", "advice"),
        ("why don’t you just ask her", "advice"),
    ],
)
def test_typed_and_spoken_spellings_read_as_the_standard_ones(text, label):
    assert coach.check(text).label == label


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("kunt ge da nie gewoon zeggen", ["kunt ge da nie", "gewoon zeggen"]),
        ("mss kun je het bespreken", ["mss"]),
        ("have u checked the policy", ["have u checked"]),
        ("Waarom doet gij dat nie?", ["Waarom doet gij dat nie"]),
    ],
)
def test_words_named_are_those_typed_even_when_read_in_another_spelling(text, named):
    assert [text[start:end] for start, end in coach.check(text).words] == named


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("ik vraag me af of je niet wat strenger had moeten zijn", "advice"),
        ("ik vraag me af of een gesprek met beide ouders niet meer oplevert", "advice"),
        ("ik ben benieuwd of je niet te snel conclusies trekt", "advice"),
        ("ik vraag me af of de ouders het weten", "closed"),
        ("i'm curious why you don't just say no", "advice"),
        ("i wonder whether a joint meeting wouldn't help more", "advice"),
        ("i wonder if the parents know", "closed"),
        ("you said it keeps escalating, and i'm wondering what you would most like", "open"),
    ],
)
def test_advice_asked_as_a_clause_after_a_lead_in(text, label):
    assert coach.check(text).label == label


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("weet het team dat je overweegt te stoppen", "closed"),
        ("are you considering leaving", "closed"),
        ("heb je overwogen om van afdeling te wisselen", "advice"),
        ("heb je gedacht aan een gesprek met z'n drieën", "advice"),
        ("heb je gedacht dat het mis zou gaan", "closed"),
        ("could you consider swapping the shift", "advice"),
        ("have you been involved with the family for long", "closed"),
        ("had je toen al een vermoeden", "closed"),
        ("heb je de klachtenprocedure al bekeken", "advice"),
    ],
)
def test_the_case_bringers_own_plans_are_no_advice_what_is_proposed_is(text, label):
    assert coach.check(text).label == label


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("zou het niet fijner zijn voor jezelf om dat los te laten", "advice"),
        ("zou een intervisie met de artsen erbij niet helpen", "advice"),
        ("had het niet handiger gekund om het aan te kondigen", "advice"),
        ("een idee is misschien om het team erbij te betrekken, wat vind je", "advice"),
        ("zou je er goed aan doen om meer afstand te nemen", "advice"),
        ("niet beter om het even te laten rusten", "advice"),
        ("wasn't it better to wait a moment", "advice"),
        ("did it not occur to you to phone the on-call manager", "advice"),
        ("would writing it down help you", "advice"),
        ("would it be sensible to get a second opinion", "advice"),
        ("ought you not to speak to him first", "advice"),
        ("zou het kunnen dat de moeder het niet goed begreep", "closed"),
        ("kun je misschien de moeder bellen", "advice"),
        ("wat zou je ervan vinden om het samen te doen", "advice"),
        ("ligt het niet meer voor de hand om de huisarts te bellen", "advice"),
        ("would you think about asking the rota lead", "advice"),
        ("have you been to see the freedom to speak up guardian yet", "advice"),
        ("could you share it with anyone", "closed"),
        ("is een gesprek met de ouders geen optie", "advice"),
        ("is bellen met de huisarts niet handiger", "advice"),
        ("zou een collega het niet kunnen overnemen", "advice"),
        ("heb je ook gekeken naar andere opties zoals thuiszorg", "advice"),
        ("zou je er iets aan hebben om het met je coach te bespreken", "advice"),
        ("ben je wel eens bij hem thuis gaan kijken", "advice"),
        ("ben je wel eens eerder bij hem thuis geweest", "closed"),
        ("heb je er iets aan gehad", "closed"),
        ("is hij niet beter sinds de nieuwe medicatie", "closed"),
        ("heb je het gevoel dat je geen opties hebt", "closed"),
        ("is a meeting with the parents not an option", "advice"),
        ("isn't ringing the gp easier", "advice"),
        ("is she not feeling better", "closed"),
        ("doesn't it help if you just write it down", "advice"),
        ("couldn't a colleague take it over", "advice"),
        ("would a fixed day in the week help", "advice"),
        ("did you also look at other options like home care", "advice"),
        ("do people react in different ways", "closed"),
        ("could you write it down for yourself maybe", "advice"),
        ("worth ringing the council, no", "advice"),
        ("what's wrong with just telling her", "advice"),
        ("zou een kort overleg met het team elke ochtend niet helpen", "advice"),
        ("zou je zeggen dat het niet werkt", "closed"),
        ("zou je niet zeggen dat het te veel is", "advice"),
        ("could you share what happened next", "open"),
    ],
)
def test_softened_advice_and_judgement(text, label):
    assert coach.check(text).label == label


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("kun je daar iets over zeggen", "open"),
        ("kun je omschrijven hoe die ochtend verliep", "open"),
        ("heb je een idee waar dat vandaan komt", "open"),
        ("could you say a bit more about what you mean", "open"),
        ("can you take us back to that moment", "open"),
        ("do you have any idea where that comes from", "open"),
        ("en toen", "open"),
        ("stel dat het lukt, hoe ziet het er dan uit", "open"),
        ("stel dat je het gewoon eens vraagt, wat gebeurt er dan", "advice"),
    ],
)
def test_invitations_to_tell_and_suppositions_are_open(text, label):
    assert coach.check(text).label == label
