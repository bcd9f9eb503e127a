"""What organisers do on the registrations page: register a company by hand, promote,
cancel a registration or one person, resend a confirmation. Mail goes over real SMTP."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from roadshow.accounts.models import AuditLog
from roadshow.extensions import db
from roadshow.mail.delivery import deliver_due
from roadshow.mail.models import OutboxMessage
from roadshow.registrations.models import (
    Attendee,
    AttendeeStatus,
    Registration,
    RegistrationStatus,
)
from tests.fixtures_mail import calendar_parts
from tests.fixtures_pages import log_in
from tests.fixtures_registrations import outbox

MANAGE_LINK = re.compile(r"http://roadshow\.example/registrations/([A-Za-z0-9_-]+)")


def deliver_all() -> None:
    while deliver_due(db.session).claimed:
        pass


def text_of(received) -> str:
    return received.message.get_body(("plain",)).get_content()


def has_calendar(received) -> bool:
    return any(p.get_content_type() == "text/calendar" for p in received.message.walk())


def ics_of(received) -> str:
    inline, _attached = calendar_parts(received.message)
    return inline.get_payload(decode=True).decode()


def list_url(event) -> str:
    return f"/organiser/events/{event.id}/registrations"


def audit(action: str) -> list[AuditLog]:
    return list(db.session.scalars(select(AuditLog).where(AuditLog.action == action)))


def manual_fields(**values) -> dict:
    fields = {
        "company_name": "Bäckerei Wagner",
        "contact_name": "Wilma Wagner",
        "contact_email": "wilma@wagner.example",
        "contact_phone": "+49 881 123",
        "language": "de",
        "privacy_consent": "y",
        "attendees-0-name": "Wilma Wagner",
        "attendees-0-email": "wilma@wagner.example",
        "attendees-1-name": "",
        "attendees-1-email": "",
        "attendees-2-name": "",
        "attendees-2-email": "",
    }
    fields.update(values)
    return {k: v for k, v in fields.items() if v is not None}


def test_bad_input_is_shown_next_to_the_field_and_nothing_is_written(
    db, client, submit_form, make_user, make_event, register_company
):
    event = make_event()
    register_company(event, "Ada Huber")  # ada.huber@firma.example holds a seat
    log_in(submit_form, make_user())
    new = f"/organiser/events/{event.id}/registrations/new"
    before = db.session.scalar(select(func.count(OutboxMessage.id)))

    response = submit_form(
        new, manual_fields(privacy_consent=None, contact_email="kein-at", company_name="Wagner")
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Ohne Zustimmung zum Datenschutz keine Anmeldung." in page
    assert "Bitte geben Sie eine gültige E-Mail-Adresse an." in page
    assert 'value="Wagner"' in page and 'value="kein-at"' in page

    taken = submit_form(
        new,
        manual_fields(
            **{"attendees-2-name": "Ada", "attendees-2-email": "ada.huber@firma.example"}
        ),
    )
    assert taken.status_code == 422
    page = taken.get_data(as_text=True)
    row = page[page.index('for="attendees-2-email"') :]
    assert "ada.huber@firma.example ist für diese Veranstaltung bereits angemeldet." in row
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Registration.id))) == 1
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == before
    assert audit("registration.created") == []


def test_a_manual_registration_beyond_capacity_waits_unless_overridden(
    db, client, submit_form, make_user, make_event, register_company, smtp_sink
):
    event = make_event(capacity=1)
    register_company(event, "Ada")
    organiser = make_user()
    log_in(submit_form, organiser)
    new = f"/organiser/events/{event.id}/registrations/new"

    response = submit_form(new, manual_fields())
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Bäckerei Wagner ist angemeldet (auf der Warteliste)" in page
    waiting = db.session.scalar(select(Registration).filter_by(company_name="Bäckerei Wagner"))
    assert waiting.status is RegistrationStatus.WAITLISTED

    forced = submit_form(
        new,
        manual_fields(
            company_name="Metzgerei Graf",
            contact_email="gustav@graf.example",
            override_capacity="y",
            **{"attendees-0-name": "Gustav Graf", "attendees-0-email": "gustav@graf.example"},
        ),
    )
    assert forced.status_code == 303
    db.session.expire_all()
    graf = db.session.scalar(select(Registration).filter_by(company_name="Metzgerei Graf"))
    assert graf.status is RegistrationStatus.CONFIRMED
    assert (event.seats_taken, event.capacity) == (2, 1)  # taken beyond the capacity
    [entry] = [e for e in audit("registration.created") if e.object_id == graf.id]
    assert entry.actor_id == organiser.id and entry.event_id == event.id
    assert entry.details["changes"] == [{"field": "status", "old": None, "new": "confirmed"}]
    assert entry.details["override_capacity"] and entry.details["over_capacity"]

    deliver_all()
    [invitation] = [m for m in smtp_sink.to("gustav@graf.example") if has_calendar(m)]
    assert "METHOD:REQUEST" in ics_of(invitation)
    [confirmation] = [m for m in smtp_sink.to("gustav@graf.example") if not has_calendar(m)]
    assert "Metzgerei Graf ist bestätigt" in text_of(confirmation)
    assert MANAGE_LINK.search(text_of(confirmation))
    [waiting_mail] = smtp_sink.to("wilma@wagner.example")
    assert "Warteliste" in text_of(waiting_mail)


def test_promoting_a_waiting_registration_tells_the_company(
    db, client, submit_form, make_user, make_event, register_company, smtp_sink
):
    event = make_event(capacity=2)
    register_company(event, "Ada")
    waiting = register_company(
        event, "Grace Meier", "Max Meier", company_name="Meier KG", contact_email="b@meier.example"
    )
    assert waiting.registration.status is RegistrationStatus.WAITLISTED
    organiser = make_user()
    log_in(submit_form, organiser)
    promote = f"{list_url(event)}/{waiting.registration.id}/promote"
    deliver_all()
    already = len(smtp_sink.messages)

    refused = submit_form(list_url(event), {}, action=promote)
    assert refused.status_code == 409
    assert "Dafür sind nicht genug Plätze frei (1 frei, 2 benötigt)." in refused.get_data(
        as_text=True
    )
    db.session.expire_all()
    assert db.session.get(Registration, waiting.registration.id).is_waitlisted

    response = submit_form(list_url(event), {"override_capacity": "y"}, action=promote)
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Meier KG ist nachgerückt" in page and "Niemand wartet." in page
    db.session.expire_all()
    assert db.session.get(Registration, waiting.registration.id).is_confirmed
    assert event.seats_taken == 3
    [entry] = audit("registration.promoted")
    assert entry.actor_id == organiser.id
    assert {"field": "status", "old": "waitlisted", "new": "confirmed"} in entry.details["changes"]

    deliver_all()
    new = smtp_sink.messages[already:]
    [to_company] = [m for m in new if "b@meier.example" in m.rcpt_tos]
    assert "Meier KG" in text_of(to_company) and "Platz" in text_of(to_company)
    [to_grace] = [m for m in new if "grace.meier@firma.example" in m.rcpt_tos]
    assert "METHOD:REQUEST" in ics_of(to_grace)


def test_cancelling_one_attendee_sends_a_cancel_and_promotes_the_next(
    db, client, submit_form, make_user, make_event, register_company, smtp_sink
):
    event = make_event(capacity=2)
    ours = register_company(event, "Ada Huber", "Max Huber", company_name="Huber GmbH")
    big = register_company(event, "Bea", "Ben", company_name="Gross AG")  # needs 2, waits
    small = register_company(
        event, "Cleo", company_name="Klein KG", contact_email="k@klein.example"
    )
    assert big.registration.is_waitlisted and small.registration.is_waitlisted
    organiser = make_user()
    log_in(submit_form, organiser)
    deliver_all()
    already = len(smtp_sink.messages)
    max_id = [a.id for a in ours.registration.attendees if a.name == "Max Huber"][0]

    response = submit_form(
        list_url(event),
        {},
        action=f"{list_url(event)}/{ours.registration.id}/attendees/{max_id}/cancel",
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Attendee, max_id).status is AttendeeStatus.CANCELLED
    assert db.session.get(Registration, ours.registration.id).is_confirmed
    # One seat is free: the two-person company keeps waiting, the one behind it fits.
    assert db.session.get(Registration, big.registration.id).is_waitlisted
    assert db.session.get(Registration, small.registration.id).is_confirmed
    [entry] = audit("registration.attendee_cancelled")
    assert entry.actor_id == organiser.id and entry.details["attendee_id"] == max_id
    assert entry.details["promoted"] == [small.registration.id]

    deliver_all()
    new = smtp_sink.messages[already:]
    [to_max] = [m for m in new if "max.huber@firma.example" in m.rcpt_tos]
    assert "METHOD:CANCEL" in ics_of(to_max)
    assert not [m for m in new if "ada.huber@firma.example" in m.rcpt_tos]
    assert [m for m in new if "k@klein.example" in m.rcpt_tos]  # promoted: told
    [to_cleo] = [m for m in new if "cleo@firma.example" in m.rcpt_tos]
    assert "METHOD:REQUEST" in ics_of(to_cleo)


def test_cancelling_a_registration_needs_the_confirmation(
    db, client, submit_form, make_user, make_event, register_company, smtp_sink
):
    event = make_event()
    outcome = register_company(event, "Ada Huber", company_name="Huber GmbH")
    organiser = make_user()
    log_in(submit_form, organiser)
    cancel = f"{list_url(event)}/{outcome.registration.id}/cancel"

    unconfirmed = submit_form(list_url(event), {}, action=cancel)
    assert unconfirmed.status_code == 422
    assert "Bitte bestätigen Sie die Stornierung." in unconfirmed.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Registration, outcome.registration.id).is_confirmed

    response = submit_form(list_url(event), {"confirm": "y"}, action=cancel)
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Registration, outcome.registration.id).is_cancelled
    assert event.seats_taken == 0
    [entry] = audit("registration.cancelled")
    assert entry.actor_id == organiser.id
    assert entry.details["changes"] == [{"field": "status", "old": "confirmed", "new": "cancelled"}]

    again = submit_form(list_url(event), {"confirm": "y"}, action=cancel)
    assert again.status_code == 409
    assert "Diese Anmeldung ist bereits storniert." in again.get_data(as_text=True)

    deliver_all()
    cancels = [m for m in smtp_sink.to("ada.huber@firma.example") if has_calendar(m)][1:]
    assert [ics_of(m).count("METHOD:CANCEL") for m in cancels] == [1]


def test_resending_gives_a_new_working_link_and_the_old_one_stops(
    db, client, submit_form, make_user, make_event, register_company, smtp_sink
):
    event = make_event()
    outcome = register_company(
        event, "Ada Huber", company_name="Huber GmbH", contact_email="anna@huber.example"
    )
    old_token = outcome.token
    assert client.get(f"/registrations/{old_token}").status_code == 200
    deliver_all()
    [first_invitation] = smtp_sink.to("ada.huber@firma.example")
    organiser = make_user()
    log_in(submit_form, organiser)
    resend = f"{list_url(event)}/{outcome.registration.id}/resend"
    page = client.get(list_url(event)).get_data(as_text=True)
    assert "der bisherige Link funktioniert danach nicht mehr" in page

    tokens = []
    for _round in range(2):
        response = submit_form(list_url(event), {}, action=resend)
        assert response.status_code == 303
        deliver_all()
        latest = smtp_sink.to("anna@huber.example")[-1]
        assert "Huber GmbH ist bestätigt" in text_of(latest)
        tokens.append(MANAGE_LINK.search(text_of(latest)).group(1))
    assert len(smtp_sink.to("anna@huber.example")) == 3  # the first mail and two resends
    assert old_token not in tokens and tokens[0] != tokens[1]
    assert client.get(f"/registrations/{old_token}").status_code == 404
    assert client.get(f"/registrations/{tokens[0]}").status_code == 404
    manage = client.get(f"/registrations/{tokens[1]}")
    assert manage.status_code == 200 and "Huber GmbH" in manage.get_data(as_text=True)

    invitations = smtp_sink.to("ada.huber@firma.example")
    assert len(invitations) == 3
    first, last = ics_of(first_invitation), ics_of(invitations[-1])
    uid = re.search(r"^UID:(.+)$", first, re.M).group(1)
    assert f"UID:{uid}" in last and "SEQUENCE:0" in last and "METHOD:REQUEST" in last
    assert len(audit("registration.confirmation_resent")) == 2
    assert audit("registration.confirmation_resent")[0].actor_id == organiser.id
    resent = outbox(template="registrations/confirmed")
    assert len({m.idempotency_key for m in resent}) == 3


def test_actions_on_another_events_registration_answer_404(
    db, client, submit_form, make_user, make_event, register_company
):
    event, other = make_event(), make_event()
    outcome = register_company(other, "Ada")
    log_in(submit_form, make_user())
    for path in ("cancel", "resend", "promote"):
        response = submit_form(
            list_url(event),
            {"confirm": "y"},
            action=f"{list_url(event)}/{outcome.registration.id}/{path}",
        )
        assert response.status_code == 404, path
    db.session.expire_all()
    assert db.session.get(Registration, outcome.registration.id).is_confirmed
