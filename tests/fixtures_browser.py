"""A real Chromium (Debian's, driven by Playwright) and the app served on 127.0.0.1.

``live_server`` is the app of the test on a free port, in a thread, for this test only;
``browser`` is a headless Chromium; ``page`` a fresh tab in it. Without /usr/bin/chromium
(`make test` installs it as root) the tests that use them are skipped, saying so.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
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
