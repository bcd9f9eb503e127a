"""Every public page in a real Chromium, at 1280 px and 390 px, in German and English, in
the light and the dark colour scheme: no serious or critical axe-core violation, no
horizontal scrolling, and a screenshot of each."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from roadshow.events.models import Event, Tour
from tests.fixtures_browser import (
    DESKTOP_VIEWPORT,
    PHONE_VIEWPORT,
    axe_violations,
    horizontal_overflow,
)
from tests.fixtures_feeds import confirm, last_mail, link_in, path_of, subscribe
from tests.fixtures_pages import seed_demo_ahead
from tests.fixtures_settings import configure

pytestmark = pytest.mark.browser

VIEWPORTS = {"desktop": DESKTOP_VIEWPORT, "phone": PHONE_VIEWPORT}
LOCALES = {"de": "de-DE", "en": "en-GB"}
# What the start page's heading says in each language: the page is in that language.
START_HEADINGS = {"de": "Kommende Veranstaltungen", "en": "Upcoming events"}
LOGO = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40" viewBox="0 0 40 40">'
    '<rect width="40" height="40" rx="8" fill="#0a56a3"/><path d="M10 28 20 10 30 28Z" '
    'fill="#fff"/></svg>'
)


@pytest.fixture
def public_pages(app, db, client, submit_form) -> dict[str, str]:
    """The demo under an organiser's name and logo, one pending and one confirmed
    subscription; every public page's path."""
    seed_demo_ahead(db.session)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    Path(app.instance_path, "logo.svg").write_text(LOGO, "utf-8")
    configure(app, SITE_NAME="IHK für München und Oberbayern")
    weilheim = db.session.scalar(select(Event).where(Event.slug.like("%-04-06-weilheim")))
    tour = db.session.scalar(select(Tour))
    subscribe(submit_form, email="pending@baeckerei-huber.example")
    pending = last_mail("pending@baeckerei-huber.example", "calendar/confirm_subscription")
    subscribe(submit_form, email="anna@baeckerei-huber.example")
    confirmed = confirm(client, submit_form, email="anna@baeckerei-huber.example")
    manage = re.search(r'href="[^"]*(/subscriptions/[^"/]+)"', confirmed).group(1)
    return {
        "start": "/",
        "filtered": "/?town=Weilheim&kind=workshop",
        "event": f"/events/{weilheim.slug}",
        "tour": f"/tours/{tour.slug}",
        "feeds": "/calendar",
        "subscribe": "/subscribe",
        "confirm": path_of(link_in(pending.text_body, "/subscribe/confirm/")),
        "manage": manage,
        "login": "/login",
        "impressum": "/impressum",
        "datenschutz": "/datenschutz",
    }


def check_pages(page, live_server: str, paths: dict[str, str], shots, suffix: str) -> list:
    problems = []
    for name, path in paths.items():
        response = page.goto(live_server + path)
        if response is None or response.status != 200:
            problems.append((name, "status", response and response.status))
            continue
        shots(page, f"{name}-{suffix}")
        overflow = horizontal_overflow(page)
        if overflow:
            problems.append((name, "overflow", overflow))
        violations = axe_violations(page)
        if violations:
            problems.append((name, "axe", violations))
    return problems


@pytest.mark.parametrize("language", LOCALES)
@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_every_public_page_is_accessible_and_fits_the_screen(
    browser, live_server, public_pages, shots, language, viewport
):
    context = browser.new_context(locale=LOCALES[language], viewport=VIEWPORTS[viewport])
    try:
        page = context.new_page()
        page.goto(live_server + "/")
        if language != "de":  # the visitor picks the language in the header
            page.get_by_role("navigation", name="Sprache").get_by_role(
                "link", name=language.upper()
            ).click()
        assert page.get_by_role("heading", level=1).inner_text() == START_HEADINGS[language]
        logo = page.get_by_role("img", name="IHK für München und Oberbayern")
        assert logo.evaluate("img => img.complete && img.naturalWidth") == 40
        problems = check_pages(page, live_server, public_pages, shots, f"{viewport}-{language}")
    finally:
        context.close()
    assert problems == []


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_dark_scheme_is_dark_and_keeps_its_contrast(
    browser, live_server, public_pages, shots, viewport
):
    context = browser.new_context(locale="de-DE", viewport=VIEWPORTS[viewport], color_scheme="dark")
    try:
        page = context.new_page()
        page.goto(live_server + "/")
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        red, green, blue = (int(n) for n in re.findall(r"\d+", background)[:3])
        assert max(red, green, blue) < 60, background
        text = page.evaluate("getComputedStyle(document.body).color")
        assert min(int(n) for n in re.findall(r"\d+", text)[:3]) > 180, text
        problems = check_pages(page, live_server, public_pages, shots, f"{viewport}-dark")
    finally:
        context.close()
    assert problems == []


def test_every_control_shows_a_focus_ring_from_the_keyboard(browser, live_server, public_pages):
    context = browser.new_context(locale="de-DE", viewport=DESKTOP_VIEWPORT)
    try:
        page = context.new_page()
        page.goto(live_server + public_pages["event"])
        seen = set()
        for _ in range(40):
            page.keyboard.press("Tab")
            focused = page.evaluate(
                """() => { const e = document.activeElement, s = getComputedStyle(e);
                    return [e.tagName, e.textContent.trim().slice(0, 40), s.outlineStyle,
                            parseFloat(s.outlineWidth)]; }"""
            )
            tag, label, style, width = focused
            if tag == "BODY":
                break
            assert style != "none" and width >= 2, focused
            seen.add(label)
        assert "Jetzt anmelden" in seen and "In den Kalender" in seen
    finally:
        context.close()
