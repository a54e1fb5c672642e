"""More places where a participant on a phone or a facilitator at a laptop stumbled (issue 9)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import screenshot
from .test_stumbles import started

pytestmark = pytest.mark.browser

# An element that scrolls on its own: its content is taller than it and it may scroll.
NESTED_SCROLLERS = """() => [...document.querySelectorAll('body *')].filter(e => {
  const s = getComputedStyle(e);
  return /auto|scroll/.test(s.overflowY) && e.scrollHeight > e.clientHeight + 1;
}).map(e => e.tagName.toLowerCase() + '.' + e.className)"""


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
    fien.locator("[data-key=step-next]").click()
    expect(fien.get_by_role("heading", name="Settings")).to_be_attached()
    assert fien.evaluate(NESTED_SCROLLERS) == []
    end = fien.get_by_role("button", name="End the session", exact=True)
    end.scroll_into_view_if_needed()
    expect(end).to_be_in_viewport()
