"""Question cards in the browser: the manager method with its coachkwadrant deck.

A facilitator, a case bringer, three participants and a shared screen, each in
its own browser context: hands dealt when the card step opens, a card asked as
it stands, one in the player's own words, an extra card drawn from a chosen
quadrant, the case bringer marking what helped, the facilitator's card tools,
the shared screen's board, the quadrant balance in the reflection step, and
axe-core on the card views.
"""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter

import pytest
from playwright.sync_api import expect

from tests.support import ROOT, LiveServer

from .conftest import join, next_step_anyway, screenshot
from .test_quality import serious

pytestmark = pytest.mark.browser

CARD_STEP = "Vragenrondes met kaarten"
REFLECTION_STEP = "Terugblik op de kwadranten"
QUADRANTS = {
    "verhelderen": "Verhelderen",
    "verdiepen": "Verdiepen",
    "confronteren": "Confronteren",
    "verbreden": "Verbreden",
}


def hand(page):
    return page.locator(".hand .play-card")


def feed(page):
    return page.locator("[data-region=feed] .contribution")


def balance_row(page, quadrant: str):
    """The numbers of one quadrant in the balance's text alternative: [asked, helped]."""
    row = page.locator(".balance table tbody tr", has=page.locator("th", has_text=quadrant))
    return [int(x) for x in row.locator("td").all_inner_texts()[1:]]


def csp_problems(pages) -> list[str]:
    return [m for m in pages.console_errors if "Content Security Policy" in m]


