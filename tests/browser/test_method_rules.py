"""The new rule types as people meet them in the browser, one test each, acting by labels and roles.

Turned away (the gossip method), revealed together (Socratic), loop back (five-step),
stillness and the per-coach sub-timer (case clinic).
"""

from __future__ import annotations

import re
import shutil

import pytest
from playwright.sync_api import expect

from intervisie.methods import default_directory
from tests.support import MANY_PEOPLE_ONE_ADDRESS, LiveServer

from .conftest import screenshot

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """This module's server: its case clinic gives each coach 10 seconds instead of 60, so a test can
    wait for the turns to pass on. Back-pressure is off: a test machine busy with other work would
    refuse a click as 'busy' (limits.py has its own tests)."""
    folder = tmp_path_factory.mktemp("methods")
    shutil.copytree(default_directory(), folder, dirs_exist_ok=True)
    clinic = folder / "case-clinic.yaml"
    text = clinic.read_text(encoding="utf-8")
    assert text.count("seconds_per_speaker: 60") == 1
    clinic.write_text(text.replace("seconds_per_speaker: 60", "seconds_per_speaker: 10"), encoding="utf-8")
    env = {**MANY_PEOPLE_ONE_ADDRESS, "INTERVISIE_METHODS_DIR": str(folder), "INTERVISIE_BUSY_LAG_MS": "0"}
    live = LiveServer(tmp_path_factory.mktemp("rules"), env=env).start()
    yield live
    live.stop()


def join_by_label(page, base: str, code: str, name: str) -> None:
    page.goto(f"{base}/s/{code}")
    page.get_by_label("Jouw naam").fill(name)
    page.get_by_role("button", name="Meedoen").click()
    expect(page.locator("#stage")).to_be_visible()


def started(server, pages, method_id: str, *names: str):
    """A session of ``method_id`` joined by ``names`` on phones (the first brings the case), started."""
    created = server.create_session(method_id=method_id, title="Team Midden")
    fien = pages.open(created["facilitator_url"])
    expect(fien.locator(".invite")).to_be_visible()
    phones = []
    for name in names:
        page = pages.open(width=375, height=740)
        join_by_label(page, server.url, created["code"], name)
        phones.append(page)
    pick = fien.get_by_label("Wie brengt de casus in?")
    expect(pick.get_by_role("option")).to_have_count(len(names) + 1)  # everyone is in before choosing
    pick.select_option(label=names[0])
    expect(phones[0].get_by_text("Jij bent de inbrenger")).to_be_visible()
    fien.get_by_role("button", name="Start de sessie").click()
    for page in phones:
        expect(page.locator("#stage")).to_be_visible()
    return fien, phones


def go_to(fien, everyone, label: str, name: str) -> None:
    """The facilitator picks a step in the step plan; everyone sees it open."""
    fien.get_by_role("button", name=re.compile(rf"^{re.escape(label)}")).click()
    for page in everyone:
        expect(page.get_by_role("heading", level=1)).to_have_text(name)


def send(page, label: str, text: str) -> None:
    page.get_by_label(label).fill(text)
    page.get_by_role("button", name="Versturen").click()


def test_the_turned_away_case_bringer_sees_the_talk_and_keeps_notes_for_themselves(server, pages):
    fien, (ayla, bram) = started(server, pages, "roddel", "Ayla", "Bram")
    go_to(fien, [fien, ayla, bram], "3. Roddelen", "Roddelen")
    expect(ayla.get_by_text("Jij luistert nu")).to_be_visible()
    expect(ayla.get_by_text("Alleen jij kunt je aantekeningen lezen.", exact=False)).to_be_visible()
    expect(ayla.get_by_label("Hoe ziet een betrokkene het?")).to_have_count(0)
    send(bram, "Hoe ziet een betrokkene het?", "Ik denk dat zij alles alleen wil dragen.")
    expect(ayla.get_by_text("Ik denk dat zij alles alleen wil dragen.", exact=True)).to_be_visible()
    send(ayla, "Aantekening voor jezelf", "Klopt: ik vraag te weinig hulp.")
    note = ayla.get_by_role("listitem").filter(has_text="Klopt: ik vraag te weinig hulp.")
    expect(note).to_contain_text("Alleen jij ziet dit")
    screenshot(ayla, "rules-turned-away-case-bringer-375")
    # Nobody else reads the note, the facilitator neither, not even after a reload.
    bram.reload()
    expect(bram.get_by_text("Ik denk dat zij alles alleen wil dragen.", exact=True)).to_be_visible()
    for page in (fien, bram):
        expect(page.get_by_text("Klopt: ik vraag te weinig hulp.", exact=True)).to_have_count(0)
    ayla.get_by_role("button", name="EN", exact=True).click()
    expect(ayla.get_by_label("A note for yourself")).to_be_visible()
    expect(note).to_contain_text("Only you see this")
    # Turned back in the next step: the case bringer writes for the group again.
    go_to(fien, [fien, bram], "4. Reactie", "Reactie")
    expect(ayla.get_by_role("heading", level=1)).to_have_text("Response")
    expect(ayla.get_by_label("A note for yourself")).to_have_count(0)
    expect(ayla.get_by_label("What do you take away?")).to_be_visible()


