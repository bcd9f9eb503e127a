"""The back office, the partner portal and the check-in page in a real Chromium, on a laptop
(1280 px) and a phone (390 px), in German and English: axe-core finds no serious or critical
violation and no page scrolls sideways. Then three journeys, each with screenshots of its
steps: an organiser moves a tour stop after the impact preview and finds the notices in the
outbox, checks people in on a phone, and a partner opens its report with the chart. The
landing after login is checked without a browser."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from roadshow.accounts.models import Role
from roadshow.demo import ADMIN_EMAIL, ORGANISER_EMAIL, ORGANISER_PASSWORD, PARTNER_USER_EMAIL
from roadshow.events.models import Event, Tour
from roadshow.mail.models import OutboxMessage
from roadshow.partners.models import Partner
from roadshow.registrations.models import Attendee
from tests.fixtures_browser import (
    DESKTOP_VIEWPORT,
    PHONE_VIEWPORT,
    axe_violations,
    horizontal_overflow,
)
from tests.fixtures_pages import PASSWORD, seed_demo_ahead

VIEWPORTS = {"desktop": DESKTOP_VIEWPORT, "phone": PHONE_VIEWPORT}
LOCALES = {"de": "de-DE", "en": "en-GB"}


@pytest.fixture
def demo(app, db):
    """The demo tour, seeded to lie ahead: its ids by name."""
    seed_demo_ahead(db.session)
    weilheim = db.session.scalar(select(Event).where(Event.slug.like("%-04-06-weilheim")))
    first = db.session.scalar(select(Event).order_by(Event.starts_at))
    return {
        "weilheim": weilheim.id,
        "first": first.id,
        "tour": db.session.scalar(select(Tour.id)),
        "partner": db.session.scalar(select(Partner.id).order_by(Partner.id)),
    }


def log_in_browser(page, live_server: str, email: str, language: str = "de") -> None:
    page.goto(live_server + "/login")
    page.get_by_label("E-Mail").fill(email)
    page.get_by_label("Passwort").fill(ORGANISER_PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_load_state()
    if language != "de":
        page.goto(f"{live_server}/language/{language}?next=/")


def problems_of(page, name: str) -> list[str]:
    """What a person would notice on the page as it is: axe-core's blocking violations and
    a page wider than the window."""
    found = [f"{name}: {violation}" for violation in axe_violations(page)]
    overflow = horizontal_overflow(page)
    if overflow:
        found.append(f"{name}: {overflow} px wider than the window")
    return found


def back_office_pages(ids: dict[str, int]) -> list[tuple[str, str]]:
    return [
        ("dashboard", "/organiser/"),
        ("events", "/organiser/events/"),
        ("event-edit", f"/organiser/events/{ids['weilheim']}/edit"),
        ("registrations", f"/organiser/events/{ids['weilheim']}/registrations"),
        ("tours", "/organiser/tours/"),
        ("tour-planning", f"/organiser/tours/{ids['tour']}/edit"),
        ("series-new", "/organiser/series/new"),
        ("partners", "/organiser/partners/"),
        ("reports", "/organiser/reports/"),
        ("report-event", f"/organiser/reports/events/{ids['first']}"),
        ("outbox", "/organiser/mail/"),
        ("users", "/organiser/users"),
        ("audit", "/organiser/audit/"),
        ("privacy", "/organiser/privacy"),
    ]


def open_change_preview(page, live_server: str, event_id: int) -> None:
    """The edit page with the stop moved by a day, sent: the impact preview (nothing saved)."""
    page.goto(f"{live_server}/organiser/events/{event_id}/edit")
    starts = page.locator("#starts_at").input_value()
    ends = page.locator("#ends_at").input_value()
    page.locator("#starts_at").fill(next_day(starts))
    page.locator("#ends_at").fill(next_day(ends))
    page.locator("#time-and-place button[type=submit]").click()
    page.wait_for_selector("#impact")


def next_day(local: str) -> str:
    """``2027-04-06T18:00`` → ``2027-04-07T18:00`` (a datetime-local field's value)."""
    from datetime import datetime

    moved = datetime.fromisoformat(local) + timedelta(days=1)
    return moved.strftime("%Y-%m-%dT%H:%M")


@pytest.mark.browser
@pytest.mark.parametrize("language", ["de", "en"])
@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_back_office_pages_pass_axe_and_fit_the_window(
    browser, live_server, demo, shots, language, viewport
):
    context = browser.new_context(locale=LOCALES[language], viewport=VIEWPORTS[viewport])
    page = context.new_page()
    log_in_browser(page, live_server, ADMIN_EMAIL, language)
    found: list[str] = []
    for name, path in back_office_pages(demo):
        page.goto(live_server + path)
        assert page.locator("nav.backoffice [aria-current]").count() == 1, name
        shots(page, name)
        found += problems_of(page, name)
    open_change_preview(page, live_server, demo["weilheim"])
    shots(page, "change-preview")
    found += problems_of(page, "change-preview")
    context.close()
    assert found == []


@pytest.mark.browser
@pytest.mark.parametrize("language", ["de", "en"])
def test_the_check_in_page_on_a_phone_passes_axe_and_fits(
    browser, live_server, demo, shots, language
):
    from playwright.sync_api import expect

    context = browser.new_context(locale=LOCALES[language], viewport=PHONE_VIEWPORT)
    page = context.new_page()
    log_in_browser(page, live_server, ORGANISER_EMAIL, language)
    page.goto(f"{live_server}/check-in/{demo['weilheim']}/")
    expect(page.locator("#check-in[data-ready]")).to_have_count(1)
    shots(page, "check-in")
    found = problems_of(page, "check-in")
    buttons = page.locator("ul.check-in-list li button")
    assert buttons.count() == 10
    box = buttons.first.bounding_box()
    assert box is not None and box["height"] >= 48
    assert box["width"] >= PHONE_VIEWPORT["width"] * 0.8  # the whole row, for a thumb
    context.set_offline(True)
    page.evaluate("window.dispatchEvent(new Event('offline'))")
    expect(page.locator("[data-banner]")).to_be_visible()
    shots(page, "offline")
    found += problems_of(page, "check-in offline")
    context.set_offline(False)
    context.close()
    assert found == []


@pytest.mark.browser
@pytest.mark.parametrize("language", ["de", "en"])
@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_the_partner_portal_passes_axe_and_fits(
    browser, live_server, demo, shots, language, viewport
):
    context = browser.new_context(locale=LOCALES[language], viewport=VIEWPORTS[viewport])
    page = context.new_page()
    log_in_browser(page, live_server, PARTNER_USER_EMAIL, language)
    found: list[str] = []
    for name, path in (("portal", "/partner/"), ("portal-report", "/partner/report")):
        page.goto(live_server + path)
        assert page.locator("nav.portal [aria-current]").count() == 1, name
        shots(page, name)
        found += problems_of(page, name)
    context.close()
    assert found == []


@pytest.mark.browser
def test_an_organiser_moves_a_stop_after_the_impact_preview(
    app, db, browser, live_server, demo, shots
):
    from playwright.sync_api import expect

    weilheim = db.session.get(Event, demo["weilheim"])
    before = weilheim.starts_at
    addresses = list(
        db.session.scalars(select(Attendee.email).where(Attendee.event_id == weilheim.id))
    )
    queued_before = db.session.scalar(select(func.count()).select_from(OutboxMessage))
    context = browser.new_context(locale="de-DE", viewport=DESKTOP_VIEWPORT)
    page = context.new_page()
    log_in_browser(page, live_server, ORGANISER_EMAIL)
    expect(page.get_by_role("heading", level=1)).to_have_text("Übersicht")
    shots(page, "dashboard")
    page.locator("nav.backoffice").get_by_role("link", name="Touren").click()
    page.get_by_role("link", name=weilheim.tour.title).click()
    shots(page, "tour")
    page.get_by_role("link", name=weilheim.title).click()
    shots(page, "edit")

    open_change_preview(page, live_server, weilheim.id)
    expect(page.locator("#impact")).to_contain_text(
        "10 Teilnehmende aus 7 Firmen erhalten eine aktualisierte Einladung"
    )
    expect(page.get_by_text("Noch ist nichts gespeichert.")).to_be_visible()
    shots(page, "preview")
    db.session.expire_all()
    assert db.session.get(Event, weilheim.id).starts_at == before
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == queued_before

    page.get_by_role("button", name="Speichern und benachrichtigen").click()
    page.wait_for_load_state()
    expect(page.locator(".flash")).to_be_visible()
    shots(page, "saved")
    db.session.expire_all()
    assert db.session.get(Event, weilheim.id).starts_at == before + timedelta(days=1)

    page.locator("nav.backoffice").get_by_role("link", name="Postausgang").click()
    recent = page.locator("table.recent")
    for address in addresses:
        expect(recent).to_contain_text(address)
    shots(page, "outbox")
    context.close()


@pytest.mark.browser
def test_a_partner_lands_in_the_portal_and_reads_its_chart(browser, live_server, demo, shots):
    from playwright.sync_api import expect

    context = browser.new_context(locale="de-DE", viewport=PHONE_VIEWPORT)
    page = context.new_page()
    page.goto(live_server + "/login")
    shots(page, "login")
    page.get_by_label("E-Mail").fill(PARTNER_USER_EMAIL)
    page.get_by_label("Passwort").fill(ORGANISER_PASSWORD)
    page.locator("form button[type=submit]").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ihre Veranstaltungen")
    assert page.url == live_server + "/partner/"
    shots(page, "portal")

    page.locator("nav.portal").get_by_role("link", name="Bericht").click()
    chart = page.locator("figure.chart svg")
    expect(chart).to_be_visible()
    box = chart.bounding_box()
    assert box is not None and box["width"] >= 300 and box["height"] >= 200
    title_id = chart.get_attribute("aria-labelledby")
    desc_id = chart.get_attribute("aria-describedby")
    assert chart.locator(f"title#{title_id}").text_content()
    assert "Alpentel" not in (chart.locator(f"desc#{desc_id}").text_content() or "x")
    assert chart.locator(f"desc#{desc_id}").text_content()
    assert horizontal_overflow(page) == 0
    shots(page, "report")
    context.close()


# -- where a login lands (no browser) --


def log_in_as(client, user, next_url: str | None = None):
    from tests.conftest import csrf_token_from

    query = {"next": next_url} if next_url else {}
    login_page = client.get("/login", query_string=query)
    return client.post(
        "/login",
        query_string=query,
        data={
            "csrf_token": csrf_token_from(login_page.get_data(as_text=True)),
            "email": user.email,
            "password": PASSWORD,
        },
    )


@pytest.mark.parametrize(
    ("role", "landing"),
    [(Role.ORGANISER, "/organiser/"), (Role.ADMIN, "/organiser/"), (Role.PARTNER, "/partner/")],
)
def test_a_login_lands_where_the_user_works(client, db, make_user, role, landing):
    partner = None
    if role is Role.PARTNER:
        partner = Partner(name="Alpentel", slug="alpentel")
        db.session.add(partner)
        db.session.flush()
    user = make_user(role=role, partner=partner)
    response = log_in_as(client, user)
    assert response.status_code == 302 and response.headers["Location"] == landing
    page = client.get(landing).get_data(as_text=True)
    assert 'aria-current="page"' in page


@pytest.mark.parametrize("role", [Role.ORGANISER, Role.PARTNER])
def test_a_safe_next_wins_over_the_landing_and_an_unsafe_one_does_not(
    app, client, db, make_user, role
):
    partner = None
    if role is Role.PARTNER:
        partner = Partner(name="Alpentel", slug="alpentel")
        db.session.add(partner)
        db.session.flush()
    user = make_user(role=role, partner=partner)
    landing = "/organiser/" if role is Role.ORGANISER else "/partner/"
    safe = log_in_as(client, user, "/account/password")
    assert safe.status_code == 302 and safe.headers["Location"] == "/account/password"
    unsafe = log_in_as(app.test_client(), user, "//evil.example/")  # another browser
    assert unsafe.status_code == 302 and unsafe.headers["Location"] == landing


@pytest.mark.browser
@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_back_office_portal_and_check_in_keep_their_contrast_in_the_dark(
    browser, live_server, demo, shots, viewport
):
    """With the system's dark scheme the back office is dark too, and still readable."""
    context = browser.new_context(locale="de-DE", viewport=VIEWPORTS[viewport], color_scheme="dark")
    page = context.new_page()
    log_in_browser(page, live_server, ADMIN_EMAIL)
    found: list[str] = []
    pages = [*back_office_pages(demo), ("check-in", f"/check-in/{demo['weilheim']}/")]
    for name, path in pages:
        page.goto(live_server + path)
        shots(page, f"{name}-dark")
        found += problems_of(page, f"{name} (dark)")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    context.close()
    assert found == []
    red, green, blue = (
        int(part) for part in background[background.index("(") + 1 : -1].split(",")[:3]
    )
    assert red + green + blue < 3 * 64, background  # a dark page, not the light one
