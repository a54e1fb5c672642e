"""Where a first-time facilitator or a participant on a phone used to stumble (issue 9), as they act."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .conftest import next_step_anyway, screenshot

pytestmark = pytest.mark.browser


def create_by_form(pages, base: str, title: str = "Team Noord", name: str = "Fien", **open_args):
    """The facilitator fills in the start page as a person does; returns their page and the join code."""
    fien = pages.open(f"{base}/", **open_args)
    fien.get_by_label("Naam van de sessie").fill(title)
    fien.get_by_label("Jouw naam", exact=True).fill(name)
    return fien


def join_by_label(page, base: str, code: str, name: str) -> None:
    page.goto(f"{base}/s/{code}")
    page.get_by_label("Jouw naam").fill(name)
    agree = page.get_by_label("Ik ga akkoord met deze afspraken")  # where the group asks for it
    if agree.count():
        agree.check()
    page.get_by_role("button", name="Meedoen").click()
    expect(page.locator("#stage")).to_be_visible()


def seconds_left(page) -> int:
    return int(page.locator("#timer").get_attribute("data-seconds"))


def test_the_timer_runs_as_soon_as_the_facilitator_starts(server, pages):
    base = server.url
    fien = create_by_form(pages, base, title="Team Noord")
    auto = fien.get_by_label("Start de tijd zodra een stap begint")
    expect(auto).to_be_checked()
    fien.get_by_role("button", name="Sessie aanmaken").click()
    fien.wait_for_url(re.compile(r"/s/[A-Z0-9]+/facilitator$"))
    code = fien.locator("#app").get_attribute("data-code")
    expect(fien.get_by_label("Tijd start zodra een stap begint")).to_be_checked()
    ayla = pages.open(width=375, height=740)
    join_by_label(ayla, base, code, "Ayla")
    bram = pages.open(width=375, height=740)
    join_by_label(bram, base, code, "Bram")
    fien.get_by_label("Wie brengt de casus in?").select_option(label="Ayla")
    fien.get_by_role("button", name="Start de sessie").click()
    # Nobody presses "Start de tijd": every screen counts down on its own.
    for page in (fien, ayla, bram):
        expect(page.locator("#timer")).to_have_attribute("data-state", "running")
    expect(fien.get_by_role("button", name="Start de tijd")).to_have_count(0)
    first = seconds_left(bram)
    expect(bram.locator("#timer")).not_to_have_attribute("data-seconds", str(first), timeout=3000)
    assert seconds_left(bram) < first
    # The next step opens with its time running too.
    next_step_anyway(fien)
    expect(ayla.locator(".step-name")).to_have_text("De casus")
    expect(ayla.locator("#timer")).to_have_attribute("data-state", "running")
    screenshot(bram, "stumble1-timer-runs-by-itself-375")
    fien.get_by_role("button", name="EN", exact=True).click()
    expect(fien.get_by_label("Timer starts when a step opens")).to_be_checked()


def started(server, pages, *names: str, **open_args):
    """A session made by the API, joined by ``names`` on phones (the first brings the case), started.

    ``open_args`` go to every page (``bypass_csp`` to run axe, for one).
    """
    created = server.create_session(title="Team Zuid")
    fien = pages.open(created["facilitator_url"], **open_args)
    expect(fien.locator(".invite")).to_be_visible()
    phones = []
    for name in names:
        page = pages.open(width=375, height=740, **open_args)
        join_by_label(page, server.url, created["code"], name)
        phones.append(page)
    fien.get_by_label("Wie brengt de casus in?").select_option(label=names[0])
    fien.get_by_role("button", name="Start de sessie").click()
    for page in phones:
        expect(page.locator(".step-name")).to_have_text("Inchecken")
    return created, fien, phones


def test_everyone_can_be_ready_and_the_facilitator_is_told(server, pages):
    _created, fien, (ayla, bram) = started(server, pages, "Ayla", "Bram")
    # The facilitator has no ready button and is not counted.
    expect(fien.get_by_role("button", name="Ik ben klaar met deze stap")).to_have_count(0)
    expect(fien.get_by_text("0 van 2 klaar")).to_be_visible()
    ayla.get_by_role("button", name="Ik ben klaar met deze stap").click()
    expect(bram.get_by_text("1 van 2 klaar")).to_be_visible()
    expect(fien.locator(".people-card").get_by_text("Iedereen is klaar")).to_have_count(0)
    bram.get_by_role("button", name="Ik ben klaar met deze stap").click()
    expect(fien.get_by_text("2 van 2 klaar")).to_be_visible()
    expect(bram.get_by_text("2 van 2 klaar")).to_be_visible()
    # A calm note the facilitator sees, and hears once through the polite live region.
    note = fien.locator(".people-card").get_by_text(
        "Iedereen is klaar met deze stap. Ga verder wanneer het jou past."
    )
    expect(note).to_be_visible()
    expect(fien.locator("#announcer")).to_have_attribute("aria-live", "polite")
    expect(fien.locator("#announcer")).to_have_text(re.compile("Iedereen is klaar"))
    screenshot(fien, "stumble6-all-ready-facilitator-1280")
    fien.get_by_role("button", name="EN", exact=True).click()
    expect(fien.locator(".people-card").get_by_text("Everyone is done with this step.")).to_be_visible()
    expect(fien.get_by_text("2 of 2 done")).to_be_visible()
    fien.get_by_role("button", name="NL", exact=True).click()
    # Someone changes their mind: the note goes.
    bram.get_by_role("button", name=re.compile("Klaar ✓")).click()
    expect(fien.get_by_text("1 van 2 klaar")).to_be_visible()
    expect(note).to_have_count(0)


def test_a_newcomer_sees_which_session_they_join(server, pages):
    created = server.create_session(title="Team Oost", name="Fien")
    ayla = pages.open(f"{server.url}/s/{created['code']}", width=375, height=740)
    about = ayla.locator(".join-card")
    expect(about.get_by_text("Team Oost")).to_be_visible()
    expect(about.get_by_text("Fien", exact=True)).to_be_visible()
    expect(about.get_by_text("Online intervisie in vijf fasen", exact=True)).to_be_visible()
    expect(about.get_by_text("Begeleider")).to_be_visible()
    screenshot(ayla, "stumble9-join-shows-session-375")
    # In English too, without a reload.
    ayla.get_by_role("button", name="EN", exact=True).click()
    expect(about.get_by_text("Facilitator")).to_be_visible()
    expect(about.get_by_text("Five-phase online intervision", exact=True)).to_be_visible()
    ayla.get_by_role("button", name="NL", exact=True).click()
    ayla.get_by_label("Jouw naam").fill("Ayla")
    ayla.get_by_role("button", name="Meedoen").click()
    # After joining the header says it, on a phone too.
    header = ayla.get_by_role("banner")
    expect(header.get_by_text("Team Oost")).to_be_visible()
    expect(header.get_by_text("Online intervisie in vijf fasen · begeleid door Fien")).to_be_visible()
    screenshot(ayla, "stumble9-header-after-joining-375")


def marker_of(summary) -> str:
    """What a folded section shows before its title (the chevron), as the browser draws it."""
    return summary.evaluate(
        "s => { const b = getComputedStyle(s, '::before'); return b.content !== 'none' &&"
        " parseFloat(b.width) > 0 && b.display !== 'none' ? 'shown' : 'none' }"
    )


def test_folds_sound_and_projector_marks(server, pages, axe_script):
    from .test_quality import serious

    created = server.create_session(title="Team West")
    fien = pages.open(created["facilitator_url"], bypass_csp=True, reduced_motion="reduce")
    ayla = pages.open(width=375, height=740, bypass_csp=True, reduced_motion="reduce")
    join_by_label(ayla, server.url, created["code"], "Ayla")
    bram = pages.open(width=375, height=740, bypass_csp=True, reduced_motion="reduce")
    join_by_label(bram, server.url, created["code"], "Bram")
    screen = pages.open(created["screen_url"], width=1920, height=1080, bypass_csp=True)
    fien.get_by_label("Wie brengt de casus in?").select_option(label="Ayla")
    fien.get_by_role("button", name="Start de sessie").click()
    for _ in range(2):
        next_step_anyway(fien)
    expect(bram.locator(".step-name")).to_have_text("Verhelderende vragen")
    bram.get_by_label(re.compile("vraag", re.I)).first.fill("Wat maakt het lastig?")
    bram.locator("[data-key=send-question]").click()
    ayla.locator(".mark-button.mark-warm").first.click()

    # Every folded section shows that it opens (the person menu keeps its own ⋯).
    expect(fien.locator("details.invite > summary")).to_be_visible()
    for page in (fien, ayla):
        summaries = page.locator("details > summary:not(.person-menu > summary)")
        assert summaries.count() > 0
        for i in range(summaries.count()):
            assert marker_of(summaries.nth(i)) == "shown", summaries.nth(i).inner_text()
    start = pages.open(f"{server.url}/")
    assert marker_of(start.locator("#follow-up > summary")) == "shown"

    # The sound button says its state, and the read-only screen has none.
    sound = bram.get_by_role("button", name="Geluid: aan")
    expect(sound).to_have_attribute("aria-pressed", "true")
    sound.click()
    expect(bram.get_by_role("button", name="Geluid: uit")).to_have_attribute("aria-pressed", "false")
    bram.get_by_role("button", name="EN", exact=True).click()
    expect(bram.get_by_role("button", name="Sound: off")).to_be_visible()
    expect(screen.locator(".step-name")).to_have_text("Verhelderende vragen")
    expect(screen.get_by_role("button", name=re.compile("Geluid|Sound"))).to_have_count(0)

    # The projector's marks are large enough to read from the back of the room.
    chip = screen.locator(".contribution .chip.mark-warm")
    expect(chip).to_be_visible()
    size = float(chip.evaluate("c => parseFloat(getComputedStyle(c).fontSize)"))
    assert size >= 24, size
    screenshot(screen, "stumble10-projector-marks-1920")
    fien.locator("details.invite > summary").click()
    screenshot(fien, "stumble10-folds-facilitator-1280")

    # No serious accessibility problem in the views touched, in English too.
    fien.get_by_role("button", name="EN", exact=True).click()
    found = {
        name: serious(page, axe_script) for name, page in {"facilitator": fien, "participant": bram}.items()
    }
    assert not any(found.values()), found


def test_the_feed_stays_still_when_something_else_changes(server, pages):
    _created, fien, (ayla, bram, cas) = started(server, pages, "Ayla", "Bram", "Cas")
    next_step_anyway(fien)
    next_step_anyway(fien)
    expect(bram.locator(".step-name")).to_have_text("Verhelderende vragen")
    for text in ("Wat maakt het lastig?", "Wie is er nog bij?"):
        bram.get_by_label(re.compile("vraag", re.I)).first.fill(text)
        bram.locator("[data-key=send-question]").click()
        expect(cas.locator(".feed .contribution").filter(has_text=text)).to_be_visible()
    cas.wait_for_timeout(500)  # the first fade is over
    # Cas keeps the cards in hand and notes which ones start to move again.
    cas.evaluate(
        """() => { window.kept = [...document.querySelectorAll('.feed .contribution')]; window.faded = [];
        document.addEventListener('animationstart', e => window.faded.push(e.target.textContent)) }"""
    )
    cas.evaluate("scrollTo(0, 200)")
    scrolled = cas.evaluate("scrollY")
    assert scrolled > 0
    ayla.get_by_role("button", name="Ik ben klaar met deze stap").click()
    expect(cas.get_by_text("1 van 3 klaar")).to_be_visible()
    bram.get_by_role("button", name="Ik ben klaar met deze stap").click()
    expect(cas.get_by_text("2 van 3 klaar")).to_be_visible()
    ayla.locator(".mark-button.mark-warm").first.click()
    expect(cas.locator(".feed .chip.mark-warm")).to_be_visible()
    same = "() => { const now = [...document.querySelectorAll('.feed .contribution')];"
    same += " return now.length === kept.length && now.every((n, i) => n === kept[i]) }"
    assert cas.evaluate(same), "a card of the feed was rebuilt"
    assert cas.evaluate("scrollY") == scrolled
    # A new question fades in; the ones already there stay as they are.
    bram.get_by_label(re.compile("vraag", re.I)).first.fill("Wat wil je bereiken?")
    bram.locator("[data-key=send-question]").click()
    expect(cas.locator(".feed .contribution")).to_have_count(3)
    expect(cas.locator(".feed .contribution").nth(2)).to_contain_text("Wat wil je bereiken?")
    cas.wait_for_function("window.faded.length > 0")
    faded = cas.evaluate("window.faded")
    assert all("Wat wil je bereiken?" in f for f in faded), faded
    assert cas.evaluate("kept.every(n => n.isConnected)")
    screenshot(cas, "stumble2-feed-stays-still-375")


def rules_of(page):
    """The rules a person reads under "Wat doen we nu?", one per line."""
    rules = page.get_by_role("list", name=re.compile("Afspraken in deze stap|Agreements in this step"))
    return rules.get_by_role("listitem").all_inner_texts() if rules.count() else []


def test_each_person_reads_the_rules_that_apply_to_them(server, pages):
    _created, fien, (ayla, bram) = started(server, pages, "Ayla", "Bram")
    next_step_anyway(fien)
    expect(bram.locator(".step-name")).to_have_text("De casus")
    # Only Ayla writes the case: only she reads the limit, addressed to her.
    expect(ayla.get_by_text("Je schrijft er hoogstens 3.")).to_be_visible()
    assert rules_of(ayla) == ["Je schrijft er hoogstens 3."]
    assert not any("hoogstens" in r for r in rules_of(bram)), rules_of(bram)
    expect(bram.get_by_text("Wat doen we nu?")).to_be_visible()
    screenshot(bram, "stumble8-case-step-participant-375")
    ayla.get_by_role("button", name="EN", exact=True).click()
    expect(ayla.get_by_text("You write at most 3.")).to_be_visible()
    ayla.get_by_role("button", name="NL", exact=True).click()
    for _ in range(2):
        next_step_anyway(fien)
    expect(bram.locator(".step-name")).to_have_text("Perspectieven")
    # The instructions already say the case bringer listens: not again as a rule.
    expect(bram.get_by_text("De inbrenger luistert en reageert nog niet.")).to_have_count(1)
    assert rules_of(bram) == []
    expect(ayla.locator(".step-name")).to_have_text("Perspectieven")
    # Ayla is the one who listens: her own note says so, once.
    expect(ayla.get_by_text("Jij luistert nu")).to_be_visible()
    assert rules_of(ayla) == []
    screenshot(ayla, "stumble8-listening-case-bringer-375")
    next_step_anyway(fien)
    expect(bram.locator(".step-name")).to_have_text("Mogelijke oorzaken")
    expect(
        bram.get_by_role("listitem").filter(has_text="De inbrenger luistert en reageert nog niet.")
    ).to_have_count(1)
    expect(ayla.locator(".step-name")).to_have_text("Mogelijke oorzaken")
    assert rules_of(ayla) == []
    bram.get_by_role("button", name="EN", exact=True).click()
    rules = bram.get_by_role("list", name="Agreements in this step").get_by_role("listitem")
    expect(rules).to_have_text(["The case bringer listens and does not respond yet."])


@pytest.mark.parametrize("width,height", [(375, 740), (1280, 800)])
def test_the_case_stays_on_top_in_later_steps(server, pages, width, height):
    _created, fien, (ayla, bram) = started(server, pages, "Ayla", "Bram")
    bram.set_viewport_size({"width": width, "height": height})
    next_step_anyway(fien)
    expect(ayla.locator(".step-name")).to_have_text("De casus")
    case = "Een collega zegt nooit iets in het overleg. Mijn vraag: hoe betrek ik haar?"
    ayla.get_by_label("Beschrijf de situatie").fill(case)
    ayla.locator("[data-key=send-case]").click()
    expect(bram.get_by_text(case, exact=True)).to_be_visible()
    for name in ("Verhelderende vragen", "Perspectieven", "Mogelijke oorzaken", "Oplossingen"):
        next_step_anyway(fien)
        expect(bram.locator(".step-name")).to_have_text(name)
        # Right under the step, above what to do now, open without a click.
        pinned = bram.locator("details", has=bram.locator("summary", has_text=re.compile("^Casus$")))
        expect(pinned.locator("summary")).to_be_visible()
        if name != "Perspectieven":
            expect(pinned.get_by_text(case)).to_be_visible()
        below_step = pinned.bounding_box()["y"] > bram.locator(".step-name").bounding_box()["y"]
        above_guide = pinned.bounding_box()["y"] < bram.get_by_text("Wat doen we nu?").bounding_box()["y"]
        assert below_step and above_guide, name
        if name == "Verhelderende vragen":
            bram.wait_for_timeout(400)  # the case has faded in
            screenshot(bram, f"stumble3-case-on-top-{width}")
            # Bram folds it away; it stays folded, in the next step and after a reload.
            pinned.locator("summary").click()
            expect(pinned.get_by_text(case)).to_be_hidden()
            bram.reload()
            expect(bram.locator(".step-name")).to_have_text(name)
            expect(pinned.get_by_text(case)).to_be_hidden()
            expect(pinned.locator("summary")).to_be_visible()
        elif name == "Perspectieven":
            expect(pinned.get_by_text(case)).to_be_hidden()
            pinned.locator("summary").click()
            expect(pinned.get_by_text(case)).to_be_visible()
    bram.get_by_role("button", name="EN", exact=True).click()
    expect(bram.locator("summary", has_text=re.compile("^Case$"))).to_be_visible()