def test_questions_written_privately_are_shown_together_by_the_facilitator(server, pages):
    fien, (ayla, bram, chen) = started(server, pages, "socratisch", "Ayla", "Bram", "Chen")
    go_to(fien, [fien, ayla, bram, chen], "2. Vragen schrijven", "Vragen schrijven")
    send(bram, "Stel een open vraag", "Wat wil je zelf bereiken?")
    expect(bram.get_by_text("Wat wil je zelf bereiken?", exact=True)).to_be_visible()
    # Chen and the case bringer only learn that something waits; the facilitator too sees no text.
    for page in (ayla, chen):
        expect(page.get_by_role("status").filter(has_text="1 bijdrage geschreven")).to_be_visible()
        expect(page.get_by_text("Wat wil je zelf bereiken?", exact=True)).to_have_count(0)
    expect(
        fien.get_by_text("1 bijdrage geschreven. Ook jij ziet die pas als je alles toont.")
    ).to_be_visible()
    expect(fien.get_by_text("Wat wil je zelf bereiken?", exact=True)).to_have_count(0)
    expect(
        chen.get_by_text("Nog niets te zien. Wat hier geschreven wordt, blijft verborgen", exact=False)
    ).to_be_visible()
    expect(fien.get_by_text("Nog niets geschreven in deze stap", exact=False)).to_have_count(
        0
    )  # who wrote: unknown
    screenshot(fien, "rules-reveal-facilitator-1280")
    fien.get_by_role("button", name="Toon alles tegelijk").click()
    for page in (fien, ayla, chen):
        expect(page.get_by_text("Wat wil je zelf bereiken?", exact=True)).to_be_visible()
    expect(fien.get_by_text("Alles is getoond.")).to_be_visible()
    fien.get_by_role("button", name="EN", exact=True).click()
    expect(fien.get_by_text("Everything is shown.")).to_be_visible()


def test_the_case_bringer_takes_the_group_back_when_the_core_is_not_clear(server, pages):
    fien, (ayla, bram) = started(server, pages, "vijf-stappen", "Ayla", "Bram")
    go_to(fien, [fien, ayla, bram], "3. De kern", "De kern")
    expect(bram.get_by_role("button", name=re.compile("Terug naar"))).to_have_count(0)
    expect(fien.get_by_role("button", name=re.compile("Terug naar"))).to_have_count(0)
    expect(ayla.get_by_text("Is de kern al helder?")).to_be_visible()
    screenshot(ayla, "rules-loop-back-case-bringer-375")
    ayla.get_by_role("button", name="Terug naar 'Verkennen'").click()
    for page in (fien, ayla, bram):
        expect(page.get_by_role("heading", level=1)).to_have_text("Verkennen")
    expect(bram.get_by_label("Stel een open vraag")).to_be_visible()
    bram.get_by_role("button", name="EN", exact=True).click()
    go_to(fien, [fien, ayla], "3. De kern", "De kern")
    expect(
        bram.get_by_text("The case bringer can go back to the step 'Exploring'", exact=False)
    ).to_be_visible()


def test_a_silence_runs_by_itself_and_each_coach_gets_a_turn_that_passes_on(server, pages):
    fien, (ayla, bram) = started(server, pages, "case-clinic", "Ayla", "Bram")
    go_to(fien, [fien, ayla, bram], "3. Stilte", "Stilte")
    # The session starts timers by hand, yet the silence's time runs; nobody has a field to write in.
    for page in (fien, ayla, bram):
        expect(page.locator("#timer")).to_have_attribute("data-state", "running")
    expect(bram.get_by_text("Laat wat je hoorde even bezinken.", exact=False)).to_be_visible()
    expect(bram.get_by_role("textbox")).to_have_count(0)
    screenshot(bram, "rules-stillness-375")
    go_to(fien, [fien, ayla, bram], "4. Spiegelen", "Spiegelen")
    expect(bram.get_by_text("Om de beurt, elk 10 seconden; de beurt gaat vanzelf door.")).to_be_visible()
    fien.get_by_role("button", name="Start de ronde").click()
    expect(bram.get_by_text("Wacht op je beurt. Nu is Fien aan de beurt.")).to_be_visible()
    # Nobody clicks: after Fien's ten seconds the turn passes to Bram, then the round ends.
    expect(bram.get_by_text("Jij bent aan de beurt.")).to_be_visible(timeout=20_000)
    expect(fien.get_by_text("Aan de beurt: Bram (2 van 2)")).to_be_visible()
    send(bram, "Hoe ziet een betrokkene het?", "Ik zie een brug die nog niet af is.")
    expect(fien.get_by_text("De ronde is nog niet begonnen.")).to_be_visible(timeout=20_000)
    expect(ayla.get_by_text("Ik zie een brug die nog niet af is.", exact=True)).to_be_visible()
