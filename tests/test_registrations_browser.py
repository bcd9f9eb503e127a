"""In a real Chromium: find the Mühldorf stop (the demo has no registrations there), register
two employees (the second row added in place), remove one through the self-service link of the
confirmation mail, and watch the freed seat promote the company on the waiting list. The same
form without JavaScript, and every page of the journey checked with axe-core on a phone and a
laptop, in German and English."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from roadshow.database import utcnow
from roadshow.demo import seed
from roadshow.events.models import Event
from roadshow.registrations.models import Registration, RegistrationStatus
from tests.fixtures_browser import (
    DESKTOP_VIEWPORT,
    PHONE_VIEWPORT,
    axe_violations,
    horizontal_overflow,
)
from tests.fixtures_feeds import link_in
from tests.fixtures_registrations import outbox

pytestmark = pytest.mark.browser


def fill_company(page, company: str, contact: tuple[str, str]) -> None:
    page.get_by_label("Unternehmen", exact=True).fill(company)
    page.get_by_label("Größe des Unternehmens").select_option("10-49")
    page.get_by_label("Branche").select_option("handwerk")
    page.get_by_label("PLZ").fill("82362")
    page.get_by_label("Ort", exact=True).fill("Weilheim")
    page.get_by_label("Ansprechperson", exact=True).fill(contact[0])
    page.get_by_label("E-Mail der Ansprechperson").fill(contact[1])


def fill_attendees(page, *attendees: tuple[str, str], shots=None) -> None:
    """Type the people in, pressing "Person hinzufügen" for each after the first."""
    from playwright.sync_api import expect

    for number, (name, email) in enumerate(attendees, start=1):
        if number > 1:
            page.get_by_role("button", name="Person hinzufügen").click()
            expect(page.get_by_label(f"Name (Person {number})")).to_be_focused()
            if shots is not None:
                shots(page, f"person-{number}-added")
        page.get_by_label(f"Name (Person {number})").fill(name)
        page.get_by_label(f"E-Mail (Person {number})").fill(email)


def register(page, company: str, contact: tuple[str, str], *attendees: tuple[str, str]) -> None:
    fill_company(page, company, contact)
    fill_attendees(page, *attendees)
    page.get_by_label("Datenschutzhinweise").check()
    page.locator("form.registration button.primary").click()


def test_register_two_employees_remove_one_and_promote_a_waiting_company(
    app, db, live_server, browser, shots
):
    from playwright.sync_api import expect

    seed(db.session)
    muehldorf = db.session.scalar(select(Event).where(Event.title == "Digital vor Ort: Mühldorf"))
    muehldorf.capacity = 2  # a small room, so that the waiting list matters
    muehldorf.registration_opens_at = utcnow() - timedelta(days=1)
    db.session.commit()

    ours = browser.new_context(locale="de-DE")
    page = ours.new_page()
    page.goto(live_server + "/")
    page.get_by_role("link", name="Digital vor Ort: Mühldorf", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Digital vor Ort: Mühldorf")
    expect(page.locator(".seats-left")).to_contain_text("Noch 2 Plätze frei")
    expect(page.locator("dl.facts")).to_contain_text("Haberkasten Mühldorf")
    page.get_by_role("link", name="Jetzt anmelden").click()
    expect(page.locator(".attendee-row")).to_have_count(1)  # one row to start
    shots(page, "form")
    page.evaluate("window.sameDocument = true")  # gone if the page were loaded again
    fill_company(page, "Schreinerei Huber", ("Anna Huber", "anna@huber.example"))
    fill_attendees(
        page, ("Max Huber", "max@huber.example"), ("Eva Huber", "eva@huber.example"), shots=shots
    )
    assert page.evaluate("window.sameDocument") is True  # the row came without a reload
    expect(page.locator(".attendee-row")).to_have_count(2)
    page.get_by_label("Datenschutzhinweise").check()
    shots(page, "form-filled")
    page.get_by_role("button", name="Verbindlich anmelden").click()
    expect(page.locator(".status")).to_contain_text(
        "Ihre Anmeldung ist bestätigt: 2 Plätze sind für Schreinerei Huber reserviert."
    )
    shots(page, "thanks")

    theirs = browser.new_context(locale="de-DE")
    other = theirs.new_page()
    other.goto(live_server + f"/events/{muehldorf.slug}")
    expect(other.locator(".seats-left")).to_contain_text("Ausgebucht")
    other.get_by_role("link", name="Auf die Warteliste").click()
    register(
        other,
        "Bäckerei Meier",
        ("Lena Meier", "lena@meier.example"),
        ("Lena Meier", "lena@meier.example"),
    )
    expect(other.locator(".status")).to_contain_text("Bäckerei Meier steht auf der Warteliste")
    other.get_by_role("link", name="Anmeldung verwalten").click()
    expect(other.locator(".status")).to_contain_text("auf der Warteliste")
    their_page = other.url

    db.session.expire_all()
    [confirmation] = outbox(template="registrations/confirmed", recipient="anna@huber.example")
    page.goto(link_in(confirmation.text_body, "/registrations/"))
    expect(page.locator("ul.attendees li")).to_have_count(2)
    shots(page, "self-service")
    page.get_by_role("button", name="Max Huber abmelden").click()
    expect(page.locator(".flash")).to_contain_text("Die Person ist abgemeldet")
    expect(page.locator("ul.attendees li")).to_have_count(1)
    shots(page, "one-removed")
    expect(page.locator("ul.attendees")).to_contain_text("Eva Huber")
    expect(page.locator("ul.attendees")).not_to_contain_text("Max Huber")

    other.goto(their_page)
    expect(other.locator(".status")).to_contain_text("bestätigt")
    expect(other.locator("ul.attendees")).to_contain_text("Lena Meier")

    page.goto(live_server + f"/events/{muehldorf.slug}")
    expect(page.locator(".seats-left")).to_contain_text("Ausgebucht")  # the seat is taken again
    ours.close()
    theirs.close()

    db.session.expire_all()
    statuses = {
        r.company_name: r.status
        for r in db.session.scalars(select(Registration).where(Registration.event == muehldorf))
    }
    assert statuses == {
        "Schreinerei Huber": RegistrationStatus.CONFIRMED,
        "Bäckerei Meier": RegistrationStatus.CONFIRMED,
    }
    assert [m.recipient for m in outbox(template="registrations/promoted")] == [
        "lena@meier.example"
    ]
    assert [m.recipient for m in outbox(ics_method="CANCEL")] == ["max@huber.example"]


def test_without_javascript_add_person_sends_the_form_and_keeps_what_was_typed(
    app, db, live_server, browser, shots
):
    from playwright.sync_api import expect

    seed(db.session)
    event = db.session.scalar(select(Event).where(Event.title == "Digital vor Ort: Mühldorf"))
    event.registration_opens_at = utcnow() - timedelta(days=1)
    db.session.commit()
    context = browser.new_context(locale="de-DE", java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server}/events/{event.slug}/register")
    expect(page.locator(".attendee-row")).to_have_count(1)
    fill_company(page, "Schreinerei Huber", ("Anna Huber", "anna@huber.example"))
    page.get_by_label("Name (Person 1)").fill("Max Huber")
    page.get_by_label("E-Mail (Person 1)").fill("max@huber.example")
    page.get_by_role("button", name="Person hinzufügen").click()
    expect(page.locator(".attendee-row")).to_have_count(2)
    expect(page.get_by_label("Name (Person 2)")).to_be_focused()
    expect(page.get_by_label("Name (Person 1)")).to_have_value("Max Huber")
    expect(page.get_by_label("Unternehmen", exact=True)).to_have_value("Schreinerei Huber")
    expect(page.locator(".error")).to_have_count(0)  # nothing checked yet
    shots(page, "row-added")
    page.get_by_label("Name (Person 2)").fill("Ada Irrtum")
    page.get_by_role("button", name="Person hinzufügen").click()
    page.get_by_label("Name (Person 3)").fill("Eva Huber")
    page.get_by_label("E-Mail (Person 3)").fill("eva@huber.example")
    page.get_by_role("button", name="Person 2 entfernen").click()
    expect(page.locator(".attendee-row")).to_have_count(2)
    expect(page.get_by_label("Name (Person 2)")).to_have_value("Eva Huber")
    shots(page, "row-removed")
    page.get_by_label("Datenschutzhinweise").check()
    page.get_by_role("button", name="Verbindlich anmelden").click()
    expect(page.locator(".status")).to_contain_text(
        "Ihre Anmeldung ist bestätigt: 2 Plätze sind für Schreinerei Huber reserviert."
    )
    shots(page, "thanks")
    context.close()
    db.session.expire_all()
    [registration] = db.session.scalars(select(Registration).where(Registration.event == event))
    assert [a.name for a in registration.attendees] == ["Max Huber", "Eva Huber"]


def assert_clean(page, viewport: dict) -> None:
    assert axe_violations(page) == []
    assert horizontal_overflow(page) == 0, viewport


@pytest.mark.parametrize("viewport", [DESKTOP_VIEWPORT, PHONE_VIEWPORT], ids=["desktop", "phone"])
@pytest.mark.parametrize("language", ["de", "en"])
def test_the_form_its_errors_and_the_self_service_page_are_accessible(
    app, db, live_server, browser, shots, language, viewport
):
    """axe-core finds no serious or critical problem and nothing scrolls sideways, from the
    empty form to the self-service page."""
    from playwright.sync_api import expect

    seed(db.session)
    event = db.session.scalar(select(Event).where(Event.title == "Digital vor Ort: Mühldorf"))
    event.registration_opens_at = utcnow() - timedelta(days=1)
    db.session.commit()
    english = language == "en"
    context = browser.new_context(locale="en-GB" if english else "de-DE", viewport=viewport)
    page = context.new_page()
    form = f"/events/{event.slug}/register"
    page.goto(f"{live_server}/language/{language}?next={form}")
    expect(page.locator("html")).to_have_attribute("lang", language)
    shots(page, "form")
    assert_clean(page, viewport)

    page.locator("form.registration button.primary").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Please fill in." if english else "Bitte ausfüllen.")
    shots(page, "errors")
    assert_clean(page, viewport)
    summary.get_by_role("link").first.click()
    expect(page.locator("#company_name")).to_be_focused()

    page.locator("#company_name").fill("Schreinerei Huber")
    page.locator("#company_size").select_option("10-49")
    page.locator("#industry").select_option("handwerk")
    page.locator("#postcode").fill("84453")
    page.locator("#town").fill("Mühldorf")
    page.locator("#contact_name").fill("Anna Huber")
    page.locator("#contact_email").fill("anna@huber.example")
    page.locator("#attendees-0-name").fill("Max Huber")
    page.locator("#attendees-0-email").fill("max@huber.example")
    page.locator("button.add-attendee").click()
    page.locator("#attendees-1-name").fill("Eva Huber")
    page.locator("#attendees-1-email").fill("eva@huber.example")
    page.locator("#privacy_consent").check()
    shots(page, "filled")
    assert_clean(page, viewport)
    page.locator("form.registration button.primary").click()
    expect(page.locator(".status")).to_contain_text("Schreinerei Huber")
    shots(page, "thanks")
    assert_clean(page, viewport)

    page.locator(".manage-link a.button").click()
    expect(page.locator("ul.attendees li")).to_have_count(2)
    shots(page, "self-service")
    assert_clean(page, viewport)
    page.locator("details.ticket summary").first.click()
    page.locator("details.replace summary").first.click()
    shots(page, "self-service-open")
    assert_clean(page, viewport)
    context.close()


def test_with_javascript_rows_stop_at_the_maximum_and_are_renumbered_when_one_goes(
    app, db, live_server, browser, shots
):
    from playwright.sync_api import expect

    seed(db.session)
    event = db.session.scalar(select(Event).where(Event.title == "Digital vor Ort: Mühldorf"))
    event.registration_opens_at = utcnow() - timedelta(days=1)
    event.max_attendees_per_registration = 3
    db.session.commit()
    context = browser.new_context(locale="de-DE", viewport=PHONE_VIEWPORT)
    page = context.new_page()
    page.goto(f"{live_server}/events/{event.slug}/register")
    expect(page.locator(".attendees .hint")).to_contain_text("Bis zu 3 Personen je Anmeldung")
    add = page.get_by_role("button", name="Person hinzufügen")
    add.click()
    add.click()
    expect(page.locator(".attendee-row")).to_have_count(3)
    expect(add).to_be_hidden()  # three is the most this event takes
    page.get_by_label("Name (Person 2)").fill("Ada Irrtum")
    page.get_by_label("Name (Person 3)").fill("Eva Huber")
    page.get_by_label("E-Mail (Person 3)").fill("eva@huber.example")
    shots(page, "at-the-maximum")
    page.get_by_role("button", name="Person 2 entfernen").click()
    expect(page.locator(".attendee-row")).to_have_count(2)
    expect(page.get_by_label("Name (Person 2)")).to_have_value("Eva Huber")
    expect(page.get_by_label("Name (Person 2)")).to_have_attribute("name", "attendees-1-name")
    expect(page.get_by_label("Name (Person 1)")).to_be_focused()
    expect(page.get_by_role("button", name="Person 3 entfernen")).to_have_count(0)
    expect(add).to_be_visible()
    shots(page, "one-removed")
    assert axe_violations(page) == [] and horizontal_overflow(page) == 0
    context.close()
