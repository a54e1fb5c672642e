"""Breakout groups as people meet them in Troika consulting: one troika on phones, by visible labels.

The round's client writes the challenge and moves on, the consultants ask and
think aloud while the client sits turned away and writes only notes; the
facilitator sees the group and moves it on; the projector shows progress, no texts.
"""

from __future__ import annotations

import os
import re
import time

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.browser.conftest import join, screenshot
from tests.browser.test_quality import serious
from tests.support import MANY_PEOPLE_ONE_ADDRESS, LiveServer

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """This module's server, back-pressure off: a busy test machine would refuse a click as 'busy'."""
    env = {**MANY_PEOPLE_ONE_ADDRESS, "INTERVISIE_BUSY_LAG_MS": "0"}
    live = LiveServer(tmp_path_factory.mktemp("breakouts"), env=env).start()
    yield live
    live.stop()


def write(page, label: str, text: str) -> None:
    field = page.get_by_label(label)
    field.fill(text)
    field.locator("xpath=ancestor::form").get_by_role("button", name="Versturen").click()
    expect(page.locator(".contribution.mine", has_text=text)).to_be_visible()


# bypass_csp only so axe can be injected at the end; reduced motion so nothing is caught mid-fade.
CHECKED = {"bypass_csp": True, "reduced_motion": "reduce"}


def test_a_troika_runs_its_round_on_its_own_clock(server, pages, axe_script):
    created = server.create_session(method_id="troika", title="Team Zuid")
    fien = pages.open(created["facilitator_url"], **CHECKED)
    expect(fien.locator(".invite")).to_be_visible()
    phones = []
    for name in ("Ayla", "Bram", "Chen"):
        page = pages.open(width=375, height=740, **CHECKED)
        page.goto(f"{server.url}/s/{created['code']}")
        page.get_by_label("Jouw naam").fill(name)
        page.get_by_role("button", name="Meedoen").click()
        expect(page.locator("#stage")).to_be_visible()
        phones.append(page)
    ayla, bram, chen = phones
    screen = pages.open(created["screen_url"], width=1920, height=1080, **CHECKED)

    fien.get_by_role("button", name="Start de sessie").click()  # no case bringer needed
    fien.get_by_role("button", name=re.compile(r"^2\. Troika-rondes")).click()
    for page in (fien, *phones):
        expect(page.get_by_role("heading", level=1)).to_have_text("Troika-rondes")
    for page in phones:
        expect(page.get_by_role("heading", name="Groepje 1")).to_be_visible()
        expect(page.get_by_text("Ronde 1 van 3")).to_be_visible()
        expect(page.locator(".group-timer")).to_have_text(re.compile(r"^[12]:\d\d$"))
    # Nothing written yet: only the group and the facilitator will see it; the projector promises no texts.
    only_they = "zien alleen dat groepje en de begeleider"
    for page in (fien, *phones):
        expect(page.locator(".empty:visible", has_text=only_they)).to_have_count(1)
    expect(screen.get_by_text("Hier zie je alleen hoe ver elk groepje is.", exact=False)).to_be_visible()
    expect(screen.get_by_text("Wat de groep schrijft, verschijnt hier.")).to_have_count(0)

    # The challenge: Ayla, the first to join, is the client; the consultants listen.
    expect(ayla.get_by_text("Jij bent nu de cliënt.")).to_be_visible()
    expect(bram.get_by_text("Jij bent nu consultant voor Ayla.")).to_be_visible()
    expect(bram.get_by_text("In deze fase schrijf jij niets: luister mee.")).to_be_visible()
    expect(bram.get_by_role("button", name="Volgende fase")).to_have_count(0)
    write(ayla, "Beschrijf de situatie", "Mijn team haakt af bij de nieuwe planning.")
    for page in (bram, chen):
        expect(page.locator(".contribution", has_text="Mijn team haakt af")).to_be_visible()
    ayla.get_by_role("button", name="Volgende fase").click()

    # Clarifying questions from a consultant; the facilitator moves the group on from their overview.
    expect(bram.get_by_text("Verhelderende vragen")).to_be_visible()
    write(bram, "Stel een open vraag", "Wat merk je als eerste aan het afhaken?")
    expect(fien.get_by_role("heading", name="Wat groepje 1 schreef")).to_be_visible()
    expect(fien.locator(".breakout-group .contribution", has_text="Wat merk je als eerste")).to_be_visible()
    fien.get_by_role("button", name="Groepje 1: volgende fase").click()

    # Back turned: Ayla listens and writes only a note for herself; Chen thinks aloud.
    expect(ayla.get_by_text("Jij luistert nu")).to_be_visible()
    expect(ayla.get_by_label("Beschrijf de situatie")).to_have_count(0)
    write(ayla, "Aantekening voor jezelf", "Ze zien het als controle.")
    write(chen, "Jouw advies", "Laat het team de planning zelf maken.")
    expect(ayla.locator(".contribution", has_text="Laat het team")).to_be_visible()
    expect(bram.locator(".contribution", has_text="Ze zien het als controle")).to_have_count(0)
    screenshot(ayla, "breakouts-client-turned-away")
    screenshot(fien, "breakouts-facilitator")

    # The projector shows the group's progress, never what it wrote.
    expect(screen.get_by_text("Groepje 1")).to_be_visible()
    expect(screen.get_by_text("Rug naar de groep")).to_be_visible()
    expect(screen.get_by_text("Mijn team haakt af")).to_have_count(0)
    screenshot(screen, "breakouts-screen")
    # Time's up for the group's phase: it moves on by itself, on every phone at once.
    with_deadline_in_a_second(server)
    for page in phones:
        expect(page.get_by_text("Wat waardevol was")).to_be_visible()
    expect(ayla.get_by_label("Wat neem je mee?")).to_be_visible()

    found = {
        name: serious(page, axe_script)
        for name, page in (("client", ayla), ("facilitator", fien), ("screen", screen))
    }
    assert not any(found.values()), found


def with_deadline_in_a_second(server) -> None:
    """Bring every running breakout timer's deadline to a second from now, in the server's own database."""
    url = (
        os.environ.get("INTERVISIE_TEST_DATABASE_URL")
        or f"sqlite:///{server.instance / 'intervisie.sqlite3'}"
    )
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE breakout_groups SET timer_deadline = :soon WHERE timer_state = 'running'"),
            {"soon": time.time() + 1},
        )
    engine.dispose()


def test_under_the_agreement_each_member_lets_their_own_round_into_the_record(server, pages):
    created = server.create_session(method_id="troika", title="Team Oost", confidentiality=True)
    fien = pages.open(created["facilitator_url"])
    phones = []
    for name in ("Ayla", "Bram", "Chen"):
        page = pages.open(width=375, height=740)
        join(page, server.url, created["code"], name)
        phones.append(page)
    ayla, bram, _chen = phones
    expect(fien.get_by_text("0 van 3 gaven toestemming voor hun ronde in het verslag")).to_be_visible()
    consent = ayla.get_by_label("Mijn ronde mag in het verslag")
    expect(ayla.get_by_text("komt alleen in het verslag als jij dit aanzet")).to_be_visible()
    consent.check()
    expect(fien.get_by_text("1 van 3 gaven toestemming voor hun ronde in het verslag")).to_be_visible()
    expect(bram.get_by_label("Mijn ronde mag in het verslag")).not_to_be_checked()  # each their own
    consent.uncheck()
    expect(fien.get_by_text("0 van 3 gaven toestemming voor hun ronde in het verslag")).to_be_visible()
