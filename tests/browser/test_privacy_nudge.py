"""The privacy guard's nudge as people meet it while typing, with the real guard (deduce) running.

The case bringer writes a client's name, phone number and e-mail address into the case; the
nudge under the field names each, one click puts "cliënt A" in place of the name, names of
people in the session are left alone, and the text can be sent anyway. A participant's question
with a BSN gets the same nudge.
"""

from __future__ import annotations

import time

import pytest
import socketio
from playwright.sync_api import expect

from tests.support import MANY_PEOPLE_ONE_ADDRESS, LiveServer

from .conftest import screenshot

pytestmark = pytest.mark.browser
# The guard's process loads deduce's tables: seconds on a quiet machine, a minute or more on a busy one.
GUARD_LOAD_S = 150
PATIENT_MS = 30_000

TEXTS = {
    "nl": {
        "locale": "nl-NL",
        "name": "Jouw naam",
        "join": "Meedoen",
        "who": "Wie brengt de casus in?",
        "start": "Start de sessie",
        "case_step": "2. De casus",
        "question_step": "3. Verhelderende vragen",
        "case_field": "Beschrijf de situatie",
        "question_field": "Stel een open vraag",
        "send": "Versturen",
        "case": (
            "Gisteren belde Pieter de Groot me op 06-12345678 en daarna mailde hij naar "
            "pieter.degroot@example.nl. Bram en Fien weten ervan. Wat moet ik doen?"
        ),
        "client": "Pieter de Groot",
        "phone": "06-12345678",
        "email": "pieter.degroot@example.nl",
        "replacement": "cliënt A",
        "question": "Wat deed je toen je het BSN 111222333 in het dossier zag?",
        "title": "Gegevens van iemand buiten de groep?",
        "found": {
            "name": "Een naam: ‘Pieter de Groot’",
            "phone": "Een telefoonnummer: ‘06-12345678’",
            "email": "Een e-mailadres: ‘pieter.degroot@example.nl’",
            "bsn": "Een BSN: ‘111222333’",
        },
        "replace": "Vervang door ‘cliënt A’",
    },
    "en": {
        "locale": "en-GB",
        "name": "Your name",
        "join": "Join",
        "who": "Who brings the case?",
        "start": "Start the session",
        "case_step": "2. The case",
        "question_step": "3. Clarifying questions",
        "case_field": "Describe the situation",
        "question_field": "Ask an open question",
        "send": "Send",
        "case": (
            "When Peter Jansen called me yesterday from 020 7946 0958, he also emailed me at "
            "p.jansen@example.com. Bram and Fien know about it. What should I do?"
        ),
        "client": "Peter Jansen",  # not "When Peter Jansen": the word opening the sentence stays
        "phone": "020 7946 0958",
        "email": "p.jansen@example.com",
        "replacement": "client A",
        "question": "What did you do when you saw BSN 111222333 in the file?",
        "title": "Details of someone outside the group?",
        "found": {
            "name": "A name: ‘Peter Jansen’",
            "phone": "A phone number: ‘020 7946 0958’",
            "email": "An e-mail address: ‘p.jansen@example.com’",
            "bsn": "A citizen service number (BSN): ‘111222333’",
        },
        "replace": "Replace with ‘client A’",
    },
}


def wait_for_the_guard(live: LiveServer) -> None:
    """Ask ``writing:check`` as a joined person until the guard flags a name (at most GUARD_LOAD_S)."""
    created = live.create_session(title="Wachtkamer")
    io = socketio.Client(reconnection=False)
    io.connect(live.url, transports=["websocket"], wait_timeout=10)
    try:
        assert io.call("session:join", {"code": created["code"], "name": "Sem"}, timeout=10)["ok"]
        deadline = time.monotonic() + GUARD_LOAD_S
        while time.monotonic() < deadline:
            ack = io.call("writing:check", {"text": "Ik belde mevrouw Jansen.", "kind": "case"}, timeout=30)
            if ack.get("privacy"):
                return
            time.sleep(1.5)  # under the 60 checks a minute a connection may ask
    finally:
        io.disconnect()
    log = live.log.read_text(errors="replace")[-3000:]
    pytest.fail(f"the privacy guard did not flag a name within {GUARD_LOAD_S} s\n--- server log ---\n{log}")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """This module's server, with the privacy guard's process on, and ready before any test types."""
    env = {**MANY_PEOPLE_ONE_ADDRESS, "INTERVISIE_PRIVACY_GUARD": "1"}
    live = LiveServer(tmp_path_factory.mktemp("privacy"), env=env).start()
    try:
        wait_for_the_guard(live)
        yield live
    finally:
        live.stop()


