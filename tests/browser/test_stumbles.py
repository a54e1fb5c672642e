"""Where a first-time facilitator or a participant on a phone used to stumble (issue 9), as they act."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .conftest import screenshot

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
    fien.locator("[data-key=step-next]").click()
    expect(ayla.locator(".step-name")).to_have_text("De casus")
    expect(ayla.locator("#timer")).to_have_attribute("data-state", "running")
    screenshot(bram, "stumble1-timer-runs-by-itself-375")
