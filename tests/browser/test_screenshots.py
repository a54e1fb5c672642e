"""Screenshots of every step of the default method, for review, as the three kinds of screen show it.

The facilitator on a laptop (1280x800), a participant on a phone (375x740) and the projector
(1920x1080) walk a whole session with something written in each step; each view is saved per step
under tests/browser/screenshots/ (not kept in git) and may never scroll sideways.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from .conftest import join, next_step_anyway

pytestmark = [pytest.mark.browser, pytest.mark.screenshots]

SHOTS = Path(__file__).parent / "screenshots"
SIZES = {"facilitator": (1280, 800), "phone": (375, 740), "screen": (1920, 1080)}
# What each step gets written, by whom: (writer, field kind, text); "answer" answers the first question.
WRITING = [
    [("bram", "checkin", "Goed, met zin in vandaag."), ("ayla", "checkin", "Moe maar nieuwsgierig.")],
    [("ayla", "case", "Een collega komt steeds te laat bij de overdracht. Hoe begin ik dat gesprek?")],
    [
        ("bram", "question", "Wat gebeurt er bij jou als ze te laat is?"),
        ("bram", "question", "Wie merkt het nog meer?"),
    ],
    [("bram", "perspective", "Zij heeft misschien thuis een zware zorgtaak.")],
    [("bram", "cause", "Er is geen vaste afspraak over wie de overdracht start.")],
    [("bram", "solution", "Plan een kort gesprek onder vier ogen.")],
    [
        ("ayla", "takeaway", "Ik vul te snel in waarom ze te laat is."),
        ("bram", "learned", "Eerst vragen, dan denken."),
    ],
    [("bram", "evaluation", "Fijne sessie.")],
]


def sideways(page) -> int:
    """How many pixels the page is wider than its window (0: it fits)."""
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def test_every_step_on_every_screen(server, pages):
    SHOTS.mkdir(exist_ok=True)
    created = server.create_session(title="Team Oost")
    fien = pages.open(created["facilitator_url"], width=1280, height=800)
    ayla = pages.open(width=375, height=740)
    join(ayla, server.url, created["code"], "Ayla")
    bram = pages.open(width=375, height=740)
    join(bram, server.url, created["code"], "Bram")
    screen = pages.open(created["screen_url"], width=1920, height=1080)
    writers = {"ayla": ayla, "bram": bram}
    views = {"facilitator": fien, "phone": bram, "screen": screen}
    fien.select_option("#case-bringer", label="Ayla")
    fien.click("[data-key=start]")
    wide = {}
    for index, writing in enumerate(WRITING):
        if index:
            next_step_anyway(fien)
        for page in views.values():
            expect(page.locator(".step-count")).to_have_text(f"Stap {index + 1} van {len(WRITING)}")
        for who, kind, text in writing:
            writers[who].fill(f"#f-{kind}-text", text)
            writers[who].click(f"[data-key=send-{kind}]")
            expect(screen.locator("[data-region=body]")).to_contain_text(text[:20])
        if index == 2:  # the case bringer answers a question from the question itself
            asked = ayla.locator("[data-region=feed] > ol > .contribution", has_text="Wat gebeurt er")
            asked.get_by_role("button", name="Beantwoorden").click()
            asked.get_by_label("Jouw antwoord of aanvulling").fill("Ik word er onrustig van.")
            asked.get_by_role("button", name="Antwoord versturen").click()
            expect(screen.locator(".answers")).to_contain_text("Ik word er onrustig van.")
        for name, page in views.items():
            width, height = SIZES[name]
            page.screenshot(path=str(SHOTS / f"step{index + 1}-{name}-{width}x{height}.png"), full_page=True)
            if sideways(page) > 0:
                wide[f"step {index + 1} {name}"] = sideways(page)
    assert not wide, f"pages wider than their window (px): {wide}"
    assert len(list(SHOTS.glob("step*-*.png"))) >= len(WRITING) * len(views)