def started(server, pages, text: dict):
    """A started five-phase session: Fien leads, Ayla (on a phone) brings the case, Bram asks."""
    created = server.create_session(name="Fien", title="Team Oost")
    fien = pages.open(created["facilitator_url"], locale=text["locale"])
    expect(fien.locator(".invite")).to_be_visible()
    phones = []
    for name in ("Ayla", "Bram"):
        page = pages.open(f"{server.url}/s/{created['code']}", width=375, height=740, locale=text["locale"])
        page.get_by_label(text["name"]).fill(name)
        page.get_by_role("button", name=text["join"]).click()
        expect(page.locator("#stage")).to_be_visible()
        phones.append(page)
    pick = fien.get_by_label(text["who"])
    expect(pick.get_by_role("option")).to_have_count(3)
    pick.select_option(label="Ayla")
    fien.get_by_role("button", name=text["start"]).click()
    return fien, *phones


def go_to(fien, people, step: str) -> None:
    """The facilitator opens a step from the plan; everyone sees it."""
    fien.get_by_role("button", name=step).click()
    for page in people:
        expect(page.get_by_role("heading", level=1)).to_have_text(step.split(". ", 1)[1])


def privacy_nudge(page):
    return page.locator(".nudge-privacy")


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_nudge_names_personal_data_replaces_a_name_in_one_click_and_blocks_nothing(server, pages, lang):
    text = TEXTS[lang]
    fien, ayla, bram = started(server, pages, text)
    go_to(fien, [fien, ayla, bram], text["case_step"])

    # The case bringer writes the case with a client's details and names of two people in the session.
    field = ayla.get_by_label(text["case_field"])
    field.fill(text["case"])
    nudge = privacy_nudge(ayla)
    expect(nudge).to_contain_text(text["title"], timeout=PATIENT_MS)
    found = nudge.get_by_role("listitem")
    expect(found).to_have_count(3)
    for i, kind in enumerate(("name", "phone", "email")):
        expect(found.nth(i)).to_contain_text(text["found"][kind])
    for person in ("Bram", "Fien"):  # in the session: not flagged
        expect(nudge).not_to_contain_text(f"‘{person}’")
    expect(privacy_nudge(bram)).to_have_count(0)  # the author alone is told
    screenshot(ayla, f"privacy-nudge-case-375-{lang}")

    # One click puts "cliënt A" in place of the name; the nudge reads the text again.
    found.nth(0).get_by_role("button", name=text["replace"]).click()
    expect(field).to_have_value(text["case"].replace(text["client"], text["replacement"]))
    expect(found).to_have_count(2, timeout=PATIENT_MS)
    expect(nudge).not_to_contain_text(text["client"])
    expect(found.nth(0)).to_contain_text(text["found"]["phone"])

    # Sending is never blocked: the phone number and e-mail address are still in it, and it goes.
    ayla.get_by_role("button", name=text["send"]).click()
    sent = text["case"].replace(text["client"], text["replacement"])
    expect(bram.locator(".contribution", has_text=text["email"])).to_contain_text(sent, timeout=PATIENT_MS)
    expect(privacy_nudge(ayla)).to_have_count(0)

    # A participant's question with a BSN: named too, with its replacement, and sent as it is.
    go_to(fien, [fien, ayla, bram], text["question_step"])
    question = bram.get_by_label(text["question_field"])
    question.fill(text["question"])
    expect(privacy_nudge(bram).get_by_role("listitem")).to_have_text(
        [f"{text['found']['bsn']} {text['replace'].replace(text['replacement'], '[BSN]')}"],
        timeout=PATIENT_MS,
    )
    bram.get_by_role("button", name=text["send"]).click()
    expect(ayla.locator(".contribution", has_text=text["question"])).to_be_visible(timeout=PATIENT_MS)
