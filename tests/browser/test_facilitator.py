"""The facilitator's tools: locking, the shared timer running out, removing someone, handing over."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from tests.support import ROOT

from .conftest import Wire, everyone_ready, join, screenshot

pytestmark = pytest.mark.browser


def add_seconds(page, seconds: int) -> None:
    """Shift the timer through the page's own connection (the UI only offers +1 minute).

    Sent for the state the page shows (`control`); should the page not have heard of the
    last change yet, the answer is `stale` and it is sent again once it has.
    """
    for _ in range(20):
        ack = page.evaluate(
            """(s) => import('/static/js/socket.js').then((m) => new Promise((done) => m.socket.emit(
                 'timer:control',
                 {action: 'add', seconds: s, control: Number(document.getElementById('app').dataset.control)},
                 done,
               )))""",
            seconds,
        )
        if ack.get("error") != "stale":
            break
        page.wait_for_timeout(100)
    assert ack["ok"], ack


def person_menu(page, name: str):
    row = page.locator(".people-card .person", has_text=name)
    row.locator("summary").click()
    return row


def test_facilitator_tools(server, pages):
    created = server.create_session(title="Team Noord")
    code = created["code"]
    fien = pages.open(created["facilitator_url"])
    ayla = pages.open(width=375, height=740)
    join(ayla, server.url, code, "Ayla")
    bram = pages.open(width=375, height=740)
    join(bram, server.url, code, "Bram")
    chen = pages.open(width=375, height=740)
    join(chen, server.url, code, "Chen")

    # Locked: a newcomer is told so, in their language.
    fien.check("#set-joining_locked")
    late = pages.open(f"{server.url}/s/{code}", width=375)
    late.fill("#join-name", "Daan")
    late.click(".join-card button[type=submit]")
    expect(late.locator(".join-card .form-status")).to_have_text(
        "Deze sessie is gesloten voor nieuwe deelnemers."
    )
    fien.uncheck("#set-joining_locked")
    late.click(".join-card button[type=submit]")
    expect(late.locator("#stage")).to_be_visible()

    fien.select_option("#case-bringer", label="Ayla")
    fien.click("[data-key=start]")
    group = [fien, ayla, bram, chen, late]
    for page in group:
        expect(page.locator(".step-name")).to_have_text("Inchecken")
    expect(fien.locator(".quiet")).to_contain_text("Bram")

    # Hiding a contribution takes it away from everyone else; showing it again brings it back.
    bram.fill("#f-checkin-text", "Iets wat beter niet op het scherm staat.")
    bram.click("[data-key=send-checkin]")
    written = fien.locator("[data-region=feed] .contribution", has_text="beter niet")
    written.get_by_role("button", name="Verbergen").click()
    expect(written).to_contain_text("Verborgen voor de groep")
    expect(ayla.locator("[data-region=feed] .contribution")).to_have_count(0)
    written.get_by_role("button", name="Weer tonen").click()
    expect(ayla.locator("[data-region=feed] .contribution")).to_have_count(1)

    # The timer: one minute left is announced; time's up shows everywhere at once.
    fien.click("[data-key=timer-start]")
    expect(bram.locator("#timer")).to_have_attribute("data-state", "running")
    add_seconds(fien, -(300 - 62))
    expect(bram.locator("#announcer")).to_have_text("Nog één minuut.", timeout=8000)
    add_seconds(fien, -58)
    for page in group:
        expect(page.locator("#timer")).to_have_attribute("data-state", "expired", timeout=8000)
    expect(bram.locator(".times-up")).to_be_visible()
    expect(bram.locator("#announcer")).to_have_text("De tijd is om.")
    expect(bram.locator("#timer .timer-clock")).to_have_text("0:00")
    screenshot(bram, "participant-times-up-375")
    fien.click("[data-key=timer-add]")
    expect(bram.locator("#timer")).to_have_attribute("data-state", "running")
    expect(bram.locator(".times-up")).to_have_count(0)

    # Sound can be muted per person, and stays muted after a reload.
    bram.click("#sound-toggle")
    expect(bram.locator("#sound-toggle")).to_have_attribute("aria-pressed", "false")
    bram.reload()
    expect(bram.locator("#sound-toggle")).to_have_attribute("aria-pressed", "false")

    # Ready: the facilitator sees who is done.
    bram.click("[data-key=ready]")
    expect(fien.locator(".people-card .person", has_text="Bram").locator(".ready-tag")).to_be_visible()

    # Removing someone asks first; the removed person is told, and their sign-in stops working.
    person_menu(fien, "Chen").get_by_role("button", name="Haal Chen uit de sessie").click()
    expect(fien.locator("#confirm")).to_be_visible()
    fien.click("#confirm-ok")
    expect(chen.locator(".gate-card h1")).to_have_text("Je doet niet meer mee")
    expect(fien.locator(".people-card .person", has_text="Chen")).to_have_count(0)
    chen.reload()
    expect(chen.locator("#join-name")).to_be_visible()

    # Handing over: Bram becomes the facilitator and gets the controls; Fien takes it back with her link.
    person_menu(fien, "Bram").get_by_role("button", name="Geef de begeleiding aan Bram").click()
    fien.click("#confirm-ok")
    bram.wait_for_url(re.compile(r"/facilitator$"))
    expect(bram.locator("[data-key=step-next]")).to_be_visible()
    expect(fien.locator("[data-key=step-next]")).to_have_count(0)
    expect(fien.locator(".role-badge")).to_have_text("Jij denkt mee")
    screenshot(bram, "new-facilitator-375")
    fien.click("[data-key=take-back]")
    expect(fien.locator("[data-key=step-next]")).to_be_visible()
    expect(bram.locator("[data-key=step-next]")).to_have_count(0)
    expect(bram.locator(".role-badge")).to_have_text("Jij denkt mee")

    # Moving between steps from the step plan, then ending.
    fien.locator(".plan-step", has_text="Verhelderende vragen").click()
    expect(ayla.locator(".step-name")).to_have_text("Verhelderende vragen")
    fien.click("[data-key=step-prev]")
    expect(ayla.locator(".step-name")).to_have_text("De casus")
    fien.click("[data-key=end]")
    fien.click("#confirm-ok")
    expect(ayla.locator(".step-name")).to_have_text("De sessie is afgelopen")


STALE = json.loads((ROOT / "intervisie/translations/nl.json").read_text())["error.stale"]


def test_a_double_click_moves_one_step_and_an_old_tab_is_told(server, pages):
    created = server.create_session(title="Dubbel")
    fien = pages.open()
    sent = []
    fien.on("websocket", lambda ws: ws.on("framesent", lambda frame: sent.append(frame)))
    fien.goto(created["facilitator_url"])
    ayla = pages.open(width=375, height=740)
    join(ayla, server.url, created["code"], "Ayla")
    bram = pages.open(width=375, height=740)
    join(bram, server.url, created["code"], "Bram")
    fien.select_option("#case-bringer", label="Ayla")
    fien.click("[data-key=start]")
    expect(bram.locator(".step-name")).to_have_text("Inchecken")

    # A double click on "next step" in step 1 sends once: the group is in step 2, not 3.
    everyone_ready(fien, [ayla, bram])  # so 'next step' asks nothing first
    fien.dblclick("[data-key=step-next]")
    expect(bram.locator(".step-name")).to_have_text("De casus")
    fien.wait_for_timeout(500)  # time for a second step to arrive, were one sent
    expect(bram.locator(".step-name")).to_have_text("De casus")
    expect(fien.locator(".step-name")).to_have_text("De casus")
    assert sum('"step:go"' in str(frame) for frame in sent) == 1, sent
    expect(fien.locator("#toast")).to_be_hidden()

    # A second tab of the same facilitator that has not yet heard of the last change acts on
    # the step it shows: the server refuses it, the tab says so calmly and shows where the group is.
    second = fien.context.new_page()
    wire = Wire(second)
    second.goto(f"{server.url}/s/{created['code']}/facilitator")
    expect(second.locator(".step-name")).to_have_text("De casus")
    wire.hold()
    everyone_ready(fien, [ayla, bram])
    fien.click("[data-key=step-next]")
    expect(bram.locator(".step-name")).to_have_text("Verhelderende vragen")
    expect(second.locator(".step-name")).to_have_text("De casus")
    second.click("[data-key=step-next]")
    # On its way: the controls wait for the answer, and keep the focus.
    expect(second.locator("[data-key=step-next]")).to_have_attribute("aria-disabled", "true")
    expect(second.locator("[data-key=step-next]")).to_be_focused()
    second.locator("[data-key=step-next]").dispatch_event("click")  # ignored while waiting
    wire.release()
    expect(second.locator("#toast")).to_have_text(STALE)
    expect(second.locator(".step-name")).to_have_text("Verhelderende vragen")
    expect(second.locator("[data-key=step-next]")).not_to_have_attribute("aria-disabled", "true")
    fien.wait_for_timeout(300)
    for page in (fien, ayla, bram):
        expect(page.locator(".step-name")).to_have_text("Verhelderende vragen")


def test_the_facilitator_link_on_a_new_device_signs_the_old_one_out(server, pages):
    created = server.create_session(title="Team Zuid")
    old = pages.open(created["facilitator_url"])
    expect(old.locator("#app")).to_have_attribute("data-control", re.compile(r"\d+"))
    laptop = pages.open(created["facilitator_url"])
    expect(laptop.locator("#app")).to_have_attribute("data-control", re.compile(r"\d+"))
    expect(old.get_by_role("heading", name="Je bent hier afgemeld")).to_be_visible()
    assert old.evaluate("Object.keys(localStorage).filter((k) => k.includes('token'))") == []
    expect(laptop.get_by_role("heading", name="Je bent hier afgemeld")).to_have_count(0)
