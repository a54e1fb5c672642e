"""Browser tests: real Chromium (Debian's /usr/bin/chromium) against a real server process.

Without Chromium the tests skip, unless CI is set: there they must run. axe-core
comes from npm into .cache/node the first time it is needed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.support import MANY_PEOPLE_ONE_ADDRESS, ROOT, LiveServer

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-gpu",
]
ARTIFACTS = ROOT / "test-artifacts"
NODE_PREFIX = ROOT / ".cache" / "node"
AXE = NODE_PREFIX / "node_modules" / "axe-core" / "axe.min.js"
# One pinned axe-core for ./dev test and for a plain pytest run: the version in `dev`.
AXE_VERSION = re.search(r"ensure_axe\(\) \{\s+local version=([0-9.]+)", (ROOT / "dev").read_text())[1]


def _axe_installed() -> str | None:
    try:
        return json.loads((AXE.parent / "package.json").read_text())["version"]
    except (OSError, ValueError, KeyError):
        return None


def _unavailable(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so the browser tests must run)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        _unavailable(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """One server for the browser tests that do not need to stop it."""
    live = LiveServer(tmp_path_factory.mktemp("browser"), env=MANY_PEOPLE_ONE_ADDRESS).start()
    yield live
    live.stop()


@pytest.fixture(scope="session")
def axe_script() -> Path:
    if not AXE.exists() or _axe_installed() != AXE_VERSION:
        npm = shutil.which("npm")
        if npm is None:
            _unavailable("npm is needed to install axe-core for the accessibility checks")
        subprocess.run(
            [
                npm,
                "install",
                "--no-save",
                "--no-audit",
                "--no-fund",
                "--prefix",
                str(NODE_PREFIX),
                f"axe-core@{AXE_VERSION}",
            ],
            check=True,
            capture_output=True,
            timeout=300,
        )
    return AXE


class Pages:
    """Opens pages, each in its own browser context (its own storage, like its own device).

    Records every request's host and every script error; the test fails on a script error.
    """

    def __init__(self, browser):
        self.browser = browser
        self.contexts = []
        self.errors: list[str] = []
        self.hosts: set[str] = set()
        self.console_errors: list[str] = []

    def open(
        self,
        url: str | None = None,
        *,
        width: int = 1280,
        height: int = 800,
        locale: str = "nl-NL",
        **context_options,
    ):
        context = self.browser.new_context(
            viewport={"width": width, "height": height}, locale=locale, **context_options
        )
        self.contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: self.errors.append(f"{page.url}: {exc}"))
        page.on("console", lambda msg: msg.type == "error" and self.console_errors.append(msg.text))
        page.on("request", lambda req: self.hosts.add(urlparse(req.url).hostname or req.url))
        if url:
            page.goto(url)
        return page

    def close(self):
        for context in self.contexts:
            context.close()


@pytest.fixture
def pages(browser):
    opened = Pages(browser)
    yield opened
    opened.close()
    assert not opened.errors, opened.errors


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def next_step_anyway(page) -> None:
    """The facilitator moves on before half the group is done: 'next step', then yes to the question it asks."""
    from playwright.sync_api import expect

    # A control still on its way (the start, the step before) would change data-control by itself and
    # pass the wait below while this click's question is still to come: act on the settled state.
    expect(page.locator("[data-key=step-next]")).not_to_have_attribute("aria-disabled", "true")
    expect(page.locator("#confirm")).not_to_have_attribute("open", "")
    before = page.locator("#app").get_attribute("data-control")
    page.click("[data-key=step-next]")
    # Either the step moves at once (enough are ready) or the facilitator is asked first.
    page.wait_for_function(
        """(before) => document.querySelector('#app').dataset.control !== before
            || document.querySelector('#confirm-ok')?.checkVisibility()""",
        arg=before or "",
    )
    if page.locator("#confirm-ok").is_visible():
        page.click("#confirm-ok")
    expect(page.locator("#app")).not_to_have_attribute("data-control", before or "")


def everyone_ready(facilitator, people) -> None:
    """Each of ``people`` says they are done with the step; the facilitator sees that all are."""
    from playwright.sync_api import expect

    for page in people:
        page.click("[data-key=ready]")
    expect(facilitator.locator(".all-ready")).to_be_visible()


def join(page, base: str, code: str, name: str) -> None:
    """Join a session by its page and a name, as a participant does."""
    from playwright.sync_api import expect

    page.goto(f"{base}/s/{code}")
    page.fill("#join-name", name)
    agree = page.locator("#join-agree")  # the group's confidentiality agreement, where it asks for one
    if agree.count():
        agree.check()
    page.click(".join-card button[type=submit]")
    expect(page.locator("#stage")).to_be_visible()


class Wire:
    """A page's live connection, routed through the test (Playwright's WebSocket routing).

    ``hold()`` keeps back what the server sends (Socket.IO packets; Engine.IO's pings pass, so
    the connection stays open) until ``release()``. ``cut()`` drops the connection and refuses
    new ones, with the browser context offline so the HTTP fallback fails too, until ``restore()``.
    Set up before the page opens the session.
    """

    def __init__(self, page):
        self.page = page
        self.holding = False
        self.offline = False
        self.held: list = []
        self.open: list = []
        page.route_web_socket(re.compile(r"/socket\.io/"), self._route)

    def _route(self, ws) -> None:
        if self.offline:
            ws.close()
            return
        server = ws.connect_to_server()
        ws.on_message(lambda message: server.send(message))
        server.on_message(lambda message: self._down(ws, message))
        self.open.append((ws, server))

    def _down(self, ws, message) -> None:
        if self.holding and isinstance(message, str) and message.startswith("4"):
            self.held.append((ws, message))
        else:
            ws.send(message)

    def hold(self) -> None:
        self.holding = True

    def release(self) -> None:
        self.holding = False
        held, self.held = self.held, []
        for ws, message in held:
            ws.send(message)

    def cut(self) -> None:
        self.offline = True
        self.page.context.set_offline(True)
        open_, self.open = self.open, []
        for ws, server in open_:
            server.close()
            ws.close()

    def restore(self) -> None:
        self.offline = False
        self.page.context.set_offline(False)
