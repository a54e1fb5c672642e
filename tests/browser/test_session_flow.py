"""A whole session of the default method in the browser, six devices at once.

One facilitator, one case bringer, three participants and one shared screen,
each in its own browser context: joining by code, contributions appearing on
every screen, one timer for all, a reload mid-step, a language switch, and
the facilitator ending the session.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .conftest import join, next_step_anyway, screenshot

pytestmark = pytest.mark.browser

STEP_NAMES = [
    "Inchecken",
    "De casus",
    "Verhelderende vragen",
    "Perspectieven",
    "Mogelijke oorzaken",
    "Oplossingen",
    "Opbrengst en acties",
    "Afsluiting",
]


def feed(page):
    return page.locator("[data-region=feed] .contribution")


def screen_feed(page):
    return page.locator("[data-region=body] .contribution")


def write(page, kind: str, text: str) -> None:
    page.fill(f"#f-{kind}-text", text)
    page.click(f"[data-key=send-{kind}]")


def seconds_left(page) -> int:
    return int(page.locator("#timer").get_attribute("data-seconds"))


def next_step(facilitator, everyone, index: int) -> None:
    next_step_anyway(facilitator)
    for page in everyone:
        expect(page.locator(".step-name")).to_have_text(STEP_NAMES[index])


def test_a_whole_session(server, pages):
    base = server.url

    # The facilitator sets up the session on the start page.
    fien = pages.open(f"{base}/")
    fien.fill("#create-title-input", "Team Oost")
    fien.fill("#create-name", "Fien")
    fien.click("#create-form button[type=submit]")
    fien.wait_for_url(re.compile(r"/s/[A-Z0-9]+/facilitator$"))
    expect(fien.locator(".invite .join-code")).to_be_visible()
    code = fien.locator("#app").get_attribute("data-code")
    expect(fien.locator(".invite img.qr")).to_have_attribute("src", f"/s/{code}/qr.svg")
    screen_link = fien.locator("#screen-link").input_value()
    assert "#key=" in screen_link
    assert "#key=" in fien.locator("#facilitator-link").input_value()
    screenshot(fien, "facilitator-lobby-1280")

    # The shared screen follows with its own link; the key leaves the address bar.
    screen = pages.open(screen_link, width=1920, height=1080)
    expect(screen.locator(".screen-lobby .join-code")).to_be_visible()
    assert "#key" not in screen.url

    # Ayla joins by typing the code on the start page; the others open the link.
    ayla = pages.open(f"{base}/", width=375, height=740)
    ayla.fill("#join-code", code.lower()[:3] + " " + code.lower()[3:])
    ayla.click("#join-form button[type=submit]")
    ayla.wait_for_url(f"{base}/s/{code}")
    ayla.fill("#join-name", "Ayla")
    ayla.get_by_label("Ik ga akkoord met deze afspraken").check()  # the group's confidentiality agreement
    ayla.click(".join-card button[type=submit]")
    expect(ayla.locator("#stage")).to_be_visible()
    bram = pages.open(width=375, height=740)
    join(bram, base, code, "Bram")
    chen = pages.open(width=1280, height=800)
    join(chen, base, code, "Chen")
    daan = pages.open(width=820, height=1000)
    join(daan, base, code, "Daan")
    group = [ayla, bram, chen, daan]
    everyone = [fien, *group, screen]
    expect(screen.locator(".screen-lobby .chip")).to_have_count(5)
    screenshot(screen, "screen-lobby-1920")
    screenshot(bram, "participant-lobby-375")

    # A case bringer is needed before the start.
    expect(fien.locator("[data-key=start]")).to_be_disabled()
    fien.select_option("#case-bringer", label="Ayla")
    expect(ayla.locator(".role-badge")).to_have_text("Jij bent de inbrenger")
    fien.click("[data-key=start]")
    for page in everyone:
        expect(page.locator(".step-name")).to_have_text(STEP_NAMES[0])

    # One timer for everyone, running as the step opens: every screen shows the same second.
    for page in everyone:
        expect(page.locator("#timer")).to_have_attribute("data-state", "running")
    shown = [seconds_left(page) for page in everyone]
    assert max(shown) - min(shown) <= 1, shown
    assert 280 <= min(shown) <= 300

    # 1. Check-in: everyone writes a line; it appears everywhere.
    for page, text in zip(
        group, ["Moe maar blij.", "Goed, druk week.", "Nieuwsgierig.", "Rustig."], strict=True
    ):
        write(page, "checkin", text)
    for page in [fien, *group]:
        expect(feed(page)).to_have_count(4)
    expect(screen_feed(screen)).to_have_count(4)
    expect(screen.locator("[data-region=body]")).to_contain_text("Nieuwsgierig.")
    # The facilitator sees who has not written yet.
    expect(fien.locator(".quiet")).to_have_count(0)
    screenshot(screen, "screen-checkin-1920")

    # 2. The case: only Ayla writes.
    next_step(fien, everyone, 1)
    expect(bram.locator(".others-note")).to_be_visible()
    expect(bram.locator("#f-case-text")).to_have_count(0)
    write(ayla, "case", "Een collega komt steeds te laat op de overdracht. Hoe begin ik dat gesprek?")
    expect(feed(bram)).to_have_count(1)
    expect(screen_feed(screen)).to_have_count(1)

    # 3. Questions: a nudge for a closed question, marks by the case bringer, a reload mid-step.
    next_step(fien, everyone, 2)
    write(bram, "question", "Heb je het al eens tegen haar gezegd?")
    expect(bram.locator(".contribution.mine .nudge")).to_be_visible()
    expect(chen.locator(".nudge")).to_have_count(0)
    write(chen, "question", "Wat gebeurt er bij jou als ze te laat is?")
    expect(feed(ayla)).to_have_count(2)
    warm = ayla.locator(".contribution", has_text="Wat gebeurt er").locator(".mark-button.mark-warm")
    warm.click()
    expect(warm).to_have_attribute("aria-pressed", "true")
    expect(
        chen.locator(".contribution", has_text="Wat gebeurt er").locator(".chip.mark-warm")
    ).to_be_visible()
    # Ayla answers from the question itself; the answer stands under it.
    asked = ayla.locator("[data-region=feed] > ol > .contribution", has_text="Wat gebeurt er")
    asked.get_by_role("button", name="Beantwoorden").click()
    asked.get_by_label("Jouw antwoord of aanvulling").fill("Ik word er onrustig van.")
    asked.get_by_role("button", name="Antwoord versturen").click()
    write(daan, "question", "Hoe reageren de anderen in het team?")
    for page in [fien, *group]:
        expect(feed(page)).to_have_count(4)
    expect(fien.locator(".contribution", has_text="Heb je het al").locator(".flag-note")).to_be_visible()
    screenshot(ayla, "case-bringer-questions-375")
    screenshot(fien, "facilitator-questions-1280")

    chen.reload()
    expect(chen.locator(".step-name")).to_have_text(STEP_NAMES[2])
    expect(feed(chen)).to_have_count(4)
    expect(
        chen.locator(".contribution", has_text="Wat gebeurt er").locator(".chip.mark-warm")
    ).to_be_visible()
    expect(chen.locator(".history-step")).to_have_count(2)
    expect(chen.locator(".join-card")).to_have_count(0)
    write(chen, "question", "Welke afspraken zijn er over de overdracht?")
    expect(feed(fien)).to_have_count(5)
    # Chen is still one person, not a newcomer.
    expect(screen.locator("[data-region=body] .contribution")).to_have_count(5)

    # 4. Perspectives: the case bringer listens.
    next_step(fien, everyone, 3)
    expect(ayla.locator(".listen-note")).to_be_visible()
    expect(ayla.locator("textarea")).to_have_count(0)
    write(daan, "perspective", "Misschien heeft zij thuis een zware zorgtaak.")
    expect(feed(ayla)).to_have_count(1)
    screenshot(ayla, "case-bringer-listens-375")

    # 5. Causes.
    next_step(fien, everyone, 4)
    write(chen, "cause", "Er is geen vaste afspraak over wie de overdracht start.")
    expect(screen_feed(screen)).to_have_count(1)

    # 6. Solutions: the case bringer marks what appeals.
    next_step(fien, everyone, 5)
    write(bram, "solution", "Plan een kort gesprek onder vier ogen.")
    appeals = ayla.locator(".mark-button.mark-appeals")
    appeals.click()
    expect(bram.locator(".chip.mark-appeals")).to_be_visible()
    screenshot(screen, "screen-solutions-1920")

    # 7. Takeaways and actions, with the SMART details.
    next_step(fien, everyone, 6)
    write(ayla, "takeaway", "Ik vul te snel in waarom ze te laat is.")
    ayla.fill("#f-action-text", "Gesprek met mijn collega over de overdracht")
    ayla.fill("#f-action-who", "Ik")
    ayla.fill("#f-action-when", "Vrijdag")
    ayla.fill("#f-action-measure", "Drie weken op tijd")
    ayla.click("[data-key=send-action]")
    action = daan.locator(".contribution.kind-action")
    expect(action).to_contain_text("Vrijdag")
    expect(action).to_contain_text("Drie weken op tijd")
    write(bram, "learned", "Eerst vragen, dan pas denken.")
    screenshot(ayla, "case-bringer-actions-375")

    # Daan switches to English: the page follows at once, and so does the next page load.
    daan.click("[data-lang=en]")
    expect(daan.locator(".step-name")).to_have_text("Takeaways and actions")
    expect(daan.locator("#feed-title")).to_have_text("What the group writes")
    expect(daan.locator("html")).to_have_attribute("lang", "en")
    daan.reload()
    expect(daan.locator(".step-name")).to_have_text("Takeaways and actions")
    expect(daan.locator("html")).to_have_attribute("lang", "en")
    expect(bram.locator(".step-name")).to_have_text("Opbrengst en acties")
    screenshot(daan, "participant-english-820")

    # 8. Close, and the facilitator ends the session (after confirming).
    next_step(fien, [p for p in everyone if p is not daan], 7)
    expect(daan.locator(".step-name")).to_have_text("Close")
    write(bram, "evaluation", "Fijne sessie, dank je.")
    fien.click("[data-key=end-quick]")
    expect(fien.locator("#confirm")).to_be_visible()
    fien.click("#confirm-ok")
    for page in [fien, ayla, bram, chen]:
        expect(page.locator(".step-name")).to_have_text("De sessie is afgelopen")
    expect(daan.locator(".step-name")).to_have_text("The session has ended")
    expect(screen.locator(".step-name")).to_have_text("De sessie is afgelopen")
    # The record stays readable, the actions unfolded.
    expect(bram.locator(".history-step")).to_have_count(8)
    expect(bram.locator(".history-step[open] .contribution.kind-action")).to_be_visible()
    screenshot(bram, "participant-ended-375")
    screenshot(screen, "screen-ended-1920")

    assert pages.hosts == {"127.0.0.1"}, pages.hosts
