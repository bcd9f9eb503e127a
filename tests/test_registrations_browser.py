"""In a real Chromium: find the Mühldorf stop (the demo has no registrations there), register
two employees, remove one through the self-service link, and watch the freed seat promote the
company on the waiting list."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from roadshow.database import utcnow
from roadshow.demo import seed
from roadshow.events.models import Event
from roadshow.registrations.models import Registration, RegistrationStatus
from tests.fixtures_registrations import outbox

pytestmark = pytest.mark.browser


def register(page, company: str, contact: tuple[str, str], *attendees: tuple[str, str]) -> None:
    page.get_by_label("Unternehmen", exact=True).fill(company)
    page.get_by_label("Größe des Unternehmens").select_option("10-49")
    page.get_by_label("Branche").select_option("handwerk")
    page.get_by_label("PLZ").fill("82362")
    page.get_by_label("Ort", exact=True).fill("Weilheim")
    page.get_by_label("Ansprechperson", exact=True).fill(contact[0])
    page.get_by_label("E-Mail der Ansprechperson").fill(contact[1])
    for number, (name, email) in enumerate(attendees, start=1):
        page.get_by_label(f"Name (Person {number})").fill(name)
        page.get_by_label(f"E-Mail (Person {number})").fill(email)
    page.get_by_label("Datenschutzhinweise").check()
    page.locator("form.registration button[type=submit]").click()


def test_register_two_employees_remove_one_and_promote_a_waiting_company(
    app, db, live_server, browser
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
    register(
        page,
        "Schreinerei Huber",
        ("Anna Huber", "anna@huber.example"),
        ("Max Huber", "max@huber.example"),
        ("Eva Huber", "eva@huber.example"),
    )
    expect(page.locator(".status")).to_contain_text(
        "Ihre Anmeldung ist bestätigt: 2 Plätze sind für Schreinerei Huber reserviert."
    )

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

    page.get_by_role("link", name="Anmeldung verwalten").click()
    expect(page.locator("ul.attendees li")).to_have_count(2)
    page.get_by_role("button", name="Max Huber abmelden").click()
    expect(page.locator(".flash")).to_contain_text("Die Person ist abgemeldet")
    expect(page.locator("ul.attendees li")).to_have_count(1)
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