def test_a_round_of_question_cards(server, pages, axe_script):
    created = server.create_session(method_id="manager-coachkwadrant", title="Managers Oost")
    code = created["code"]
    # bypass_csp only where axe is injected; the other pages keep the CSP and must not break it.
    axe = {"bypass_csp": True, "reduced_motion": "reduce"}
    fien = pages.open(created["facilitator_url"], **axe)
    expect(fien.locator(".invite")).to_be_visible()
    screen = pages.open(created["screen_url"], width=1920, height=1080)
    ayla = pages.open(width=375, height=740)
    join(ayla, server.url, code, "Ayla")
    bram = pages.open(width=375, height=740)
    join(bram, server.url, code, "Bram")
    chen = pages.open(width=1280, height=900, **axe)
    join(chen, server.url, code, "Chen")
    daan = pages.open(width=820, height=1000)
    join(daan, server.url, code, "Daan")
    players = [fien, bram, chen, daan]
    everyone = [fien, ayla, bram, chen, daan, screen]

    fien.select_option("#case-bringer", label="Ayla")
    fien.click("[data-key=start]")
    for _ in range(3):
        next_step_anyway(fien)
    for page in everyone:
        expect(page.locator(".step-name")).to_have_text(CARD_STEP)

    # Every player holds three cards; the case bringer holds none and answers instead.
    for page in players:
        expect(hand(page)).to_have_count(3)
        expect(page.locator("#f-question-text")).to_have_count(0)  # asking goes by the cards
    expect(ayla.locator(".hand")).to_have_count(0)
    expect(ayla.locator(".cards-note")).to_be_visible()
    expect(ayla.locator(".answer-how")).to_be_visible()  # the case bringer answers from a question
    expect(fien.locator(".cards-tools .pile")).to_have_text("Op de stapel: 41")
    expect(fien.locator(".cards-tools .hands li")).to_have_count(4)
    expect(screen.locator(".cards-board .board-cell")).to_have_count(4)

    # Bram asks the first card as it stands: it is a question with its quadrant, for everyone.
    first = hand(bram).first
    bram_q = first.get_attribute("data-quadrant")
    bram_text = first.locator(".card-text").inner_text()
    first.get_by_role("button", name="Stel deze vraag").click()
    for page in [fien, ayla, chen, daan]:
        expect(feed(page)).to_have_count(1)
    asked = ayla.locator(".contribution", has_text=bram_text)
    expect(asked.locator(".q-tag")).to_have_text(f"Kwadrant: {QUADRANTS[bram_q]}")
    expect(hand(bram)).to_have_count(3)  # topped up from the pile
    expect(hand(bram).locator(".card-text", has_text=bram_text)).to_have_count(0)

    # Chen asks one in her own words; her draft and focus survive her hand changing meanwhile.
    card = hand(chen).first
    chen_q = card.get_attribute("data-quadrant")
    card.get_by_role("button", name="In eigen woorden").click()
    field = chen.locator(".own-form textarea")
    expect(field).to_be_focused()
    field.fill("Wat maakt dit gesprek voor jou zo lastig")
    asked.get_by_role("button", name="Beantwoorden").click()
    asked.get_by_label("Jouw antwoord of aanvulling").fill("Ik weet niet waar ik moet beginnen.")
    asked.get_by_role("button", name="Antwoord versturen").click()
    expect(feed(chen)).to_have_count(2)
    fien.click("[data-key=cards-more]")
    fien.select_option("#give-to", label="Chen")
    fien.click("[data-key=give]")
    expect(hand(chen)).to_have_count(4)
    expect(field).to_be_focused()
    field.press("End")
    field.press_sequentially("?")
    expect(field).to_have_value("Wat maakt dit gesprek voor jou zo lastig?")
    chen.get_by_role("button", name="Stel mijn versie").click()
    own = "Wat maakt dit gesprek voor jou zo lastig?"
    expect(daan.locator(".contribution", has_text=own).locator(".q-tag")).to_contain_text(QUADRANTS[chen_q])
    expect(chen.locator(".own-form")).to_have_count(0)

    # Daan takes an extra card from the quadrant he is missing, then asks it.
    daan.click("[data-key='draw:verdiepen']")
    expect(hand(daan)).to_have_count(4)
    expect(daan.locator(".draw")).to_have_count(0)  # one extra card at most
    drawn_card = hand(daan).last
    expect(drawn_card).to_have_attribute("data-quadrant", "verdiepen")
    drawn = drawn_card.get_by_role("button", name="Stel deze vraag")
    expect(drawn).to_be_focused()
    daan_text = drawn_card.locator(".card-text").inner_text()
    drawn.click()
    expect(feed(fien)).to_have_count(4)
    expect(hand(daan)).to_have_count(3)

    # The case bringer marks the question that opened something; everyone sees it.
    helped = ayla.locator(".contribution", has_text=own).locator(".mark-button.mark-helped")
    helped.click()
    expect(helped).to_have_attribute("aria-pressed", "true")
    expect(bram.locator(".contribution", has_text=own).locator(".chip.mark-helped")).to_be_visible()

    # The shared screen: the model with the questions asked so far, each in its quadrant.
    cell = screen.locator(f".board-cell[data-quadrant={chen_q}]")
    expect(cell.locator(".board-list li", has_text=own).locator(".chip.mark-helped")).to_be_visible()
    expect(screen.locator(".board-cell[data-quadrant=verdiepen] .board-list")).to_contain_text(daan_text)
    expect(screen.locator(f".board-cell[data-quadrant={bram_q}] .board-list")).to_contain_text(bram_text)
    expect(screen.locator(".board-label.board-col")).to_have_text(["FocusDe situatie", "FocusDe persoon"])
    screenshot(screen, "screen-cards-1920")
    screenshot(bram, "participant-cards-375")
    screenshot(ayla, "case-bringer-cards-375")

    # The facilitator's balance follows live; the facilitator gives Bram a card and focuses a round.
    counts = Counter([bram_q, chen_q, "verdiepen"])
    for quadrant, name in QUADRANTS.items():
        tally = f"Gesteld: {counts[quadrant]} · Hielp: {int(quadrant == chen_q)}"
        expect(fien.locator(".tally li", has_text=name)).to_contain_text(tally)
    fien.click("[data-key=balance-side]")
    expect(fien.locator(".cards-side .balance svg.quadrant-diagram")).to_be_visible()
    expect(fien.locator(".cards-side .balance table caption")).to_have_text(
        "Vragen per kwadrant: De hele groep"
    )
    fien.select_option("#give-to", label="Bram")
    fien.select_option("#give-from", label="Verbreden")
    fien.click("[data-key=give]")
    expect(hand(bram)).to_have_count(4)
    expect(hand(bram).last).to_have_attribute("data-quadrant", "verbreden")
    expect(fien.locator(".cards-tools .hands li", has_text="Bram")).to_have_text("Bram: 4")
    fien.click("[data-key='focus:confronteren']")
    fien.click("#confirm-ok")
    expect(fien.locator("[data-key='focus:confronteren']")).to_have_attribute("aria-pressed", "true")
    for page in players:
        expect(hand(page)).to_have_count(3)
        expect(page.locator(".hand .play-card:not([data-quadrant=confronteren])")).to_have_count(0)
    expect(bram.locator(".focus-note")).to_contain_text("Confronteren")
    fien.click("[data-key='focus:all']")
    fien.click("#confirm-ok")
    expect(fien.locator("[data-key='focus:all']")).to_have_attribute("aria-pressed", "true")
    # Topping up and reshuffling: a double click acts once (a second would be refused as stale).
    fien.dblclick("[data-key=deal]")
    expect(fien.locator(".cards-tools .done-note")).to_have_text("De handen zijn aangevuld.")
    fien.click("[data-key=reshuffle]")
    fien.click("#confirm-ok")
    expect(fien.locator(".cards-tools .done-note")).to_have_text("Geschud en opnieuw gedeeld.")
    for page in players:
        expect(hand(page)).to_have_count(3)
    expect(fien.locator("#toast")).to_be_hidden()

    # A turn-order round: only the speaker can play.
    fien.click("[data-key=turn]")
    expect(bram.locator(".hand-card .turn-note")).to_contain_text("Fien")
    expect(hand(bram).first.get_by_role("button", name="Stel deze vraag")).to_be_disabled()
    expect(fien.locator(".hand-card .turn-note")).to_have_text("Jij bent aan de beurt.")
    screenshot(fien, "facilitator-cards-1280")
    screenshot(chen, "participant-cards-1280")

    found = {"player": serious(chen, axe_script), "facilitator": serious(fien, axe_script)}

    # The reflection step: the balance for the group and per person, for everyone and on the screen.
    next_step_anyway(fien)
    for page in everyone:
        expect(page.locator(".step-name")).to_have_text(REFLECTION_STEP)
    for page in [bram, chen]:
        expect(page.locator(".cards-region .balance svg.quadrant-diagram")).to_be_visible()
    group = {q: balance_row(chen, name) for q, name in QUADRANTS.items()}
    assert group == {q: [counts[q], int(q == chen_q)] for q in QUADRANTS}, group
    chen.select_option("#balance-who-main", label="Daan")
    expect(chen.locator(".balance table caption")).to_have_text("Vragen per kwadrant: Daan")
    assert balance_row(chen, "Verdiepen") == [1, 0]
    expect(chen.locator(".asked-list li")).to_have_count(1)
    chen.select_option("#balance-who-main", label="De hele groep")
    expect(chen.locator(".asked-list li")).to_have_count(3)
    expect(screen.locator(".screen-reflect svg.quadrant-diagram")).to_be_visible()
    found["reflection"] = serious(chen, axe_script)
    screenshot(chen, "reflection-1280")
    screenshot(bram, "reflection-375")
    screenshot(screen, "screen-reflection-1920")

    assert not any(found.values()), json.dumps(found, indent=1)
    assert not csp_problems(pages), csp_problems(pages)


