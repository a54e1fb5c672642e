"""More places where a participant on a phone or a facilitator at a laptop stumbled (issue 9, items 5 and 7)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .conftest import next_step_anyway, screenshot
from .test_stumbles import started

pytestmark = pytest.mark.browser

# An element that scrolls on its own: its content is taller than it and it may scroll.
NESTED_SCROLLERS = """() => [...document.querySelectorAll('body *')].filter(e => {
  const s = getComputedStyle(e);
  return /auto|scroll/.test(s.overflowY) && e.scrollHeight > e.clientHeight + 1;
}).map(e => e.tagName.toLowerCase() + '.' + e.className)"""

# The warning look (the orange accent or the yellow warning box) anywhere in the writing area.
WARNING_LOOK = """a => [...a.querySelectorAll('*')].filter(e => {
  const s = getComputedStyle(e);
  return e.offsetParent && e.textContent.trim() &&
    (s.color === 'rgb(154, 74, 0)' || s.backgroundColor === 'rgb(255, 244, 214)');
}).map(e => e.textContent.trim())"""


def test_a_sent_check_in_reads_as_done_not_as_an_error(server, pages):
    _created, fien, (ayla, bram) = started(server, pages, "Ayla", "Bram")
    bram.get_by_label("Hoe zit je er vandaag bij?").fill("Moe maar blij dat we er zijn.")
    bram.get_by_role("button", name="Versturen").click()
    area = bram.locator("[data-region=compose]")
    # Their own words, marked as sent, and a calm word on what happens next.
    expect(area.get_by_text("Moe maar blij dat we er zijn.")).to_be_visible()
    expect(area.get_by_text("Verstuurd ✓")).to_be_visible()
    expect(
        area.get_by_text("Je inbreng staat erin. De begeleider gaat verder zodra iedereen klaar is.")
    ).to_be_visible()
    # No empty grey box, no disabled button, no warning about a maximum.
    expect(area.get_by_role("textbox")).to_have_count(0)
    expect(area.get_by_role("button", name="Versturen")).to_have_count(0)
    expect(bram.get_by_text(re.compile("maximum", re.I))).to_have_count(0)
    assert area.evaluate(WARNING_LOOK) == []
    screenshot(bram, "stumble5-check-in-sent-375")
    # Someone who has not written yet still has the field.
    expect(ayla.get_by_label("Hoe zit je er vandaag bij?")).to_be_editable()
    # In English too, without a reload.
    bram.get_by_role("button", name="EN", exact=True).click()
    expect(area.get_by_text("Sent ✓")).to_be_visible()
    expect(
        area.get_by_text("Your contribution is in. The facilitator moves on when everyone is done.")
    ).to_be_visible()
    screenshot(bram, "stumble5-check-in-sent-375-en")
    expect(fien.get_by_text("Moe maar blij dat we er zijn.", exact=True)).to_be_visible()


def test_the_facilitator_reaches_everything_with_one_page_scroll(server, pages):
    _created, fien, (ayla, bram) = started(server, pages, "Ayla", "Bram")
    assert fien.viewport_size == {"width": 1280, "height": 800}
    expect(fien.get_by_role("heading", name="Instellingen")).to_be_attached()
    assert fien.evaluate(NESTED_SCROLLERS) == []
    # Settings and "end the session" are further down the page, reached by scrolling it.
    end = fien.get_by_role("button", name="Sessie afsluiten", exact=True)
    end.scroll_into_view_if_needed()
    expect(end).to_be_visible()
    expect(end).to_be_in_viewport()
    assert fien.evaluate("window.scrollY") > 0
    screenshot(fien, "stumble7-side-column-end-1280")
    settings = fien.get_by_label("Tijd start zodra een stap begint")
    settings.scroll_into_view_if_needed()
    expect(settings).to_be_in_viewport()
    fien.evaluate("window.scrollTo(0, 0)")
    screenshot(fien, "stumble7-side-column-top-1280")
    # In English, and a step later, still one scroll.
    fien.get_by_role("button", name="EN", exact=True).click()
    control = int(fien.locator("#app").get_attribute("data-control"))
    next_step_anyway(fien)
    expect(fien.locator("#app")).to_have_attribute("data-control", str(control + 1))  # the next step is drawn
    expect(fien.get_by_role("heading", name="Settings")).to_be_attached()
    assert fien.evaluate(NESTED_SCROLLERS) == []
    end = fien.get_by_role("button", name="End the session", exact=True)
    end.scroll_into_view_if_needed()
    expect(end).to_be_in_viewport()
