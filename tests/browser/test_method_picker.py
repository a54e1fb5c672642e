"""The start page's method picker, tailoring a method, and a group's own method file, as a facilitator does it.

Acts by visible labels and roles, in Dutch and in English.
"""

from __future__ import annotations

import re

import pytest
import yaml
from playwright.sync_api import expect

from .conftest import screenshot
from .test_quality import serious

pytestmark = pytest.mark.browser


def method_radio(page, name: str):
    return page.get_by_role("radio", name=re.compile(re.escape(name)))


def shown_plan(page):
    """The plan of the chosen method, to tailor (the other methods' plans are hidden)."""
    return page.locator("fieldset.steps:not([hidden])")


def plan_names(page) -> list[str]:
    """The steps the session will run, as the facilitator's lobby lists them."""
    plan = (
        page.locator("section")
        .filter(
            has=page.get_by_role(
                "heading", name=re.compile("Zo ziet de sessie eruit|What the session looks like")
            )
        )
        .get_by_role("listitem")
    )
    expect(plan.first).to_be_visible()
    return [item.locator("span").first.inner_text() for item in plan.all()]


def test_pick_and_tailor_a_method_in_dutch(server, pages, axe_script):
    page = pages.open(f"{server.url}/", bypass_csp=True)  # bypass_csp only so axe can be injected
    five = method_radio(page, "Online intervisie in vijf fasen")
    expect(five).to_be_checked()
    expect(page.get_by_text(re.compile(r"^(ui|error)\.[a-z_.]+$"))).to_have_count(
        0
    )  # no text left untranslated

    # The picker narrows the list: a group that wants to feel and reflect does not see the default method.
    page.get_by_label("Wat willen jullie vandaag?").select_option(label="Voelen en reflecteren")
    expect(five).to_be_hidden()
    expect(page.get_by_role("status").filter(has_text="methodes passen")).to_be_visible()
    page.get_by_label("Met hoeveel mensen zijn jullie?").fill("2")
    expect(page.get_by_text("Geen methode past bij alles wat je koos.")).to_be_visible()
    page.get_by_label("Met hoeveel mensen zijn jullie?").fill("")
    page.get_by_label("Wat willen jullie vandaag?").select_option(label="Een probleem oplossen")
    page.get_by_label("Hoeveel minuten hebben jullie?").fill("90")
    expect(five).to_be_visible()  # 80 minutes, solving a problem
    five.check()
    # Each method says when it fits and shows its steps and minutes, to compare.
    option = page.locator(".method-option").filter(has=five)
    expect(option).to_contain_text("Past als: je een lastige situatie eerst goed wilt begrijpen")
    expect(option).to_contain_text("Verhelderende vragen (15 min)")

    plan = shown_plan(page)
    # Tailor: leave out the causes, move the solutions before the perspectives, rename, set minutes.
    plan.get_by_role("checkbox", name="Mogelijke oorzaken").uncheck()
    expect(page.locator("output[data-total]:visible")).to_have_text("70")
    plan.get_by_role("button", name="‘Oplossingen’ eerder").click()
    plan.get_by_role("button", name="‘Oplossingen’ eerder").click()
    plan.get_by_label("Andere naam voor ‘Verhelderende vragen’").fill("Alleen open vragen")
    plan.get_by_label("Minuten voor Oplossingen").fill("12")
    expect(page.locator("output[data-total]:visible")).to_have_text("67")
    # The case keeps its place: a step cannot move past it, and it cannot be left out.
    expect(plan.get_by_role("checkbox", name="De casus")).to_be_disabled()
    expect(plan.get_by_role("button", name="‘Verhelderende vragen’ eerder")).to_be_disabled()
    expect(plan.get_by_role("button", name="‘Inchecken’ later")).to_be_disabled()
    page.get_by_text("Eigen methode bewaren of openen").click()
    screenshot(page, "start-tailoring-1280")
    assert not serious(page, axe_script)

    page.get_by_label("Jouw naam").fill("Fien")
    page.get_by_role("button", name="Sessie aanmaken").click()
    page.wait_for_url(re.compile(r"/s/[A-Z0-9]+/facilitator$"))
    assert plan_names(page) == [
        "Inchecken",
        "De casus",
        "Alleen open vragen",
        "Oplossingen",
        "Perspectieven",
        "Opbrengst en acties",
        "Afsluiting",
    ]


