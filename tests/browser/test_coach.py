"""The question coach as a participant meets it while typing, and the count the facilitator sees."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .conftest import screenshot
from .test_stumbles import started

pytestmark = pytest.mark.browser
# A busy server asks clients to try again later (back-pressure); the page does, so allow for it.
PATIENT_MS = 30_000

TEXTS = {
    "nl": {
        "step": "3. Verhelderende vragen",
        "field": "Stel een open vraag",
        "send": "Versturen",
        "advice": "heb je al eens overwogen om met je leidinggevende te praten",
        "said": "Dit klinkt als een advies of oordeel in de vorm van een vraag.",
        "words": "overwogen",
        "suggestion": "Wat heb je zelf al geprobeerd?",
        "anyway": "Je kunt je vraag ook zo versturen.",
        "closed": "was je boos",
        "use": "Gebruik deze vraag",
        "feel": "Wat voelde je op dat moment?",
        "flag": "Lijkt advies",
        "one": "1 van 1 vragen gesloten of advies",
        "two": "1 van 2 vragen gesloten of advies",
    },
    "en": {
        "step": "3. Clarifying questions",
        "field": "Ask an open question",
        "send": "Send",
        "advice": "have you considered talking to your manager",
        "said": "This sounds like advice or a judgement dressed as a question.",
        "words": "considered",
        "suggestion": "What have you tried yourself so far?",
        "anyway": "You can also send your question as it is.",
        "closed": "were you angry",
        "use": "Use this question",
        "feel": "What did you feel at that moment?",
        "flag": "Looks like advice",
        "one": "1 of 1 questions closed or advice",
        "two": "1 of 2 questions closed or advice",
    },
}


def go_to(fien, bram, step: str) -> None:
    """The facilitator opens a step from the plan, and tries again while the server says it is busy."""
    name = step.split(". ", 1)[1]
    for _ in range(10):
        fien.get_by_role("button", name=re.compile(re.escape(step))).click()
        try:
            expect(bram.locator(".step-name")).to_have_text(name, timeout=3000)
            return
        except AssertionError:
            continue
    expect(bram.locator(".step-name")).to_have_text(name)


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_coach_nudges_while_typing_and_the_question_can_be_sent_anyway(server, pages, lang):
    text = TEXTS[lang]
    _created, fien, (ayla, bram) = started(server, pages, "Ayla", "Bram")
    if lang == "en":
        for page in (fien, bram):
            page.get_by_role("button", name="EN", exact=True).click()
    go_to(fien, bram, text["step"])
    field = bram.get_by_label(text["field"])

    # Advice dressed as a question: the nudge says why, offers an open question, blocks nothing.
    field.fill(text["advice"])
    nudge = bram.locator(".nudges .nudge-advice")
    expect(nudge).to_contain_text(text["said"], timeout=PATIENT_MS)
    expect(nudge).to_contain_text(text["words"])
    expect(nudge).to_contain_text(text["suggestion"])
    expect(nudge).to_contain_text(text["anyway"])
    screenshot(bram, f"coach-nudge-advice-375-{lang}")
    bram.get_by_role("button", name=text["send"]).click()
    expect(ayla.locator(".contribution", has_text=text["advice"])).to_be_visible(timeout=PATIENT_MS)
    expect(bram.locator(".nudges .nudge")).to_have_count(0)
    sent = fien.locator(".contribution", has_text=text["advice"])
    expect(sent.locator(".flag-note")).to_have_text(text["flag"], timeout=PATIENT_MS)
    expect(fien.locator(".plan-flagged")).to_have_text(text["one"], timeout=PATIENT_MS)

    # A closed question: one click puts the open suggestion in the field, and the nudge goes.
    field.fill(text["closed"])
    bram.get_by_role("button", name=text["use"]).click(timeout=PATIENT_MS)
    expect(field).to_have_value(text["feel"])
    expect(bram.locator(".nudges .nudge")).to_have_count(0, timeout=PATIENT_MS)
    bram.get_by_role("button", name=text["send"]).click()
    expect(ayla.locator(".contribution", has_text=text["feel"])).to_be_visible(timeout=PATIENT_MS)
    expect(fien.locator(".plan-flagged")).to_have_text(text["two"], timeout=PATIENT_MS)
    screenshot(fien, f"coach-facilitator-count-1280-{lang}")
