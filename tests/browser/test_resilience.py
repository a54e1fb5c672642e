"""What people write while the server is gone is kept, and sent once when it is back."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.support import LiveServer

from .conftest import Wire, join, next_step_anyway, screenshot

pytestmark = pytest.mark.browser


def test_server_restart_keeps_everything(tmp_path, pages):
    live = LiveServer(tmp_path / "instance").start()
    restarted = None
    try:
        created = live.create_session(title="Herstart")
        fien = pages.open(created["facilitator_url"])
        expect(fien.locator(".invite")).to_be_visible()
        assert "#key" not in fien.url  # the key leaves the address bar once claimed
        ayla = pages.open(width=375, height=740)
        join(ayla, live.url, created["code"], "Ayla")
        bram = pages.open(width=375, height=740)
        join(bram, live.url, created["code"], "Bram")
        fien.select_option("#case-bringer", label="Ayla")
        expect(fien.locator("[data-key=start]")).to_be_enabled()
        fien.click("[data-key=start]")
        expect(bram.locator("#f-checkin-text")).to_be_visible()

        live.kill()
        expect(bram.locator("#banner")).to_be_visible()
        bram.fill("#f-checkin-text", "Geschreven toen de server weg was.")
        bram.click("[data-key=send-checkin]")
        pending = bram.locator(".contribution.is-pending")
        expect(pending).to_contain_text("Wacht op verbinding")
        screenshot(bram, "participant-offline-375")

        restarted = LiveServer(live.instance, port=live.port).start()
        expect(bram.locator("#banner")).to_be_hidden(timeout=15000)
        expect(fien.locator("[data-region=feed] .contribution")).to_have_count(1, timeout=15000)
        expect(fien.locator("[data-region=feed]")).to_contain_text("Geschreven toen de server weg was.")
        expect(bram.locator(".contribution.is-pending")).to_have_count(0)
        # Everyone is back in the same step with the same people, nobody had to join again.
        for page in (fien, ayla, bram):
            expect(page.locator(".step-name")).to_have_text("Inchecken")
        expect(ayla.locator(".join-card")).to_have_count(0)
        bram.reload()
        expect(bram.locator("[data-region=feed] .contribution")).to_have_count(1)
    finally:
        live.stop()
        if restarted:
            restarted.stop()


def started(server, pages, title: str):
    """A started session: facilitator Fien, case bringer Ayla, and Bram, whose connection the test holds."""
    created = server.create_session(title=title)
    fien = pages.open(created["facilitator_url"])
    ayla = pages.open(width=375, height=740)
    join(ayla, server.url, created["code"], "Ayla")
    bram = pages.open(width=375, height=740)
    wire = Wire(bram)
    join(bram, server.url, created["code"], "Bram")
    fien.select_option("#case-bringer", label="Ayla")
    fien.click("[data-key=start]")
    expect(bram.locator("#f-checkin-text")).to_be_visible()
    return fien, bram, wire


def test_a_late_answer_leaves_one_copy(server, pages):
    fien, bram, wire = started(server, pages, "Traag")
    # What the server sends stalls, the connection stays open: longer than the answer's timeout.
    wire.hold()
    bram.fill("#f-checkin-text", "Rustig begonnen vandaag.")
    bram.click("[data-key=send-checkin]")
    expect(bram.locator(".contribution.is-pending")).to_contain_text("Wordt verstuurd")
    expect(fien.locator("[data-region=feed] .contribution")).to_have_count(1)
    bram.wait_for_timeout(11000)
    wire.release()
    # Its own push or answer ends the wait: one copy, sent, on both sides.
    expect(bram.locator("[data-region=feed] .contribution")).to_have_count(1)
    expect(bram.locator(".contribution.is-pending")).to_have_count(0)
    bram.wait_for_timeout(1500)  # a retry's answer arrives too; still one
    expect(bram.locator("[data-region=feed] .contribution")).to_have_count(1)
    expect(fien.locator("[data-region=feed] .contribution")).to_have_count(1)
    bram.reload()
    expect(bram.locator("[data-region=feed] .contribution")).to_have_count(1)
    expect(bram.locator(".contribution.is-pending")).to_have_count(0)


def test_written_offline_in_a_step_that_closed_comes_back(server, pages):
    question = "Wat zou er gebeuren als je niets zegt?"
    fien, bram, wire = started(server, pages, "Onderweg")
    for step in ("De casus", "Verhelderende vragen"):
        next_step_anyway(fien)
        expect(bram.locator(".step-name")).to_have_text(step)

    # Bram writes a question in step 3 without a connection; meanwhile the group goes to step 4.
    wire.cut()
    expect(bram.locator("#banner")).to_be_visible()
    bram.fill("#f-question-text", question)
    bram.click("[data-key=send-question]")
    expect(bram.locator(".contribution.is-pending")).to_contain_text("Wacht op verbinding")
    next_step_anyway(fien)
    expect(fien.locator(".step-name")).to_have_text("Perspectieven")

    # Back online: the question is not filed in step 4; it is back with Bram, editable, with why.
    wire.restore()
    expect(bram.locator("#banner")).to_be_hidden(timeout=15000)
    expect(bram.locator(".step-name")).to_have_text("Perspectieven")
    returned = bram.locator(".returned")
    expect(returned).to_contain_text("Dit schreef je bij stap 3, Verhelderende vragen.")
    field = returned.get_by_label("Je tekst")
    expect(field).to_have_value(question)
    expect(field).to_be_editable()
    expect(bram.locator(".contribution.is-pending")).to_have_count(0)
    expect(bram.locator("#f-perspective-text")).to_have_value("")
    screenshot(bram, "participant-returned-375")
    fien.wait_for_timeout(500)
    expect(fien.locator("[data-region=feed] .contribution")).to_have_count(0)
    expect(fien.locator(".history-step[data-step='2'] .count")).to_have_text("0 bijdragen")

    # A reload keeps it; Bram decides: edited, into this step's field, and sent from there.
    bram.reload()
    field = bram.locator(".returned").get_by_label("Je tekst")
    expect(field).to_have_value(question)
    field.fill("Wat zie je vanuit het perspectief van je collega?")
    bram.reload()
    expect(bram.locator(".returned").get_by_label("Je tekst")).to_have_value(
        "Wat zie je vanuit het perspectief van je collega?"
    )
    bram.get_by_role("button", name="Zet in het invoerveld").click()
    expect(bram.locator(".returned")).to_have_count(0)
    expect(bram.locator("#f-perspective-text")).to_have_value(
        "Wat zie je vanuit het perspectief van je collega?"
    )
    expect(bram.locator("#f-perspective-text")).to_be_focused()
    bram.click("[data-key=send-perspective]")
    expect(fien.locator("[data-region=feed] .contribution")).to_have_count(1)
