"""Mail hand-off: every change someone must hear about writes outbox rows in its transaction."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from roadshow.errors import DomainError
from roadshow.events.models import EventKind
from roadshow.mail.delivery import deliver_due
from roadshow.mail.models import OutboxMessage, OutboxStatus
from roadshow.registrations.models import Registration
from roadshow.registrations.selfservice import (
    add_attendee,
    cancel_registration,
    remove_attendee,
    replace_attendee,
)
from roadshow.registrations.services import AttendeeInput, register
from tests.fixtures_registrations import outbox, registration_input


def rows() -> list[tuple[str, str, str | None]]:
    return [(m.template, m.recipient, m.ics_method) for m in outbox()]


def test_a_confirmed_registration_queues_a_confirmation_and_one_invitation_each(
    db, make_event, register_company
):
    event = make_event(title="Digital vor Ort: Weilheim")
    outcome = register_company(
        event, "Ada Huber", "Max Huber", contact_email="chefin@huber.example"
    )
    assert rows() == [
        ("registrations/confirmed", "chefin@huber.example", None),
        ("registrations/invitation", "ada.huber@firma.example", "REQUEST"),
        ("registrations/invitation", "max.huber@firma.example", "REQUEST"),
    ]
    confirmation, *invitations = outbox()
    assert confirmation.status is OutboxStatus.QUEUED
    assert confirmation.registration_id == outcome.registration.id
    assert confirmation.subject == "Anmeldung bestätigt: Digital vor Ort: Weilheim"
    assert f"http://roadshow.example/registrations/{outcome.token}" in confirmation.text_body
    assert f'href="http://roadshow.example/registrations/{outcome.token}"' in (
        confirmation.html_body
    )
    assert "- Ada Huber <ada.huber@firma.example>" in confirmation.text_body
    assert confirmation.idempotency_key == f"registration:{outcome.registration.id}:confirmed"
    ada = outcome.registration.attendees[0]
    assert invitations[0].idempotency_key == f"attendee:{ada.id}:invite:{event.sequence}"
    assert "METHOD:REQUEST" in invitations[0].ics
    assert "ada.huber@firma.example" in invitations[0].ics
    assert event.uid in invitations[0].ics
    # the raw token goes to the contact only, never to the attendees
    assert all(outcome.token not in (m.text_body + m.html_body) for m in invitations)


def test_a_waiting_registration_queues_one_message_and_no_invitation(
    db, make_event, register_company
):
    event = make_event(capacity=1)
    register_company(event, "Ada")
    before = len(outbox())
    waiting = register_company(event, "Grace", "Linus", contact_email="meier@meier.example")
    new = outbox()[before:]
    assert [(m.template, m.recipient, m.ics_method) for m in new] == [
        ("registrations/waitlisted", "meier@meier.example", None)
    ]
    assert waiting.token in new[0].text_body
    assert "Warteliste" in new[0].subject


def test_promotion_removal_replacement_and_cancellation_each_tell_the_right_people(
    db, make_event, register_company
):
    event = make_event(capacity=2)
    ours = register_company(event, "Ada", "Max", contact_email="ours@firma.example")
    waiting = register_company(event, "Grace", contact_email="waiting@firma.example")
    ada, max_ = ours.registration.attendees
    start = len(outbox())

    remove_attendee(db.session, ours.registration, max_.id)
    db.session.commit()
    assert rows()[start:] == [
        ("registrations/invitation_cancelled", "max@firma.example", "CANCEL"),
        ("registrations/promoted", "waiting@firma.example", None),
        ("registrations/invitation", "grace@firma.example", "REQUEST"),
    ]
    promoted = outbox(template="registrations/promoted")[0]
    assert "Sie sind nachgerückt" in promoted.subject
    assert "ersten E-Mail" in promoted.text_body  # no raw token here: only its hash exists
    assert "METHOD:CANCEL" in outbox(ics_method="CANCEL")[0].ics

    start = len(outbox())
    replace_attendee(
        db.session, ours.registration, ada.id, AttendeeInput("Eva", "eva@firma.example")
    )
    db.session.commit()
    assert rows()[start:] == [
        ("registrations/invitation_cancelled", "ada@firma.example", "CANCEL"),
        ("registrations/invitation", "eva@firma.example", "REQUEST"),
    ]

    start = len(outbox())
    cancel_registration(db.session, waiting.registration)
    db.session.commit()
    assert rows()[start:] == [
        ("registrations/cancelled", "waiting@firma.example", None),
        ("registrations/invitation_cancelled", "grace@firma.example", "CANCEL"),
    ]
    assert (
        "- Grace <grace@firma.example>" in outbox(template="registrations/cancelled")[0].text_body
    )


def test_adding_to_a_waiting_registration_sends_no_invitation(db, make_event, register_company):
    event = make_event(capacity=0)
    waiting = register_company(event, "Ada")
    start = len(outbox())
    add_attendee(db.session, waiting.registration, AttendeeInput("Max", "max@firma.example"))
    db.session.commit()
    assert outbox()[start:] == []


def test_a_rolled_back_registration_leaves_no_outbox_row(db, make_event):
    event = make_event()
    outcome = register(db.session, event.id, registration_input("Ada", "Max"))
    assert outcome.registration.id is not None
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 3  # inside the transaction
    db.session.rollback()
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0
    assert db.session.scalar(select(func.count(Registration.id))) == 0


def test_a_refused_form_leaves_no_outbox_row(db, make_event, register_company, submit_form):
    from tests.fixtures_registrations import form_fields

    event = make_event()
    register_company(event, "Eva")
    before = len(outbox())
    response = submit_form(
        f"/events/{event.slug}/register",
        form_fields(("Max", "max@huber.example"), ("Eva", "eva@firma.example")),
    )
    assert response.status_code == 422
    assert len(outbox()) == before
    with pytest.raises(DomainError):
        register(db.session, event.id, registration_input("Eva"))
    db.session.rollback()
    assert len(outbox()) == before


def test_webinar_join_link_is_in_the_confirmation_and_invitation_only(
    db, make_event, register_company
):
    event = make_event(kind=EventKind.WEBINAR, capacity=1, join_url="https://webinar.example/j/42")
    register_company(event, "Ada")
    register_company(event, "Grace")  # waits
    confirmed = outbox(template="registrations/confirmed")[0]
    invitation = outbox(template="registrations/invitation")[0]
    waitlisted = outbox(template="registrations/waitlisted")[0]
    assert "https://webinar.example/j/42" in confirmed.text_body
    assert "https://webinar.example/j/42" in invitation.text_body
    assert "https://webinar.example/j/42" in invitation.ics
    assert "https://webinar.example/j/42" not in waitlisted.text_body + waitlisted.html_body


def test_messages_go_out_in_the_registrants_language(db, make_event, register_company):
    event = make_event(title="Digital vor Ort: Weilheim")
    register_company(event, "Ada", language="en")
    confirmation = outbox(template="registrations/confirmed")[0]
    assert confirmation.language == "en"
    assert confirmation.subject == "Registration confirmed: Digital vor Ort: Weilheim"
    assert "Your personal link to change or cancel" in confirmation.text_body
    assert outbox(template="registrations/invitation")[0].subject.startswith("Invitation: ")


def test_user_text_is_escaped_in_html_mail(db, make_event, register_company):
    event = make_event()
    register_company(event, "<b>Ada</b>", company_name="<script>x</script> GmbH")
    confirmation = outbox(template="registrations/confirmed")[0]
    assert "<script>" not in confirmation.html_body and "&lt;script&gt;" in confirmation.html_body
    assert "<b>Ada</b>" not in confirmation.html_body


def test_every_registration_mail_has_the_shared_layout(db, smtp_sink, make_event, register_company):
    event = make_event(capacity=1)
    first = register_company(event, "Ada", contact_email="first@firma.example")
    register_company(event, "Grace", contact_email="second@firm.example", language="en")
    cancel_registration(db.session, first.registration)  # Grace moves up
    db.session.commit()
    deliver_due(db.session)

    templates = {m.message_id: (m.template, m.language) for m in outbox()}
    html = {
        templates[r.message_id]: r.message.get_body(("html",)).get_content()
        for r in smtp_sink.messages
    }
    assert {template for template, _ in html} == {
        "registrations/confirmed",
        "registrations/waitlisted",
        "registrations/promoted",
        "registrations/cancelled",
        "registrations/invitation",
        "registrations/invitation_cancelled",
    }
    footer = {
        "de": "Diese Nachricht wurde automatisch versandt.",
        "en": "This message was sent automatically.",
    }
    for (template, language), body in html.items():
        assert body.lstrip().startswith("<!doctype html>"), template
        assert f'<html lang="{language}">' in body, template
        assert '<table role="presentation" class="sheet" width="600"' in body, template
        assert footer[language] in body, template
