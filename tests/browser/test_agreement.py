"""The confidentiality agreement in the browser, in Dutch and in English.

A newcomer reads the group's agreement on the join page and gets in only after
ticking that they agree; the facilitator sees how many confirmed it. At the
close the record cannot be downloaded until the case bringer ticks her consent;
then it downloads, and the facilitator sees that she gave it.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

TEXTS = {
    "nl": {
        "locale": "nl-NL",
        "join": "Meedoen",
        "name": "Jouw naam",
        "title": "De vertrouwelijkheidsafspraak van de groep",
        "agree": "Ik ga akkoord met deze afspraken",
        "missing": "Vink aan dat je akkoord gaat met de afspraken.",
        "rule": "Wat in de groep gezegd wordt, blijft in de groep.",
        "count": "Afspraak bevestigd: 2 van 2",
        "consent": "Het verslag mag gedownload worden",
        "waiting": "Toestemming inbrenger voor het verslag: nog niet gegeven",
        "given": "Toestemming inbrenger voor het verslag: gegeven",
        "refused": "Het verslag kan pas worden gedownload als de inbrenger daar toestemming voor geeft.",
        "first": "Inchecken",
        "close": "Afsluiting",
        "in_record": "afspraak bevestigd door 2 personen bij het meedoen",
    },
    "en": {
        "locale": "en-GB",
        "join": "Join",
        "name": "Your name",
        "title": "The group's confidentiality agreement",
        "agree": "I agree to these rules",
        "missing": "Tick that you agree to the rules.",
        "rule": "What is said in the group stays in the group.",
        "count": "Agreement confirmed: 2 of 2",
        "consent": "The record may be downloaded",
        "waiting": "Case bringer's consent to the record: not yet given",
        "given": "Case bringer's consent to the record: given",
        "refused": "The record can be downloaded only once the case bringer consents to it.",
        "first": "Check-in",
        "close": "Close",
        "in_record": "agreement confirmed by 2 people on joining",
    },
}


def next_step(fien) -> None:
    """The facilitator moves on, confirming when the page asks (not everyone said they are ready)."""
    before = fien.locator(".step-name").inner_text()
    fien.click("[data-key=step-next]")
    moved = fien.locator(".step-name").filter(has_not_text=before)
    expect(moved.or_(fien.locator("#confirm")).first).to_be_visible()
    if fien.locator("#confirm").is_visible():
        fien.click("#confirm-ok")
    expect(fien.locator(".step-name")).not_to_have_text(before)


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_agreeing_on_joining_and_consent_before_the_download(server, pages, lang):
    words = TEXTS[lang]
    created = server.create_session(confidentiality=True, lang=lang, auto_start_timer=False)
    fien = pages.open(created["facilitator_url"], locale=words["locale"])
    ayla = pages.open(f"{server.url}/s/{created['code']}", width=375, height=740, locale=words["locale"])

    # The agreement is on the join page; joining without ticking it says what is missing.
    expect(ayla.get_by_role("group", name=words["title"])).to_contain_text(words["rule"])
    ayla.get_by_label(words["name"]).fill("Ayla")
    ayla.get_by_role("button", name=words["join"]).click()
    expect(ayla.get_by_text(words["missing"])).to_be_visible()
    expect(ayla.locator("#stage")).to_be_hidden()
    ayla.get_by_label(words["agree"]).check()
    ayla.get_by_role("button", name=words["join"]).click()
    expect(ayla.locator("#stage")).to_be_visible()
    expect(fien.get_by_text(words["count"])).to_be_visible()
    expect(fien.get_by_text(words["waiting"])).to_be_visible()

    # To the close, with Ayla as the case bringer.
    fien.select_option("#case-bringer", label="Ayla")
    fien.click("[data-key=start]")
    expect(fien.locator(".step-name")).to_have_text(words["first"])
    for _ in range(7):
        next_step(fien)
    expect(ayla.locator(".step-name")).to_have_text(words["close"])

    # Without her consent the record is refused, in her language; with it, it downloads.
    ayla.click("[data-key=main-download-md]")
    expect(ayla.locator("[data-region=record] .download-status")).to_have_text(words["refused"])
    ayla.get_by_label(words["consent"]).check()
    expect(fien.get_by_text(words["given"])).to_be_visible()
    with ayla.expect_download() as info:
        ayla.click("[data-key=main-download-md]")
    assert words["in_record"] in info.value.path().read_text(encoding="utf-8")
