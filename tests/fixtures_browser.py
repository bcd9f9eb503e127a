"""A real Chromium (Debian's, driven by Playwright) and the app served on 127.0.0.1.

``live_server`` is the app of the test on a free port, in a thread, for this test only;
``browser`` is a headless Chromium; ``page`` a fresh tab in it. Without /usr/bin/chromium
(`make test` installs it as root) the tests that use them are skipped, saying so.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.fixtures_settings import configure

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The base URL of the app served over HTTP on 127.0.0.1 (ephemeral port).

    ``BASE_URL`` becomes the server's address, so links in mails and pages lead to it.
    """
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base_url = f"http://127.0.0.1:{server.server_port}"
    configure(app, BASE_URL=base_url)
    try:
        yield base_url
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def browser() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing (Debian package chromium; `make test` installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Any) -> Any:
    return browser.new_page()


# Screenshots of every journey's steps: under $ROADSHOW_SCREENSHOTS (``make screenshots``
# sets it to screenshots/), one folder per test, else in the test's temporary folder.

PHONE_VIEWPORT = {"width": 390, "height": 844}
DESKTOP_VIEWPORT = {"width": 1280, "height": 900}


class Shots:
    """``shots(page, "registered")`` saves the whole page as ``NN-registered.png``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.taken: list[Path] = []

    def __call__(self, page: Any, step: str) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{len(self.taken) + 1:02d}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        self.taken.append(path)
        return path


@pytest.fixture
def shots(request: pytest.FixtureRequest, tmp_path: Path) -> Shots:
    root = os.environ.get("ROADSHOW_SCREENSHOTS")
    name = request.node.name.replace("[", "-").replace("]", "").replace("/", "-")
    folder = (
        Path(root) / request.node.module.__name__.rsplit(".", 1)[-1] / name
        if root
        else tmp_path / "screenshots"
    )
    return Shots(folder)


# axe-core (the copy that axe-playwright-python bundles), run in the page as it is shown.

BLOCKING_IMPACTS = ("serious", "critical")


def axe_violations(page: Any, impacts: tuple[str, ...] = BLOCKING_IMPACTS) -> list[str]:
    """axe-core's violations of WCAG 2.1 A/AA (and its best practices) on the page as it is
    now, of the given impacts, one readable line each (rule, impact, the elements)."""
    import axe_playwright_python

    source = Path(axe_playwright_python.__file__).with_name("axe.min.js").read_text()
    # Evaluated through the DevTools protocol: the page's CSP (no inline script) still holds
    # for the page itself.
    page.evaluate(source)
    result = page.evaluate(
        """tags => axe.run(document, {resultTypes: ["violations"],
            runOnly: {type: "tag", values: tags}})""",
        ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"],
    )
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} — "
        + "; ".join(" ".join(node["target"]) for node in violation["nodes"][:5])
        for violation in result["violations"]
        if violation["impact"] in impacts
    ]


def horizontal_overflow(page: Any) -> int:
    """How many CSS pixels the page is wider than the window (0: no horizontal scrolling)."""
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))
