"""The session record in the browser: takeaways and actions, downloads, attendance, deletion, follow-up.

A short session of the default method runs to its close. The case bringer keeps a
question, writes a SMART action, shortens the case for the record and downloads
the record (no names unless chosen); a participant never sees those controls.
The facilitator downloads the attendance list and the JSON, deletes the session
after typing its code, and the others see that it is gone. A follow-up session,
started from the close and from the JSON file, shows last time's action.
"""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from .conftest import join, next_step_anyway, screenshot
from .test_quality import serious

pytestmark = pytest.mark.browser

CASE = "Een collega komt steeds te laat op de overdracht. Het gaat om afdeling 3B, nachtdienst."
SHORT_CASE = "Een collega komt steeds te laat op de overdracht."
QUESTION = "Wat maakt het voor jou lastig om het te benoemen?"
ACTION = "Gesprek plannen met mijn collega over de overdracht"
# Reduced motion: nothing caught mid-fade; bypass_csp only so axe can be injected.
OPTIONS = {"reduced_motion": "reduce", "bypass_csp": True}


def go(fien, step: str, *others) -> None:
    next_step_anyway(fien)
    for page in (fien, *others):
        expect(page.locator(".step-name")).to_have_text(step)


def write(page, kind: str, text: str) -> None:
    page.fill(f"#f-{kind}-text", text)
    page.click(f"[data-key=send-{kind}]")


def fetch_download(page, selector: str):
    with page.expect_download() as info:
        page.click(selector)
    download = info.value
    return download.suggested_filename, download.path().read_bytes()


