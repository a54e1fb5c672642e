"""Accessibility (axe-core), the first-load budget, and no requests to other hosts."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from .conftest import ARTIFACTS, join, next_step_anyway, screenshot

pytestmark = pytest.mark.browser

BUDGET_BYTES = 150 * 1024

# Also WCAG 2.5.3 (label in name): a control's accessible name holds the text it shows. axe
# keeps that rule among its experimental ones, off unless asked for.
AXE_RUN = """() => axe.run(document, {
  resultTypes: ['violations'], rules: {'label-content-name-mismatch': {enabled: true}},
}).then(r => r.violations.map(v => ({
  id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))
})))"""


def running_session(server, pages, **open_args):
    """A started session: facilitator, case bringer Ayla, participant Bram, a screen; some writing done."""
    created = server.create_session(title="Team West")
    fien = pages.open(created["facilitator_url"], **open_args)
    expect(fien.locator(".invite")).to_be_visible()
    ayla = pages.open(width=375, height=740, **open_args)
    join(ayla, server.url, created["code"], "Ayla")
    bram = pages.open(width=375, height=740, **open_args)
    join(bram, server.url, created["code"], "Bram")
    screen = pages.open(created["screen_url"], width=1280, height=720, **open_args)
    expect(screen.locator(".screen-lobby")).to_be_visible()
    fien.select_option("#case-bringer", label="Ayla")
    expect(fien.locator("[data-key=start]")).to_be_enabled()
    fien.click("[data-key=start]")
    next_step_anyway(fien)
    next_step_anyway(fien)
    expect(bram.locator(".step-name")).to_have_text("Verhelderende vragen")
    fien.click("[data-key=timer-start]")
    bram.fill("#f-question-text", "Heb je het al gezegd?")
    bram.click("[data-key=send-question]")
    bram.fill("#f-question-text", "Wat maakt het lastig?")
    bram.click("[data-key=send-question]")
    expect(ayla.locator("[data-region=feed] .contribution")).to_have_count(2)
    ayla.locator(".mark-button.mark-warm").first.click()
    expect(screen.locator(".contribution")).to_have_count(2)
    return created, {"facilitator": fien, "case-bringer": ayla, "participant": bram, "screen": screen}


def serious(page, axe_script) -> list[dict]:
    page.add_script_tag(path=str(axe_script))
    return [v for v in page.evaluate(AXE_RUN) if v["impact"] in ("serious", "critical")]


def test_no_serious_accessibility_problems(server, pages, axe_script):
    # bypass_csp only so axe can be injected; reduced motion so nothing is caught mid-fade.
    created, views = running_session(server, pages, bypass_csp=True, reduced_motion="reduce")
    start = pages.open(f"{server.url}/", bypass_csp=True, reduced_motion="reduce")
    gate = pages.open(
        f"{server.url}/s/{created['code']}", width=375, bypass_csp=True, reduced_motion="reduce"
    )
    expect(gate.locator("#join-name")).to_be_visible()
    missing = pages.open(f"{server.url}/s/ZZZZZZ", width=375, bypass_csp=True, reduced_motion="reduce")
    expect(missing.locator("h1")).to_have_text("Deze sessie bestaat niet (meer)")
    for name, page in {**views, "not-found": missing}.items():
        screenshot(page, f"{name}-running" if name in views else name)
    found = {
        name: serious(page, axe_script)
        for name, page in {"start": start, "join": gate, "not-found": missing, **views}.items()
    }
    assert not any(found.values()), json.dumps(found, indent=1)


def test_participant_first_load_is_within_budget(server, pages):
    created = server.create_session()
    page = pages.open(width=375, height=740)
    sizes = []
    frames = []
    page.on("requestfinished", lambda request: sizes.append((request.url, request.sizes())))
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(len(payload))))
    join(page, server.url, created["code"], "Ayla")
    expect(page.locator(".step-name")).to_be_visible()
    page.wait_for_load_state("networkidle")
    http = sum(s["responseBodySize"] + s["responseHeadersSize"] for _, s in sizes)
    live = sum(frames)
    report = "\n".join(f"{s['responseBodySize'] + s['responseHeadersSize']:>8}  {url}" for url, s in sizes)
    report += f"\n{http:>8}  HTTP responses (headers + bodies)\n{live:>8}  WebSocket frames received\n"
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "budget.txt").write_text(report)
    print(f"participant first load: {http / 1024:.1f} KiB over HTTP + {live / 1024:.1f} KiB of live data")
    # The budget counts the responses; the live data is mostly the server's snapshot of the session.
    assert http < BUDGET_BYTES, report
    assert http + live < BUDGET_BYTES + 16 * 1024, report


def test_no_request_leaves_the_server(server, pages):
    running_session(server, pages)
    start = pages.open(f"{server.url}/")
    # The start page switches language by reloading, and remembers it.
    start.click("[data-lang=en]")
    expect(start.locator("#create-title")).to_have_text("Start a new session")
    start.reload()
    expect(start.locator("html")).to_have_attribute("lang", "en")
    assert pages.hosts == {"127.0.0.1"}, pages.hosts


# Long words in people's own text: names, the title, a case and a question, 40 characters each.
LONG = {
    "title": "Kwaliteitsverbeteringsprojectmedewerkers",
    "facilitator": "Gemeenschapsvoorzieningencoördinatorteam",
    "person": "Bewonersparticipatietrajectbegeleidingen",
}


# The elements that reach past the window's edge, to say what is too wide.
OVERFLOWING = """(width) => [...document.querySelectorAll('body *')]
  .filter((el) => el.getBoundingClientRect().right > width + 1 && !el.closest('.visually-hidden'))
  .slice(0, 8)
  .map((el) => `${el.tagName.toLowerCase()}.${el.getAttribute('class') || ''} ${Math.round(el.getBoundingClientRect().right)}`)"""


def assert_fits(views: dict, width: int, when: str) -> None:
    """No view scrolls sideways: its page is no wider than the window."""
    wide = {}
    for name, page in views.items():
        scroll = page.evaluate("document.documentElement.scrollWidth")
        if scroll > width:
            wide[name] = [scroll, page.evaluate(OVERFLOWING, width)]
            screenshot(page, f"too-wide-{when}-{name}-{width}")
    assert not wide, f"{when}: wider than {width} px: {wide}"


def test_long_words_wrap_on_a_320_px_phone(server, pages):
    created = server.create_session(name=LONG["facilitator"], title=LONG["title"])
    phone = {"width": 320, "height": 640}
    fien = pages.open(created["facilitator_url"], **phone)
    ayla = pages.open(**phone)
    join(ayla, server.url, created["code"], LONG["person"])
    bram = pages.open(**phone)
    join(bram, server.url, created["code"], "Bram")
    screen = pages.open(created["screen_url"], **phone)
    views = {"facilitator": fien, "case-bringer": ayla, "participant": bram, "screen": screen}

    # The lobby: the people lists, the case bringer choice, the screen's list of names.
    expect(screen.locator(".screen-lobby .chip")).to_have_count(3)
    expect(bram.locator(".people .person")).to_have_count(3)
    expect(fien.locator("#case-bringer option")).to_have_count(3)
    assert_fits(views, 320, "lobby")

    # A case and a question with a long word, on every view.
    fien.select_option("#case-bringer", label=LONG["person"])
    fien.click("[data-key=start]")
    expect(bram.locator(".step-name")).to_have_text("Inchecken")
    next_step_anyway(fien)
    expect(ayla.locator("#f-case-text")).to_be_visible()
    ayla.fill("#f-case-text", f"Het gaat over {LONG['title']} en hun overdracht.")
    ayla.click("[data-key=send-case]")
    expect(screen.locator(".contribution")).to_have_count(1)
    next_step_anyway(fien)
    expect(bram.locator("#f-question-text")).to_be_visible()
    bram.fill("#f-question-text", f"Wat betekent {LONG['facilitator']} voor jou?")
    bram.click("[data-key=send-question]")
    for page in views.values():
        expect(
            page.locator("[data-region=feed] .contribution, [data-region=body] .contribution")
        ).to_have_count(1)
    fien.evaluate("document.querySelectorAll('.history details').forEach((d) => (d.open = true))")
    assert_fits(views, 320, "running")

    # The end: the record view, with everything folded out.
    fien.click("[data-key=end]")
    fien.click("#confirm-ok")
    expect(ayla.locator(".step-name")).to_have_text("De sessie is afgelopen")
    expect(fien.locator(".record-card")).to_be_visible()
    for page in (fien, ayla):
        page.evaluate("document.querySelectorAll('.history details').forEach((d) => (d.open = true))")
    assert_fits(views, 320, "ended")


def test_long_words_wrap_in_a_card_session_on_a_320_px_phone(server, pages):
    created = server.create_session(
        method_id="manager-coachkwadrant", name=LONG["facilitator"], title=LONG["title"]
    )
    phone = {"width": 320, "height": 640}
    fien = pages.open(created["facilitator_url"], **phone)
    ayla = pages.open(**phone)
    join(ayla, server.url, created["code"], "Ayla")
    bram = pages.open(**phone)
    join(bram, server.url, created["code"], LONG["person"])
    screen = pages.open(created["screen_url"], **phone)
    fien.select_option("#case-bringer", label="Ayla")
    fien.click("[data-key=start]")
    for _ in range(3):
        next_step_anyway(fien)
    expect(bram.locator(".hand .play-card")).to_have_count(3)
    bram.locator(".hand .play-card").first.get_by_role("button", name="In eigen woorden").click()
    bram.locator(".own-form textarea").fill(f"Wat vraagt {LONG['title']} van jou?")
    bram.get_by_role("button", name="Stel mijn versie").click()
    expect(screen.locator(".board-list li")).to_have_count(1)
    fien.click("[data-key=cards-more]")
    fien.click("[data-key=balance-side]")
    assert_fits({"facilitator": fien, "player": bram, "case-bringer": ayla, "screen": screen}, 320, "cards")
    next_step_anyway(fien)
    expect(bram.locator(".cards-region .balance")).to_be_visible()
    bram.select_option(".cards-region .balance select", label=f"{LONG['person']} (jij)")
    assert_fits({"facilitator": fien, "player": bram, "screen": screen}, 320, "balance")
