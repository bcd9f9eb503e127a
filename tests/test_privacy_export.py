"""What is stored about one person (DSGVO Art. 15): the command and the organiser's download."""

from __future__ import annotations

import json

from roadshow.accounts.models import Role
from roadshow.events.models import PartnerRole
from tests.fixtures_pages import log_in
from tests.fixtures_privacy import (
    COLLEAGUE,
    COMPANY,
    EMAIL,
    NAME,
    TYPED_EMAIL,
    exported,
    henrike_everywhere,
    register_henrike,
)


def test_the_export_holds_every_record_with_the_address_in_any_spelling(
    db, client, submit_form, runner, make_event, make_partner, make_user
):
    partner = make_partner(slug="alpentel")
    event = make_event(title="Digital vor Ort: Weilheim", partners={partner: PartnerRole.HOST})
    registration = henrike_everywhere(client, submit_form, event, ref=partner.slug)
    make_user(email=EMAIL, name=NAME, role=Role.ORGANISER)

    document = exported(runner, f" {TYPED_EMAIL.upper()} ")

    assert document["email"] == EMAIL
    [entry] = document["registrations"]
    assert entry["id"] == registration.id and entry["role"] == "contact"
    assert entry["event"]["title"] == "Digital vor Ort: Weilheim"
    assert entry["company"] == {
        "name": COMPANY,
        "size": "1-9",
        "industry": "handwerk",
        "postcode": "82362",
        "town": "Weilheim",
    }
    assert entry["contact"] == {"name": NAME, "email": TYPED_EMAIL, "phone": "+49 881 4711 0815"}
    assert entry["consents"]["newsletter"] is True
    assert entry["consents"]["privacy_consent_at"]
    assert [a["name"] for a in entry["attendees"]] == [NAME, COLLEAGUE[0]]
    [attendee] = document["attendees"]  # only her own attendance, not her colleague's
    assert attendee["email"] == TYPED_EMAIL and attendee["event_id"] == event.id
    [check_in] = document["check_ins"]
    assert check_in["attendee_id"] == attendee["id"] and check_in["method"] == "manual"
    [subscription] = document["subscriptions"]
    assert subscription["status"] == "active"
    assert subscription["consent_text_version"]
    assert subscription["subscribed_ip"] == subscription["confirmed_ip"] == "127.0.0.1"
    assert subscription["subscribed_at"] and subscription["confirmed_at"]
    assert subscription["filters"]["towns"] == ["Weilheim"]
    templates = sorted(m["template"] for m in document["messages"])
    assert "registrations/confirmed" in templates
    assert "calendar/confirm_subscription" in templates
    confirmation = next(
        m for m in document["messages"] if m["template"] == "registrations/confirmed"
    )
    assert NAME in confirmation["text_body"] and confirmation["status"] == "queued"
    assert any(e["details"].get("note") == f"Rückruf an {EMAIL}" for e in document["audit_entries"])
    assert document["account"]["name"] == NAME and document["account"]["role"] == "organiser"


def test_an_attendee_sees_the_registration_but_not_the_others_in_it(
    db, submit_form, runner, make_event
):
    register_henrike(submit_form, make_event())

    document = exported(runner, COLLEAGUE[1])

    [entry] = document["registrations"]
    assert entry["role"] == "attendee" and "contact" not in entry
    assert [a["name"] for a in entry["attendees"]] == [COLLEAGUE[0]]
    assert NAME not in json.dumps(document, ensure_ascii=False).replace(COMPANY, "")


def test_an_unknown_address_exports_empty_lists(db, runner):
    document = exported(runner, "niemand@example.org")
    assert document["registrations"] == document["messages"] == document["audit_entries"] == []
    assert document["account"] is None


def test_the_organiser_searches_by_post_and_downloads_the_same_json(
    db, client, submit_form, runner, make_event, make_user
):
    register_henrike(submit_form, make_event())
    log_in(submit_form, make_user())

    listed = client.get(f"/organiser/privacy?email={EMAIL}")
    assert "Gespeichert zu" not in listed.get_data(as_text=True)  # a query searches nothing
    found = submit_form("/organiser/privacy", {"email": TYPED_EMAIL})
    page = found.get_data(as_text=True)
    assert '<tr id="count-attendees"><th scope="row">Teilnahmen</th><td>1</td>' in page
    assert '<tr id="count-messages"><th scope="row">E-Mails</th><td>2</td>' in page
    assert 'action="/organiser/privacy/export"' in page

    download = submit_form(
        "/organiser/privacy", {"email": EMAIL}, action="/organiser/privacy/export"
    )

    assert download.status_code == 200
    assert download.headers["Content-Type"] == "application/json; charset=utf-8"
    assert download.headers["Content-Disposition"].startswith('attachment; filename="personal-')
    assert EMAIL not in download.headers["Content-Disposition"]
    assert download.headers["Cache-Control"] == "no-store"
    assert download.headers["Referrer-Policy"] == "no-referrer"
    document = download.get_json()
    cli = exported(runner, EMAIL)
    assert {k: v for k, v in document.items() if k != "exported_at"} == {
        k: v for k, v in cli.items() if k != "exported_at"
    }


def test_a_bad_address_is_told_next_to_the_field_and_kept(db, client, submit_form, make_user):
    log_in(submit_form, make_user())
    response = submit_form("/organiser/privacy", {"email": "henrike@"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert (
        '<p class="error" id="email-error">Bitte geben Sie eine gültige E-Mail-Adresse an.' in page
    )
    assert 'value="henrike@"' in page


def test_the_page_in_english(db, client, submit_form, make_event, make_user):
    register_henrike(submit_form, make_event())
    log_in(submit_form, make_user())
    response = submit_form("/organiser/privacy?lang=en", {"email": EMAIL})
    page = response.get_data(as_text=True)
    assert "Privacy: access and erasure" in page and "Stored for" in page
    assert '<th scope="row">Attendances</th><td>1</td>' in page
