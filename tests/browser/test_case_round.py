"""The case round as people meet it: pitch, vote unseen, see the chosen case and who brings it; by labels."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.support import MANY_PEOPLE_ONE_ADDRESS, LiveServer

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """This module's server, back-pressure off: a busy test machine would refuse a click as 'busy'."""
    env = {**MANY_PEOPLE_ONE_ADDRESS, "INTERVISIE_BUSY_LAG_MS": "0"}
    live = LiveServer(tmp_path_factory.mktemp("case-round"), env=env).start()
    yield live
    live.stop()


def joined(server, pages, names, locale="nl-NL", name_label="Jouw naam", join_label="Meedoen"):
    """An incident session: the facilitator on a laptop, ``names`` on phones; its projector URL."""
    created = server.create_session(method_id="incident", title="Team Noord")
    fien = pages.open(created["facilitator_url"], locale=locale)
    expect(fien.locator(".invite")).to_be_visible()
    phones = []
    for name in names:
        page = pages.open(width=375, height=740, locale=locale)
        page.goto(f"{server.url}/s/{created['code']}")
        page.get_by_label(name_label).fill(name)
        page.get_by_role("button", name=join_label).click()
        expect(page.locator("#stage")).to_be_visible()
        phones.append(page)
    return fien, phones, created["screen_url"]


def go_to(fien, everyone, label: str, name: str) -> None:
    fien.get_by_role("button", name=re.compile(rf"^{re.escape(label)}")).click()
    for page in everyone:
        expect(page.get_by_role("heading", level=1)).to_have_text(name)


def pitch(page, label: str, send: str, text: str) -> None:
    page.get_by_label(label).fill(text)
    page.get_by_role("button", name=send).click()
    expect(page.locator(".contribution.mine", has_text=text)).to_be_visible()


def test_the_group_votes_unseen_and_the_winning_pitch_brings_its_author_in(server, pages):
    fien, (ayla, bram, chen), screen_url = joined(server, pages, ["Ayla", "Bram", "Chen"])
    everyone = [fien, ayla, bram, chen]
    screen = pages.open(screen_url, width=1920, height=1080)
    expect(fien.get_by_text("de casusronde kiest er een")).to_be_visible()
    fien.get_by_role("button", name="Start de sessie").click()
    go_to(fien, everyone, "2. Incidenten inbrengen", "Incidenten inbrengen")
    pitch(ayla, "Jouw casus in een paar zinnen", "Versturen", "Een ouder belt elke week boos op.")
    pitch(bram, "Jouw casus in een paar zinnen", "Versturen", "Mijn planning wordt steeds omgegooid.")
    go_to(fien, everyone, "3. Kiezen", "Kiezen")
    for page in everyone:
        expect(page.get_by_role("status").filter(has_text="gestemd")).to_have_text("0 van 4 hebben gestemd.")
    expect(ayla.get_by_text("In deze stap schrijft")).to_have_count(0)  # nobody writes: no half sentence

    planning = bram.locator(".contribution", has_text="Mijn planning")
    ayla.locator(".contribution", has_text="Mijn planning").get_by_role(
        "button", name="Stem op deze casus"
    ).click()
    expect(
        ayla.locator(".contribution", has_text="Mijn planning").get_by_role("button", name="Mijn stem")
    ).to_have_attribute("aria-pressed", "true")
    # The others see only how many voted, never for what; the facilitator neither.
    for page in (fien, bram, chen):
        expect(page.get_by_text("1 van 4 hebben gestemd.")).to_be_visible()
        expect(page.get_by_text(re.compile(r"^\d+ stem(men)?$"))).to_have_count(0)
    # Ayla moves her vote: still one vote.
    ayla.locator(".contribution", has_text="Een ouder").get_by_role(
        "button", name="Stem op deze casus"
    ).click()
    expect(
        ayla.locator(".contribution", has_text="Een ouder").get_by_role("button", name="Mijn stem")
    ).to_be_visible()
    expect(chen.get_by_text("1 van 4 hebben gestemd.")).to_be_visible()

    planning.get_by_role("button", name="Stem op deze casus").click()
    chen.locator(".contribution", has_text="Mijn planning").get_by_role(
        "button", name="Stem op deze casus"
    ).click()
    expect(fien.get_by_text("3 van 4 hebben gestemd.")).to_be_visible()
    # The room's shared screen says how far the vote is, never for what.
    expect(screen.get_by_role("status").filter(has_text="gestemd")).to_have_text("3 van 4 hebben gestemd.")
    expect(screen.get_by_text(re.compile(r"^\d+ stem(men)?$"))).to_have_count(0)
    fien.locator(".contribution", has_text="Mijn planning").get_by_role(
        "button", name="Stem op deze casus"
    ).click()

    # The last vote decides: everyone sees the chosen case and the votes; Bram brings it.
    for page in everyone:
        chosen = page.locator(".contribution", has_text="Mijn planning")
        expect(chosen.get_by_text("Gekozen casus")).to_be_visible()
        expect(chosen.get_by_text("3 stemmen")).to_be_visible()
        expect(page.locator(".contribution", has_text="Een ouder").get_by_text("1 stem")).to_be_visible()
        expect(page.get_by_role("button", name="Stem op deze casus")).to_have_count(0)
    expect(bram.get_by_text("Jij bent de inbrenger")).to_be_visible()
    expect(ayla.get_by_text("Jij bent de inbrenger")).to_have_count(0)
    # The pitch opens the case in the step where the case is told.
    go_to(fien, everyone, "4. Het incident", "Het incident")
    expect(chen.locator(".contribution.kind-case")).to_contain_text("Mijn planning wordt steeds omgegooid.")