def test_record_from_close_to_deletion(server, pages, axe_script, tmp_path):
    created = server.create_session(title="Team Zuid")
    code = created["code"]
    fien = pages.open(created["facilitator_url"], **OPTIONS)
    ayla = pages.open(width=375, height=740, **OPTIONS)
    join(ayla, server.url, code, "Ayla")
    bram = pages.open(width=375, height=740, **OPTIONS)
    join(bram, server.url, code, "Bram")
    fien.select_option("#case-bringer", label="Ayla")
    fien.click("[data-key=start]")
    expect(ayla.locator(".step-name")).to_have_text("Inchecken")

    go(fien, "De casus", ayla)
    write(ayla, "case", CASE)
    go(fien, "Verhelderende vragen", bram)
    write(bram, "question", QUESTION)
    expect(ayla.locator("[data-region=feed] .contribution")).to_have_count(1)
    for step in ("Perspectieven", "Mogelijke oorzaken", "Oplossingen", "Opbrengst en acties"):
        go(fien, step)
    expect(ayla.locator(".step-name")).to_have_text("Opbrengst en acties")

    # Takeaways: the case bringer is told how to keep what helped, and sees what she kept.
    keep = ayla.locator(".keep-card")
    expect(keep).to_contain_text("Nog niets bewaard.")
    ayla.click("[data-key=keep-jump]")
    kept = ayla.locator(".history .contribution", has_text=QUESTION).locator(".mark-button.mark-keep")
    expect(kept).to_be_focused()
    kept.click()
    expect(keep.locator(".keep-item")).to_contain_text(QUESTION)
    expect(kept).to_have_attribute("aria-pressed", "true")
    keep.get_by_role("button", name=re.compile("^Niet meer bewaren")).click()
    expect(keep).to_contain_text("Nog niets bewaard.")
    expect(ayla.locator("#keep-title")).to_be_focused()
    kept.click()
    expect(keep.locator(".keep-item")).to_have_count(1)
    # Its button is named by what it shows (WCAG 2.5.3), like every control axe checks.
    expect(keep.get_by_role("button", name="Niet meer bewaren", exact=True)).to_be_visible()
    found = serious(ayla, axe_script)
    assert not found, json.dumps(found, indent=1)
    expect(bram.locator(".keep-card")).to_have_count(0)

    # A SMART action: what, who, by when, how she will know.
    expect(ayla.locator(".smart-set legend")).to_have_text("Maak het concreet")
    ayla.fill("#f-action-text", ACTION)
    ayla.fill("#f-action-who", "Ik, met de teamleider erbij")
    ayla.fill("#f-action-when", "Voor vrijdag")
    ayla.fill("#f-action-measure", "We hebben een afspraak op papier")
    ayla.click("[data-key=send-action]")
    expect(bram.locator(".contribution.kind-action")).to_contain_text("Voor vrijdag")
    screenshot(ayla, "record-takeaways-375")

    # The close: the case bringer gets the record; the others do not.
    go(fien, "Afsluiting", ayla, bram)
    record = ayla.locator("[data-region=record] .record-card")
    expect(record).to_be_visible()
    expect(ayla.locator("#main-names-no")).to_be_checked()
    expect(bram.locator("[data-region=record]")).to_be_hidden()
    expect(bram.locator(".download, .record-card, .record-tools")).to_have_count(0)

    # She shortens the case for the record; the group's view does not change.
    case = ayla.locator("#case-edit-text")
    expect(case).to_have_value(CASE)
    case.fill(SHORT_CASE)
    ayla.click("[data-key=case-save]")
    expect(ayla.locator(".case-edit .form-status")).to_have_text(
        "Opgeslagen. Het verslag gebruikt deze tekst."
    )
    expect(ayla.locator("[data-key=case-restore]")).to_be_visible()
    screenshot(ayla, "record-close-375")
    found = serious(ayla, axe_script)
    assert not found, json.dumps(found, indent=1)

    name, markdown = fetch_download(ayla, "[data-key=main-download-md]")
    assert re.fullmatch(r"intervisieverslag-\d{4}-\d\d-\d\d\.md", name), name
    text = markdown.decode("utf-8")
    assert ACTION in text and "Voor vrijdag" in text
    assert QUESTION in text  # kept, so among the takeaways
    assert SHORT_CASE in text and "3B" not in text
    assert not re.search(r"\b(Ayla|Bram|Fien)\b", text), text
    expect(ayla.locator("[data-region=record] .download-status")).to_have_text(f"Gedownload: {name}")

    name, pdf = fetch_download(ayla, "[data-key=main-download-pdf]")
    assert name.endswith(".pdf") and pdf.startswith(b"%PDF")
    (tmp_path / name).write_bytes(pdf)
    pdf_text = " ".join(page.extract_text() for page in PdfReader(tmp_path / name).pages)
    assert ACTION in " ".join(pdf_text.split()), pdf_text

    # The facilitator, at any time: the attendance list from the folded tools.
    fien.click("[data-key=record-tools]")
    screenshot(fien, "record-tools-1280")
    name, csv = fetch_download(fien, "[data-key=side-attendance]")
    assert name.endswith(".csv")
    rows = csv.decode("utf-8-sig").splitlines()
    assert rows[0].startswith("Naam;") and {r.split(";")[0] for r in rows[1:]} == {"Fien", "Ayla", "Bram"}

    # The end: the facilitator's record area; the case bringer starts a follow-up from hers.
    fien.click("[data-key=end-quick]")
    fien.click("#confirm-ok")
    expect(fien.locator("[data-region=record] .record-card")).to_be_visible()
    expect(bram.locator(".step-name")).to_have_text("De sessie is afgelopen")
    expect(bram.locator("[data-region=record]")).to_be_hidden()
    name, data = fetch_download(fien, "[data-key=main-download-json]")
    (tmp_path / "record.json").write_bytes(data)
    screenshot(fien, "record-ended-facilitator-1280")
    ayla.click("[data-key=follow-up]")
    ayla.wait_for_url(re.compile(r"/s/[A-Z0-9]+/facilitator$"))
    assert code not in ayla.url
    carried = ayla.locator(".carried")
    expect(carried).to_contain_text("Acties van vorige keer")
    expect(carried).to_contain_text(ACTION)
    expect(carried).to_contain_text("Voor vrijdag")
    # Last time's actions: for everyone and on the shared screen during the check-in, then gone.
    new_code = ayla.locator("#app").get_attribute("data-code")
    screen_url = ayla.evaluate(f"localStorage.getItem('intervisie:{new_code}:screen_url')")
    screen = pages.open(screen_url, width=1280, height=720)
    daan = pages.open(width=375, height=740)
    join(daan, server.url, new_code, "Daan")
    expect(daan.locator(".carried")).to_contain_text(ACTION)
    ayla.select_option("#case-bringer", label="Daan")
    ayla.click("[data-key=start]")
    expect(screen.locator(".step-name")).to_have_text("Inchecken")
    expect(screen.locator(".screen-carried")).to_contain_text(ACTION)
    screenshot(screen, "record-carried-screen-1280")
    next_step_anyway(ayla)
    expect(daan.locator(".step-name")).to_have_text("De casus")
    expect(screen.locator(".screen-carried")).to_be_hidden()
    expect(daan.locator(".carried")).to_have_count(0)

    # Deleting asks for the code; then everyone still there is told, and forgets the session.
    fien.click("[data-key=side-delete]")
    dialog = fien.locator(".delete-dialog")
    expect(dialog).to_be_visible()
    dialog.locator("#delete-code").fill("XYZ")
    dialog.locator("[data-key=delete-ok]").click()
    expect(dialog.locator(".form-status")).to_contain_text("Dat is niet de code van deze sessie")
    dialog.locator("#delete-code").fill(code.lower())
    dialog.locator("[data-key=delete-ok]").click()
    for page in (bram, fien):
        expect(page.locator(".gate-card h1")).to_have_text("Deze sessie is verwijderd")
    assert bram.evaluate(f"localStorage.getItem('intervisie:{code}:token')") is None
    screenshot(bram, "record-deleted-375")

    # A follow-up from the JSON file on the start page, after the session itself is gone.
    start = pages.open(f"{server.url}/", width=375, height=740)
    start.click("#follow-up summary")
    start.set_input_files("#follow-up-file", str(tmp_path / "record.json"))
    expect(start.locator("#follow-up-status")).to_have_text(
        "1 actie gevonden. Die staat klaar bij het begin van de nieuwe sessie."
    )
    expect(start.locator("#create-title-input")).to_have_value("Team Zuid")
    start.fill("#create-name", "Chen")
    start.click("#create-form button[type=submit]")
    start.wait_for_url(re.compile(r"/s/[A-Z0-9]+/facilitator$"))
    expect(start.locator(".carried")).to_contain_text(ACTION)
    screenshot(start, "record-carried-375")
