"""The question coach as a participant meets it while typing, and the count the facilitator sees."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .conftest import join, screenshot

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


def again_while_busy(act, done) -> None:
    """Do ``act`` until ``done`` holds: a busy server refuses, changing nothing, and a person tries again."""
    for _ in range(10):
        act()
        try:
            done(3000)
            return
        except AssertionError:
            continue
    done(5000)


def started(server, pages, method_id: str):
    """A started session of ``method_id``: the facilitator's page, Ayla's (the case bringer) and Bram's."""
    created = server.create_session(method_id=method_id, title="Team Zuid")
    fien = pages.open(created["facilitator_url"])
    ayla, bram = pages.open(width=375, height=740), pages.open(width=375, height=740)
    for page, name in ((ayla, "Ayla"), (bram, "Bram")):
        join(page, server.url, created["code"], name)
    start = fien.get_by_role("button", name="Start de sessie")
    again_while_busy(
        lambda: fien.get_by_label("Wie brengt de casus in?").select_option(label="Ayla"),
        lambda ms: expect(start).to_be_enabled(timeout=ms),
    )
    again_while_busy(
        lambda: start.is_visible() and start.click(),  # gone once the session has started
        lambda ms: expect(bram.locator(".step-name")).to_be_visible(timeout=ms),
    )
    return fien, ayla, bram


def go_to(fien, bram, step: str) -> None:
    """The facilitator opens a step from the plan."""
    name = step.split(". ", 1)[1]
    again_while_busy(
        lambda: fien.get_by_role("button", name=re.compile(re.escape(step))).click(),
        lambda ms: expect(bram.locator(".step-name")).to_have_text(name, timeout=ms),
    )


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_coach_nudges_while_typing_and_the_question_can_be_sent_anyway(server, pages, lang):
    text = TEXTS[lang]
    fien, ayla, bram = started(server, pages, "vijf-fasen")
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


def test_a_card_asked_in_own_words_gets_the_nudge_too(server, pages):
    fien, ayla, bram = started(server, pages, "manager-coachkwadrant")
    go_to(fien, bram, "4. Vragenrondes met kaarten")
    bram.locator(".hand .play-card").first.get_by_role("button", name="In eigen woorden").click()
    field = bram.get_by_label("Jouw versie van de vraag")
    field.fill("zou het niet beter zijn om het gesprek uit te stellen")
    nudge = bram.locator(".own-form .nudge-advice")
    expect(nudge).to_contain_text("zou het niet beter", timeout=PATIENT_MS)
    expect(nudge).to_contain_text("Wat heb je zelf al geprobeerd?")
    bram.get_by_role("button", name="Stel mijn versie").click()
    expect(ayla.locator(".contribution", has_text="het gesprek uit te stellen")).to_be_visible(
        timeout=PATIENT_MS
    )