def test_in_english_a_tie_waits_for_the_facilitator(server, pages):
    fien, (ayla, bram, chen), _ = joined(
        server, pages, ["Ayla", "Bram", "Chen"], "en-GB", "Your name", "Join"
    )
    everyone = [fien, ayla, bram, chen]
    fien.get_by_role("button", name="Start the session").click()
    go_to(fien, everyone, "2. Pitching incidents", "Pitching incidents")
    pitch(ayla, "Your case in a few sentences", "Send", "A parent calls angry every week.")
    pitch(bram, "Your case in a few sentences", "Send", "My schedule keeps being changed.")
    go_to(fien, everyone, "3. Choosing", "Choosing")
    expect(chen.get_by_text("Everyone votes for one case")).to_be_visible()
    for page, text in ((ayla, "My schedule"), (bram, "A parent"), (chen, "My schedule")):
        page.locator(".contribution", has_text=text).get_by_role("button", name="Vote for this case").click()
    expect(bram.get_by_text("3 of 4 have voted.")).to_be_visible()
    # Only the facilitator may choose: the participants have no such button.
    expect(ayla.get_by_role("button", name="Choose this case")).to_have_count(0)
    fien.locator(".contribution", has_text="A parent").get_by_role(
        "button", name="Vote for this case"
    ).click()
    # 2 to 2: the votes show, nothing is chosen, the facilitator decides.
    schedule = fien.locator(".contribution", has_text="My schedule")
    expect(schedule.get_by_text("2 votes")).to_be_visible()
    expect(bram.get_by_text("You bring the case")).to_have_count(0)
    # The votes are final: nobody breaks the tie by moving theirs; everyone reads who decides now.
    for page in (ayla, bram, chen):
        expect(page.get_by_role("button", name="Vote for this case")).to_have_count(0)
        expect(
            page.get_by_text("Everyone has voted and it is a tie: the facilitator chooses the case.")
        ).to_be_visible()
    schedule.get_by_role("button", name="Choose this case").click()
    expect(bram.get_by_text("You bring the case")).to_be_visible()
    expect(ayla.locator(".contribution", has_text="My schedule").get_by_text("Chosen case")).to_be_visible()


def test_the_start_page_adds_a_case_round_to_a_method_without_one(server, pages):
    fien = pages.open(f"{server.url}/")
    fien.get_by_role("radio", name=re.compile("Incidentmethode")).check()
    expect(fien.get_by_label("Casusronde")).to_be_hidden()  # it has its own
    fien.get_by_role("radio", name=re.compile("Online intervisie in vijf fasen")).check()
    fien.get_by_label("Casusronde").select_option(label="Iedereen brengt een casus in en ik kies")
    fien.get_by_label("Jouw naam").fill("Fien")
    fien.get_by_role("button", name="Sessie aanmaken").click()
    fien.wait_for_url(re.compile(r"/s/[A-Z0-9]+/facilitator$"))
    plan = fien.locator("section").filter(has=fien.get_by_role("heading", name="Zo ziet de sessie eruit"))
    expect(plan.get_by_role("listitem").nth(1)).to_contain_text("Casussen inbrengen")
    expect(plan.get_by_role("listitem").nth(2)).to_contain_text("Casus kiezen")
    expect(fien.get_by_role("button", name="Start de sessie")).to_be_enabled()


def test_a_pitch_prepared_on_the_join_link_waits_for_the_pitching_step(server, pages):
    fien, (ayla, bram), _ = joined(server, pages, ["Ayla", "Bram"])
    expect(ayla.get_by_role("heading", name="Je casus alvast voorbereiden")).to_be_visible()
    ayla.get_by_label("Jouw casus in een paar zinnen").fill("Een ouder belt elke week boos op.")
    ayla.get_by_role("button", name="Versturen").click()
    expect(ayla.get_by_text("Je casus staat klaar. De groep leest hem in stap 2")).to_be_visible()
    expect(ayla.get_by_label("Jouw casus in een paar zinnen")).to_have_count(0)  # one each
    # Nobody reads it before its step, not even the facilitator.
    expect(bram.get_by_text("Een ouder belt")).to_have_count(0)
    expect(fien.get_by_text("Een ouder belt")).to_have_count(0)
    fien.get_by_role("button", name="Start de sessie").click()
    go_to(fien, [fien, ayla, bram], "2. Incidenten inbrengen", "Incidenten inbrengen")
    for page in (fien, bram):
        expect(page.locator(".contribution", has_text="Een ouder belt elke week boos op.")).to_be_visible()
    expect(ayla.get_by_text("Verstuurd ✓")).to_be_visible()
