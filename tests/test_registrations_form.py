"""The registration form as a browser sends it: CSRF, messages next to fields, double submit."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from roadshow.events.models import EventStatus
from roadshow.mail.models import OutboxMessage
from roadshow.registrations.models import Attendee, Registration, RegistrationStatus
from tests.conftest import csrf_token_from
from tests.fixtures_registrations import form_fields

TWO = (("Max Huber", "max@huber.example"), ("Eva Huber", "eva@huber.example"))


def count(db, model) -> int:
    return db.session.scalar(select(func.count(model.id)))


def error_after(page: str, field_id: str) -> str:
    """The message shown next to a field (the ``<p class="error">`` it points to)."""
    match = re.search(rf'<p class="error" id="{re.escape(field_id)}-error">([^<]*)</p>', page)
    assert match, f"no message next to {field_id}"
    return match.group(1)


def test_a_company_registers_two_employees_and_gets_its_link(db, client, make_event, submit_form):
    event = make_event(capacity=10, title="Digital vor Ort: Weilheim")
    response = submit_form(f"/events/{event.slug}/register", form_fields(*TWO))
    assert response.status_code == 303
    thanks = client.get(response.headers["Location"])
    page = thanks.get_data(as_text=True)
    assert "Ihre Anmeldung ist bestätigt: 2 Plätze sind für Schreinerei Huber reserviert." in page
    assert thanks.headers["Referrer-Policy"] == "no-referrer"
    assert thanks.headers["Cache-Control"] == "no-store"
    assert thanks.mimetype == "text/html"
    link = re.search(r'<code class="manage-url">([^<]+)</code>', page).group(1)
    assert link.startswith("http://roadshow.example/registrations/")
    registration = db.session.scalar(select(Registration))
    assert registration.company_name == "Schreinerei Huber"
    assert registration.status is RegistrationStatus.CONFIRMED
    assert [a.name for a in registration.attendees] == ["Max Huber", "Eva Huber"]
    assert registration.newsletter_consent is False and registration.share_with_partners is False
    manage = client.get(link.removeprefix("http://roadshow.example"))
    assert "Max Huber" in manage.get_data(as_text=True)


def shown(page: str) -> str:
    """The page without the ``<template>`` that JavaScript copies for a new row."""
    return re.sub(r"<template.*?</template>", "", page, flags=re.S)


def shown_rows(page: str) -> list[tuple[str, str]]:
    """The attendee rows a person sees, as (name, email) typed in them."""
    visible = shown(page)
    rows = []
    for index in range(len(re.findall(r'class="attendee-row"', visible))):
        values = []
        for part in ("name", "email"):
            tag = re.search(rf'<input[^>]*name="attendees-{index}-{part}"[^>]*>', visible)
            assert tag, f"row {index} has no {part}"
            value = re.search(r'value="([^"]*)"', tag.group(0))
            values.append(value.group(1) if value else "")
        rows.append((values[0], values[1]))
    return rows


def add_button(page: str) -> str | None:
    """The "add person" button, if it is shown."""
    match = re.search(r'<button[^>]*name="add_attendee"[^>]*>[^<]*</button>', page)
    return None if match is None or " hidden>" in match.group(0) else match.group(0)


def test_the_form_shows_seats_consents_unticked_and_a_privacy_link(client, make_event):
    event = make_event(capacity=7, max_attendees_per_registration=3)
    page = client.get(f"/events/{event.slug}/register").get_data(as_text=True)
    assert "Noch 7 Plätze frei." in page
    assert shown_rows(page) == [("", "")]
    assert "Bis zu 3 Personen je Anmeldung" in page
    assert "Person hinzufügen" in add_button(page)
    assert 'href="/privacy"' in page
    for name in ("privacy_consent", "newsletter_consent", "share_with_partners"):
        tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', page).group(0)
        assert "checked" not in tag
    assert client.get("/privacy").status_code == 200


def test_add_person_shows_one_more_row_with_everything_typed_and_stores_nothing(
    db, client, make_event, submit_form
):
    event = make_event(max_attendees_per_registration=3)
    fields = form_fields(("Max Huber", "max@huber.example"), company_name="", add_attendee="1")
    response = submit_form(f"/events/{event.slug}/register", fields)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert shown_rows(page) == [("Max Huber", "max@huber.example"), ("", "")]
    assert 'value="Anna Huber"' in page and 'value="82362"' in page
    assert 'class="error"' not in page and "Bitte prüfen Sie" not in page  # no messages yet
    assert re.search(r'<input[^>]*autofocus[^>]*name="attendees-1-name"', page)
    assert "formnovalidate" in add_button(page)
    assert count(db, Registration) == 0 and count(db, OutboxMessage) == 0


def test_no_more_rows_than_the_event_allows_even_when_asked(db, client, make_event, submit_form):
    event = make_event(max_attendees_per_registration=2)
    url = f"/events/{event.slug}/register"
    two = form_fields(*TWO, add_attendee="1")
    page = submit_form(url, form_fields(TWO[0], add_attendee="1")).get_data(as_text=True)
    assert len(shown_rows(page)) == 2
    assert add_button(page) is None  # the maximum is reached
    page = submit_form(url, two).get_data(as_text=True)  # a client that presses it anyway
    assert shown_rows(page) == list(TWO)
    crowd = form_fields(*TWO, ("Ada", "ada@huber.example"), ("Bea", "bea@huber.example"))
    page = submit_form(url, {**crowd, "company_name": ""}).get_data(as_text=True)
    assert shown_rows(page) == list(TWO)  # rows beyond the maximum are dropped
    assert count(db, Registration) == 0


def test_a_form_with_errors_comes_back_with_the_rows_that_were_sent(
    db, client, make_event, submit_form
):
    event = make_event(max_attendees_per_registration=5)
    fields = form_fields(*TWO, company_name="")
    response = submit_form(f"/events/{event.slug}/register", fields)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert shown_rows(page) == list(TWO)
    assert "Person hinzufügen" in add_button(page)


def test_remove_person_takes_out_that_row_and_keeps_the_others(db, client, make_event, submit_form):
    event = make_event(max_attendees_per_registration=4)
    three = (*TWO, ("Ada Huber", "ada@huber.example"))
    url = f"/events/{event.slug}/register"
    response = submit_form(url, form_fields(*three, remove_attendee="1"))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert shown_rows(page) == [three[0], three[2]]
    assert "Person 2 entfernen" in shown(page) and "Person 3 entfernen" not in shown(page)
    assert 'class="error"' not in page
    for odd in ("0", "7", "-1", "x", "9" * 5000):  # the first row stays; no such row
        kept = submit_form(url, form_fields(*three, remove_attendee=odd))
        assert kept.status_code == 200
        assert shown_rows(kept.get_data(as_text=True)) == list(three)
    assert count(db, Registration) == 0


def test_every_message_is_listed_above_the_form_with_a_link_to_its_field(
    db, make_event, submit_form
):
    event = make_event()
    fields = form_fields(("Max Huber", "kaputt"), company_name="", privacy_consent=None)
    page = submit_form(f"/events/{event.slug}/register", fields).get_data(as_text=True)
    summary = re.search(r'<div class="error-summary"[^>]*>(.*?)</div>', page, re.S)
    assert 'role="alert"' in summary.group(0) and 'tabindex="-1"' in summary.group(0)
    links = re.findall(r'<a href="#([^"]+)">([^<]+)</a>', summary.group(1))
    assert links == [
        ("company_name", "Unternehmen: Bitte ausfüllen."),
        ("attendees-0-email", "E-Mail (Person 1): Bitte geben Sie eine gültige E-Mail-Adresse an."),
        ("privacy_consent", "Ohne Ihre Einwilligung können wir Sie nicht anmelden."),
    ]
    tag = re.search(r'<input[^>]*name="attendees-0-email"[^>]*>', page).group(0)
    assert 'aria-invalid="true"' in tag and 'aria-describedby="attendees-0-email-error"' in tag


def test_bad_input_gets_messages_next_to_fields_and_keeps_what_was_typed(
    db, client, make_event, submit_form
):
    event = make_event()
    fields = form_fields(
        ("Max Huber", "not-an-email"),
        ("", "eva@huber.example"),
        company_name="",
        contact_email="anna@",
        privacy_consent=None,
    )
    response = submit_form(f"/events/{event.slug}/register", fields)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert error_after(page, "company_name") == "Bitte ausfüllen."
    assert error_after(page, "contact_email") == "Bitte geben Sie eine gültige E-Mail-Adresse an."
    assert error_after(page, "attendees-0-email") == (
        "Bitte geben Sie eine gültige E-Mail-Adresse an."
    )
    assert error_after(page, "attendees-1-name") == "Bitte ausfüllen."
    assert "Ohne Ihre Einwilligung können wir Sie nicht anmelden." in page
    assert 'value="not-an-email"' in page and 'value="Max Huber"' in page
    assert 'value="eva@huber.example"' in page and 'value="anna@"' in page
    assert count(db, Registration) == 0 and count(db, OutboxMessage) == 0


def test_at_least_one_attendee_is_needed(db, make_event, submit_form):
    event = make_event()
    response = submit_form(f"/events/{event.slug}/register", form_fields())
    page = response.get_data(as_text=True)
    assert error_after(page, "attendees-0-name") == (
        "Bitte geben Sie mindestens eine teilnehmende Person an."
    )
    assert "Bitte prüfen Sie die markierten Angaben." in page
    assert count(db, Registration) == 0


def test_an_attendee_already_registered_gets_a_message_at_the_right_row(
    db, make_event, submit_form, register_company
):
    event = make_event()
    register_company(event, "Eva Huber", contact_email="x@firma.example")
    fields = form_fields(
        ("Max Huber", "max@huber.example"), ("", ""), ("Eva", "EVA.huber@Firma.example")
    )
    response = submit_form(f"/events/{event.slug}/register", fields)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert error_after(page, "attendees-2-email") == (
        "EVA.huber@Firma.example ist für diese Veranstaltung bereits angemeldet."
    )
    assert 'value="Max Huber"' in page
    assert count(db, Registration) == 1 and count(db, Attendee) == 1


def test_a_double_submitted_form_creates_one_registration(db, client, make_event):
    event = make_event()
    url = f"/events/{event.slug}/register"
    page = client.get(url).get_data(as_text=True)
    key = re.search(r'name="submission_key" type="hidden" value="([^"]+)"', page).group(1)
    data = {"csrf_token": csrf_token_from(page), "submission_key": key, **form_fields(*TWO)}
    first = client.post(url, data=data)
    second = client.post(url, data=data)
    assert first.status_code == 303
    assert second.status_code == 200
    again = second.get_data(as_text=True)
    assert "Ihre Anmeldung ist bereits eingegangen" in again
    assert "Status: bestätigt" in again
    assert count(db, Registration) == 1 and count(db, Attendee) == 2
    assert count(db, OutboxMessage) == 3  # one confirmation, two invitations
    fresh = client.get(url).get_data(as_text=True)  # a new form is a new submission
    assert key not in fresh


NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"status": EventStatus.CANCELLED}, "Diese Veranstaltung wurde abgesagt"),
        ({"starts_at": NOW - timedelta(hours=1)}, "hat bereits begonnen"),
        ({"registration_opens_at": NOW + timedelta(days=3)}, "Die Anmeldung öffnet am"),
        ({"registration_closes_at": NOW - timedelta(minutes=1)}, "Die Anmeldung ist seit"),
    ],
    ids=["cancelled", "started", "not-yet-open", "closed"],
)
def test_closed_events_say_why_on_the_form_and_refuse_a_post(
    db, client, make_event, values, message
):
    event = make_event(**values)
    url = f"/events/{event.slug}/register"
    page = client.get(url).get_data(as_text=True)
    assert message in page
    assert '<form method="post"' not in page
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    response = client.post(url, data={"csrf_token": token, **form_fields(*TWO)})
    assert response.status_code == 409
    assert message in response.get_data(as_text=True)
    assert count(db, Registration) == 0 and count(db, OutboxMessage) == 0


def test_a_draft_has_no_form(client, make_event):
    event = make_event(status=EventStatus.DRAFT)
    assert client.get(f"/events/{event.slug}/register").status_code == 404
    assert client.get(f"/events/{event.slug}").status_code == 404


def test_a_full_event_puts_the_company_on_the_waiting_list(
    db, client, make_event, submit_form, register_company
):
    event = make_event(capacity=1)
    register_company(event, "Ada")
    form = client.get(f"/events/{event.slug}/register").get_data(as_text=True)
    assert "Ihre Anmeldung kommt auf die Warteliste" in form
    response = submit_form(f"/events/{event.slug}/register", form_fields(*TWO))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Schreinerei Huber steht auf der Warteliste" in page


def test_a_post_without_csrf_token_is_refused(db, client, make_event):
    event = make_event()
    response = client.post(f"/events/{event.slug}/register", data=form_fields(*TWO))
    assert response.status_code == 400
    assert count(db, Registration) == 0


def test_ref_attributes_the_registration_to_a_partner(
    db, client, make_event, make_partner, submit_form
):
    partner = make_partner(slug="alpentel")
    event = make_event()
    detail = client.get(f"/events/{event.slug}?ref=alpentel").get_data(as_text=True)
    assert f'href="/events/{event.slug}/register?ref=alpentel"' in detail
    submit_form(f"/events/{event.slug}/register?ref=alpentel", form_fields(*TWO))
    assert db.session.scalar(select(Registration)).referral_partner_id == partner.id


def test_the_form_and_its_messages_in_english(db, client, make_event, submit_form):
    event = make_event()
    page = client.get(f"/events/{event.slug}/register?lang=en").get_data(as_text=True)
    assert "Company size" in page and "Register now" not in page
    response = submit_form(
        f"/events/{event.slug}/register?lang=en", form_fields(*TWO, company_name="")
    )
    assert error_after(response.get_data(as_text=True), "company_name") == "Please fill in."
