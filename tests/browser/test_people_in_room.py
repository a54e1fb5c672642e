"""The people in the room, as they act (issue 9): waiting for a key person who dropped out, the
co-facilitator taking over and handing back, the case bringer's quiet signal, and a room with one screen."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from tests.support import MANY_PEOPLE_ONE_ADDRESS, LiveServer

from .conftest import screenshot
from .test_quality import serious
from .test_stumbles import started

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    """A server whose grace period is one second, so a dropped person shows as away quickly."""
    # No load shedding (INTERVISIE_BUSY_LAG_MS): on a loaded test machine a lagging loop would refuse a click.
    env = {**MANY_PEOPLE_ONE_ADDRESS, "INTERVISIE_PRESENCE_GRACE_SECONDS": "1", "INTERVISIE_BUSY_LAG_MS": "0"}
    live = LiveServer(tmp_path_factory.mktemp("people"), env=env).start()
    yield live
    live.stop()


def test_the_group_waits_for_the_case_bringer_and_the_co_facilitator_takes_over(quick, pages):
    created, fien, (ayla, bram) = started(quick, pages, "Ayla", "Bram")
    fien.get_by_label("Co-begeleider").select_option(label="Bram")
    fien.get_by_role("button", name="Start de tijd").click()
    expect(bram.locator("#timer")).to_have_attribute("data-state", "running")

    # The case bringer drops out: everyone sees whom the group waits for, and the time stands still.
    ayla.close()
    expect(bram.get_by_role("heading", name="Wachten op Ayla")).to_be_visible(timeout=10_000)
    expect(bram.get_by_text("De tijd staat stil tot ze terug zijn.")).to_be_visible()
    expect(bram.locator("#timer")).to_have_attribute("data-state", "paused")
    expect(bram.locator(".waiting .since")).to_have_text(re.compile(r"^0:0\d$"))
    screenshot(bram, "people-waiting-for-case-bringer-375")
    # Back again: the time runs on by itself.
    ayla = pages.contexts[1].new_page()
    ayla.goto(f"{quick.url}/s/{created['code']}")
    expect(bram.get_by_role("heading", name="Wachten op Ayla")).to_have_count(0)
    expect(bram.locator("#timer")).to_have_attribute("data-state", "running")

    # The facilitator drops out; the co-facilitator takes over with one click, in English.
    fien.close()
    bram.get_by_role("button", name="EN", exact=True).click()
    expect(bram.get_by_role("heading", name="Waiting for Fien")).to_be_visible(timeout=10_000)
    # Only the co-facilitator is offered the lead.
    expect(ayla.get_by_role("button", name="Neem de leiding over")).to_have_count(0)
    screenshot(bram, "people-take-over-375-en")
    bram.get_by_role("button", name="Take over the lead").click()
    expect(bram).to_have_url(re.compile(r"/facilitator$"))
    expect(bram.get_by_role("button", name="Hand the lead back to Fien")).to_be_visible()
    expect(bram.get_by_role("heading", name="Waiting for Fien")).to_have_count(0)
    bram.get_by_role("button", name="Resume").click()
    expect(ayla.locator("#timer")).to_have_attribute("data-state", "running")

    # Fien is back (her browser remembers her) and gets the lead back.
    fien = pages.contexts[0].new_page()
    fien.goto(f"{quick.url}/s/{created['code']}/facilitator")
    expect(fien.locator("#app")).to_have_attribute("data-role", "participant")
    bram.get_by_role("button", name="Hand the lead back to Fien").click()
    expect(fien.locator("#app")).to_have_attribute("data-role", "facilitator")
    expect(fien.get_by_role("button", name="Volgende stap")).to_be_visible()


def test_the_facilitator_goes_on_without_someone_away(quick, pages):
    _created, fien, (ayla, bram) = started(quick, pages, "Ayla", "Bram")
    fien.get_by_role("button", name="Start de tijd").click()
    expect(ayla.locator("#timer")).to_have_attribute("data-state", "running")
    ayla.close()
    expect(fien.get_by_role("heading", name="Wachten op Ayla")).to_be_visible(timeout=10_000)
    screenshot(fien, "people-waiting-facilitator-1280")
    fien.get_by_role("button", name="Ga verder zonder hen").click()
    expect(bram.get_by_role("heading", name="Wachten op Ayla")).to_have_count(0)
    expect(bram.locator("#timer")).to_have_attribute("data-state", "running")


def test_the_case_bringer_signals_only_the_facilitator(quick, pages):
    _created, fien, (ayla, bram) = started(quick, pages, "Ayla", "Bram")
    fien.get_by_role("button", name="Start de tijd").click()
    expect(ayla.locator("#timer")).to_have_attribute("data-state", "running")
    ayla.get_by_text("Seintje aan Fien").click()
    expect(ayla.get_by_text("Alleen de procesbegeleider ziet dit.")).to_be_visible()
    ayla.get_by_label("Zet ook de tijd stil").check()
    ayla.get_by_role("button", name="Wat langzamer").click()
    expect(ayla.get_by_text("Verstuurd: Wat langzamer")).to_be_visible()
    note = fien.locator(".signal-note")  # also read out once through the polite live region
    expect(note.get_by_text("Ayla vraagt: Wat langzamer")).to_be_visible()
    expect(fien.locator("#announcer")).to_have_text("Ayla vraagt: Wat langzamer")
    expect(note.get_by_text("De tijd is stilgezet.")).to_be_visible()
    expect(bram.locator("#timer")).to_have_attribute("data-state", "paused")
    expect(bram.get_by_text("Wat langzamer")).to_have_count(0)  # nobody else reads it
    screenshot(fien, "people-signal-facilitator-1280")
    screenshot(ayla, "people-signal-case-bringer-375")
    # It survives a reload of the facilitator's page; "Seen" tells the case bringer.
    fien.reload()
    expect(note.get_by_text("Ayla vraagt: Wat langzamer")).to_be_visible()
    fien.get_by_role("button", name="Gezien").click()
    expect(note).to_have_count(0)
    expect(ayla.get_by_text("De procesbegeleider heeft je seintje gezien.")).to_be_visible()
    # In English.
    ayla.get_by_role("button", name="EN", exact=True).click()
    fien.get_by_role("button", name="EN", exact=True).click()
    ayla.get_by_role("button", name="This is enough for me").click()
    expect(note.get_by_text("Ayla asks: This is enough for me")).to_be_visible()
    expect(bram.get_by_text("This is enough for me")).to_have_count(0)


def test_one_screen_in_the_room(quick, pages):
    created, fien, (_ayla, bram) = started(quick, pages, "Ayla", "Bram")
    screen = pages.open(created["screen_url"], width=1920, height=1080)
    expect(screen.get_by_role("heading", name="Inchecken")).to_be_visible()
    # Someone without a device says how they are; the facilitator types it in for them.
    form = fien.locator("form.behalf")
    form.get_by_label("Naam").fill("Joke")
    form.get_by_label("Tekst").fill("Blij dat ik er ben.")
    form.get_by_role("button", name="Toevoegen namens deze persoon").click()
    expect(form.get_by_text("Toegevoegd namens Joke.")).to_be_visible()
    item = bram.locator(".contribution", has_text="Blij dat ik er ben.")
    expect(item.get_by_text("Joke", exact=True)).to_be_visible()
    expect(item.get_by_text("ingevoerd door Fien")).to_be_visible()
    # The facilitator puts it large on the screen, with the step's instructions.
    mine = fien.locator(".contribution", has_text="Blij dat ik er ben.")
    mine.get_by_role("button", name="Groot op scherm").click()
    spotlight = screen.get_by_role("region", name="Uitgelicht")
    expect(spotlight.get_by_text("Blij dat ik er ben.")).to_be_visible()
    fien.get_by_label("Toon de uitleg van deze stap").check()
    expect(screen.get_by_role("heading", name="Wat doen we nu?")).to_be_visible()
    screenshot(screen, "people-spotlight-screen-1920")
    screenshot(fien, "people-on-behalf-facilitator-1280")
    fien.get_by_role("button", name="Haal het uitgelichte weg").click()
    expect(spotlight).to_have_count(0)
    screen.reload()
    expect(screen.get_by_role("heading", name="Wat doen we nu?")).to_be_visible()  # kept on the server


def test_no_serious_accessibility_problems_in_the_new_parts(quick, pages, axe_script):
    """Waiting, the signal (sent and received), the forms for the room and the spotlight, nl and en."""
    look = {"bypass_csp": True, "reduced_motion": "reduce"}
    created, fien, (ayla, bram) = started(quick, pages, "Ayla", "Bram", **look)
    screen = pages.open(created["screen_url"], width=1920, height=1080, **look)
    fien.get_by_label("Co-begeleider").select_option(label="Bram")
    fien.get_by_role("button", name="Start de tijd").click()
    expect(ayla.locator("#timer")).to_have_attribute("data-state", "running")
    ayla.get_by_text("Seintje aan Fien").click()
    ayla.get_by_role("button", name="Even pauze graag").click()
    expect(fien.locator(".signal-note")).to_be_visible()
    form = fien.locator("form.behalf")
    form.get_by_label("Naam").fill("Joke")
    form.get_by_label("Tekst").fill("Goed.")
    form.get_by_role("button", name="Toevoegen namens deze persoon").click()
    fien.locator(".contribution", has_text="Goed.").get_by_role("button", name="Groot op scherm").click()
    fien.get_by_label("Toon de uitleg van deze stap").check()
    expect(screen.get_by_role("region", name="Uitgelicht")).to_be_visible()
    ayla.close()
    expect(bram.get_by_role("heading", name="Wachten op Ayla")).to_be_visible(timeout=10_000)
    views = {"facilitator": fien, "participant": bram, "screen": screen}
    for lang in ("NL", "EN"):
        for page in views.values():
            page.get_by_role("button", name=lang, exact=True).click()
        found = {name: serious(page, axe_script) for name, page in views.items()}
        assert not any(found.values()), json.dumps(found, indent=1)
    signaller = pages.contexts[1].new_page()  # the case bringer back, their signal panel open
    signaller.goto(f"{quick.url}/s/{created['code']}")
    signaller.get_by_text("Seintje aan Fien").click()
    assert not serious(signaller, axe_script)