def test_choosing_another_deck_on_the_start_page(browser, pages, tmp_path):
    # A second deck next to the shipped one: the start page lets the creator choose.
    library = tmp_path / "methods"
    shutil.copytree(ROOT / "methods", library)
    text = (library / "decks" / "coachkwadrant.yaml").read_text()
    text = text.replace("id: coachkwadrant", "id: teamvragen", 1)
    text = text.replace("nl: Coachkwadrant", "nl: Teamvragen", 1).replace(
        "en: Coaching quadrant", "en: Team questions", 1
    )
    (library / "decks" / "teamvragen.yaml").write_text(text)
    live = LiveServer(tmp_path / "instance", env={"INTERVISIE_METHODS_DIR": str(library)}).start()
    try:
        start = pages.open(f"{live.url}/")
        decks = start.locator("#decks")
        expect(decks).to_be_hidden()  # the default method has no cards
        start.check("#method-manager-coachkwadrant")
        expect(decks).to_be_visible()
        expect(start.locator("#deck-coachkwadrant")).to_be_checked()
        start.check("#deck-teamvragen")
        screenshot(start, "start-decks-1280")
        start.fill("#create-name", "Fien")
        with start.expect_request(re.compile(r"/api/sessions$")) as sent:
            start.click("#create-form button[type=submit]")
        assert sent.value.post_data_json["deck_id"] == "teamvragen"
        start.wait_for_url(re.compile(r"/s/[A-Z0-9]+/facilitator$"))
        expect(start.locator(".invite")).to_be_visible()
        # Back to a method without cards: no deck is sent.
        again = pages.open(f"{live.url}/")
        again.check("#method-manager-coachkwadrant")
        again.check("#method-vijf-fasen")
        expect(again.locator("#decks")).to_be_hidden()
        again.fill("#create-name", "Bas")
        with again.expect_request(re.compile(r"/api/sessions$")) as sent:
            again.click("#create-form button[type=submit]")
        assert "deck_id" not in sent.value.post_data_json
        again.wait_for_url(re.compile(r"/s/[A-Z0-9]+/facilitator$"))
        expect(again.locator(".invite")).to_be_visible()
    finally:
        live.stop()