def test_save_and_open_your_own_method_in_english(server, pages, tmp_path):
    page = pages.open(f"{server.url}/", locale="en-GB")
    method_radio(page, "Five-phase online intervision").check()
    shown_plan(page).get_by_role("checkbox", name="Perspectives").uncheck()
    page.get_by_text("Save or open your own method").click()
    page.get_by_role("button", name="Save this plan as a file").click()
    expect(page.get_by_role("status").filter(has_text="Give your method a name first.")).to_be_visible()
    page.get_by_label("Name of your own method").fill("Team East's five phases")
    with page.expect_download() as download:
        page.get_by_role("button", name="Save this plan as a file").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name == "team-east-s-five-phases.yaml"
    document = yaml.safe_load(saved.read_text(encoding="utf-8"))
    assert document["names"]["en"] == "Team East's five phases"
    assert "perspectieven" not in [s["id"] for s in document["steps"]]
    expect(
        page.get_by_role("status").filter(has_text="Saved as team-east-s-five-phases.yaml")
    ).to_be_visible()

    # A broken file says which file, which field and what is wrong, in English.
    broken = tmp_path / "broken.yaml"
    broken.write_text(saved.read_text(encoding="utf-8").replace("minutes: 15", "minutes: 500", 1))
    page.get_by_label("Open your own method (.yaml)").set_input_files(broken)
    expect(
        page.get_by_role("status").filter(has_text="The file broken.yaml is not right at steps[")
    ).to_contain_text("minutes: must be a whole number from 1 to 180")

    # The saved file opens again as a method to choose, tailor and run.
    page.get_by_label("Open your own method (.yaml)").set_input_files(saved)
    expect(
        page.get_by_role("status").filter(has_text="‘Team East's five phases’ was checked")
    ).to_be_visible()
    own = method_radio(page, "Team East's five phases")
    expect(own).to_be_checked()
    shown_plan(page).get_by_role("checkbox", name="Solutions").uncheck()
    page.get_by_label("Your name").fill("Fien")
    page.get_by_role("button", name="Create session").click()
    page.wait_for_url(re.compile(r"/s/[A-Z0-9]+/facilitator$"))
    assert plan_names(page) == [
        "Check-in",
        "The case",
        "Clarifying questions",
        "Possible causes",
        "Takeaways and actions",
        "Close",
    ]


def test_check_in_with_cards_in_english(server, pages):
    fien = pages.open(f"{server.url}/", locale="en-GB")
    method_radio(fien, "Five-phase online intervision").check()
    fien.get_by_label("Check in with cards").check()
    fien.get_by_label("Your name").fill("Fien")
    fien.get_by_role("button", name="Create session").click()
    fien.wait_for_url(re.compile(r"/s/[A-Z0-9]+/facilitator$"))
    code = fien.locator("#app").get_attribute("data-code")
    people = {}
    for name in ("Ayla", "Bram"):
        people[name] = page = pages.open(f"{server.url}/s/{code}", width=375, height=740, locale="en-GB")
        page.get_by_label("Your name").fill(name)
        page.get_by_label("I agree to these rules").check()
        page.get_by_role("button", name="Join").click()
        expect(page.locator("#stage")).to_be_visible()
    fien.get_by_label("Who brings the case?").select_option(label="Ayla")
    fien.get_by_role("button", name="Start the session").click()

    # Bram draws a card at the check-in and answers it; the answer shows with the card's theme.
    bram = people["Bram"]
    expect(bram.get_by_role("heading", name="Your cards")).to_be_visible()
    expect(bram.get_by_text("Your card for the check-in.")).to_be_visible()
    card = bram.locator(".play-card")
    expect(card).to_have_count(1)
    expect(bram.get_by_role("group", name="Rather another question? Take a card from:")).to_be_visible()
    theme = card.locator(".q-head").inner_text().strip()
    card.get_by_role("button", name="Answer").click()
    bram.get_by_role("button", name="Send my answer").click()
    expect(bram.get_by_text("Write your answer first.")).to_be_visible()
    bram.get_by_label("Your answer").fill("Plenty of energy after a quiet weekend.")
    screenshot(bram, "checkin-card-375")
    bram.get_by_role("button", name="Send my answer").click()
    for page in (fien, people["Ayla"], bram):
        entry = page.locator("[data-region=feed] .contribution").filter(has_text="Plenty of energy")
        expect(entry).to_contain_text(theme)
    # The case bringer draws a card too, and may just as well check in in their own words.
    ayla = people["Ayla"]
    expect(ayla.locator(".play-card")).to_have_count(1)
    ayla.get_by_label("How are you today?").fill("A bit nervous about my case.")
    ayla.get_by_role("button", name="Send", exact=True).click()
    expect(fien.locator("[data-region=feed] .contribution").filter(has_text="nervous")).to_be_visible()
