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


def test_the_form_shows_seats_consents_unticked_and_a_privacy_link(client, make_event):
    event = make_event(capacity=7, max_attendees_per_registration=3)
    page = client.get(f"/events/{event.slug}/register").get_data(as_text=True)
    assert "Noch 7 Plätze frei." in page
    assert page.count('class="attendee-row"') == 3
    assert 'href="/privacy"' in page
    for name in ("privacy_consent", "newsletter_consent", "share_with_partners"):
        tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', page).group(0)
        assert "checked" not in tag
    assert client.get("/privacy").status_code == 200


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
