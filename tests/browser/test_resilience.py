"""What people write while the server is gone is kept, and sent once when it is back."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.support import LiveServer

from .conftest import join, screenshot

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
