"""The case bringer answers a question from the question itself; 'next step' asks once when it is early.

Acted as people do: by the buttons' and fields' visible names, on a phone and on a laptop.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .conftest import join

pytestmark = pytest.mark.browser


def create(pages, base: str, *, locale: str = "nl-NL"):
    fien = pages.open(f"{base}/", locale=locale)
    fien.fill("#create-name", "Fien")
    fien.click("#create-form button[type=submit]")
    fien.wait_for_url(re.compile(r"/s/[A-Z0-9]+/facilitator$"))
    return fien, fien.locator("#app").get_attribute("data-code")


def question(page, text: str):
    return page.locator("[data-region=feed] > ol > .contribution", has_text=text)


def test_answers_stand_under_their_question_and_next_asks_first(server, pages):
    base = server.url
    fien, code = create(pages, base)
    ayla = pages.open(width=375, height=740)
    join(ayla, base, code, "Ayla")
    bram = pages.open(width=375, height=740)
    join(bram, base, code, "Bram")
    fien.get_by_label("Wie brengt de casus in?").select_option(label="Ayla")
    fien.get_by_role("button", name="Start de sessie").click()
    expect(bram.locator(".step-name")).to_have_text("Inchecken")

    # Nobody is ready yet: 'next step' asks once, says why, and 'cancel' changes nothing.
    fien.get_by_role("button", name="Volgende stap").click()
    dialog = fien.get_by_role("dialog")
    expect(dialog).to_contain_text("Pas 0 van de 2 zijn klaar met deze stap.")
    dialog.get_by_role("button", name="Annuleren").click()
    expect(fien.locator(".step-name")).to_have_text("Inchecken")
    # A sent check-in takes the writer's focus to their own note.
    bram.get_by_label("Hoe zit je er vandaag bij?").fill("Goed.")
    bram.get_by_role("button", name="Versturen").click()
    expect(bram.locator("[data-region=feed] .contribution.mine")).to_be_focused()
    for person in (ayla, bram):
        person.get_by_role("button", name="Ik ben klaar met deze stap").click()
    expect(fien.locator("#stage").get_by_text("Iedereen is klaar met deze stap.")).to_be_visible()
    fien.get_by_role("button", name="Volgende stap").click()  # all ready: on without asking
    expect(ayla.locator(".step-name")).to_have_text("De casus")
    fien.get_by_role("button", name="Volgende stap").click()
    fien.get_by_role("dialog").get_by_role("button", name="Toch naar de volgende stap").click()
    expect(ayla.locator(".step-name")).to_have_text("Verhelderende vragen")

    # Bram asks two questions; both wait visibly for an answer.
    for text in ("Wat maakt het lastig?", "Hoe reageert je team?"):
        bram.get_by_label("Stel een open vraag").fill(text)
        bram.get_by_role("button", name="Versturen").click()
    for page in (fien, ayla, bram):
        expect(question(page, "Wat maakt het lastig?")).to_contain_text("Nog niet beantwoord")
    # The case bringer has no loose answer box: they answer from the question.
    expect(ayla.locator("#f-answer-text")).to_have_count(0)
    expect(ayla.locator(".answer-how")).to_be_visible()
    expect(bram.get_by_role("button", name="Beantwoorden")).to_have_count(0)
    first = question(ayla, "Wat maakt het lastig?")
    first.get_by_role("button", name="Beantwoorden").click()
    field = first.get_by_label("Jouw antwoord of aanvulling")
    expect(field).to_be_focused()
    field.fill("Dat ik het alleen moet oplossen.")
    first.get_by_role("button", name="Antwoord versturen").click()
    # Focus lands on the sent answer, under its question, for everyone.
    expect(first.locator(".answers .contribution")).to_be_focused()
    for page in (fien, ayla, bram):
        answered = question(page, "Wat maakt het lastig?")
        expect(answered.locator(".answers .contribution")).to_have_text(
            re.compile("Dat ik het alleen moet oplossen.")
        )
        expect(answered).not_to_contain_text("Nog niet beantwoord")
        expect(question(page, "Hoe reageert je team?")).to_contain_text("Nog niet beantwoord")
    expect(bram.locator("[data-region=feed] > ol > .contribution")).to_have_count(
        2
    )  # the answer is no item of its own

    # Marking step, nothing marked yet: asked once, for that reason.
    for person in (ayla, bram):
        person.get_by_role("button", name="Ik ben klaar met deze stap").click()
    expect(fien.locator("#stage").get_by_text("Iedereen is klaar met deze stap.")).to_be_visible()
    fien.get_by_role("button", name="Volgende stap").click()
    expect(fien.get_by_role("dialog")).to_contain_text(
        "De inbrenger heeft in deze stap nog niets gemarkeerd."
    )
    fien.get_by_role("dialog").get_by_role("button", name="Annuleren").click()
    expect(fien.locator(".step-name")).to_have_text("Verhelderende vragen")
    fien.get_by_role("button", name="Volgende stap").click()
    fien.get_by_role("dialog").get_by_role("button", name="Toch naar de volgende stap").click()
    expect(bram.locator(".step-name")).to_have_text("Perspectieven")
    # An earlier step keeps the answer under its question.
    fold = bram.locator(".history-step", has_text="Verhelderende vragen")
    fold.locator("summary").click()
    expect(fold.locator(".answers .contribution")).to_contain_text("Dat ik het alleen moet oplossen.")
    expect(fold).to_contain_text("Nog niet beantwoord")
    # 'Previous step' never asks.
    fien.get_by_role("button", name="Vorige stap").click()
    expect(bram.locator(".step-name")).to_have_text("Verhelderende vragen")


def test_in_english_too(server, pages):
    base = server.url
    fien, code = create(pages, base, locale="en-GB")
    ayla = pages.open(width=375, height=740, locale="en-GB")
    join(ayla, base, code, "Ayla")
    bram = pages.open(width=375, height=740, locale="en-GB")
    join(bram, base, code, "Bram")
    fien.get_by_label("Who brings the case?").select_option(label="Ayla")
    fien.get_by_role("button", name="Start the session").click()
    fien.get_by_role("button", name="Next step").click()
    expect(fien.get_by_role("dialog")).to_contain_text("Only 0 of 2 are done with this step.")
    fien.get_by_role("dialog").get_by_role("button", name="Go to the next step anyway").click()
    fien.get_by_role("button", name="Next step").click()
    fien.get_by_role("dialog").get_by_role("button", name="Go to the next step anyway").click()
    expect(ayla.locator(".step-name")).to_have_text("Clarifying questions")
    bram.get_by_label("Ask an open question").fill("What makes it hard?")
    bram.get_by_role("button", name="Send").click()
    asked = question(ayla, "What makes it hard?")
    expect(asked).to_contain_text("Not answered yet")
    asked.get_by_role("button", name="Answer").click()
    asked.get_by_label("Your answer or addition").fill("Being alone with it.")
    asked.get_by_role("button", name="Send answer").click()
    expect(question(bram, "What makes it hard?").locator(".answers")).to_contain_text("Being alone with it.")
