"""From the registration form to the attendee's calendar, through the real SMTP server.

Companies register on the form and through the API, one attendee is removed on the
self-service page (which promotes a waiting company), the organiser moves the event by an
hour on the organiser page and then cancels it. What arrives at the SMTP server is parsed
by three parsers that are not ours and applied in order to a calendar, which ends with the
event cancelled at its new time.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from roadshow.accounts.models import Role
from roadshow.extensions import db
from roadshow.mail.delivery import deliver_all_due
from roadshow.registrations.models import Registration, RegistrationStatus
from tests.conftest import csrf_token_from
from tests.fixtures_feeds import berlin, next_year
from tests.fixtures_mail import CalendarApp, agree, calendar_parsers, calendar_parts
from tests.fixtures_planning import press
from tests.fixtures_registrations import form_fields

# Registration needs an event ahead: 18:00 CEST on 6 July of next year.
SUMMER = berlin(next_year(), 7, 6, 18)


def delivered_calendars(sink, address: str) -> list[bytes]:
    """The calendar parts that reached ``address`` in order (the company's own mails have
    none), each with the MIME ``method=`` equal to the METHOD inside."""
    calendars = []
    for received in sink.to(address):
        if not any(p.get_content_type() == "text/calendar" for p in received.message.walk()):
            continue
        inline, attached = calendar_parts(received.message)
        ics = inline.get_payload(decode=True)
        assert attached.get_payload(decode=True) == ics
        assert f"METHOD:{inline.get_param('method')}" in ics.decode()
        calendars.append(ics)
    return calendars


def registration_of(email: str) -> Registration:
    return db.session.scalars(
        db.select(Registration).where(Registration.contact_email == email)
    ).one()


def test_register_remove_promote_move_cancel_ends_in_the_calendar(
    app, client, submit_form, smtp_sink, make_event, make_user
):
    event = make_event(
        title="Digital vor Ort: Weilheim",
        starts_at=SUMMER,
        ends_at=SUMMER + timedelta(hours=3),
        capacity=4,
        registration_opens_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    # A German company registers two employees on the form.
    response = submit_form(
        f"/events/{event.slug}/register",
        form_fields(("Anna Huber", "anna@huber.example"), ("Max Huber", "max@huber.example")),
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    # An English company registers two through the API.
    api = client.post(
        f"/api/v1/events/{event.id}/registrations",
        json={
            "company": {
                "name": "Smith Ltd",
                "size": "10-49",
                "industry": "handwerk",
                "postcode": "82362",
                "town": "Weilheim",
            },
            "contact": {"name": "Cleo Smith", "email": "cleo@smith.example"},
            "attendees": [
                {"name": "Cleo Smith", "email": "cleo@smith.example"},
                {"name": "Dan Smith", "email": "dan@smith.example"},
            ],
            "privacy_consent": True,
            "language": "en",
        },
    )
    assert api.status_code == 201 and api.json["status"] == "confirmed", api.json
    # The event is full: a third company waits.
    waiting = submit_form(
        f"/events/{event.slug}/register",
        form_fields(
            ("Eva Wagner", "eva@wagner.example"),
            contact_name="Eva Wagner",
            contact_email="eva@wagner.example",
        ),
    )
    assert waiting.status_code == 303
    assert registration_of("eva@wagner.example").status is RegistrationStatus.WAITLISTED

    report = deliver_all_due(db.session)
    assert report.failed == 0 and report.sent >= 6

    # The confirmation carries the self-service link; Anna uses it to remove Max.
    confirmation = next(
        m.message for m in smtp_sink.to("anna@huber.example") if "bestätigt" in m.message["Subject"]
    )
    text = confirmation.get_body(("plain",)).get_content()
    manage_path = re.search(r"http://roadshow\.example(/registrations/[^\s]+)", text).group(1)
    page = client.get(manage_path).get_data(as_text=True)
    assert "Max Huber" in page and "Anna Huber" in page
    max_id = next(
        a.id for a in registration_of("anna@huber.example").attendees if a.name == "Max Huber"
    )
    removed = client.post(
        f"{manage_path}/attendees/{max_id}/remove", data={"csrf_token": csrf_token_from(page)}
    )
    assert removed.status_code in (302, 303)
    assert registration_of("eva@wagner.example").status is RegistrationStatus.CONFIRMED
    deliver_all_due(db.session)

    # The organiser moves the event by an hour on the organiser page (after the preview of
    # who will be told), then cancels it.
    make_user(email="olga@roadshow.example", password="organiser-password", role=Role.ORGANISER)
    submit_form("/login", {"email": "olga@roadshow.example", "password": "organiser-password"})
    edit = f"/organiser/events/{event.id}/edit"
    moved = submit_form(
        edit,
        {
            "starts_at": f"{SUMMER.year}-07-06T19:00",
            "ends_at": f"{SUMMER.year}-07-06T22:00",
            "venue_id": str(event.venue_id),
            "join_url": "",
        },
    )
    assert "aktualisierte Einladung" in moved.get_data(as_text=True)  # the preview first
    saved = press(client, moved.get_data(as_text=True), edit, "confirm")
    assert saved.status_code in (302, 303), saved.get_data(as_text=True)
    deliver_all_due(db.session)
    cancelled = submit_form(edit, {"confirm": "y"}, action=f"/organiser/events/{event.id}/cancel")
    assert cancelled.status_code in (302, 303)
    deliver_all_due(db.session)

    moved_start = f"{SUMMER.year}-07-06T17:00:00Z"
    for address in ("anna@huber.example", "cleo@smith.example", "dan@smith.example"):
        calendars = delivered_calendars(smtp_sink, address)
        readings = [agree(calendar_parsers(ics)) for ics in calendars]
        assert [r["method"] for r in readings] == ["REQUEST", "REQUEST", "CANCEL"], address
        assert [r["sequence"] for r in readings] == [0, 1, 2]
        assert {r["uid"] for r in readings} == {event.uid}
        assert readings[1]["start"] == moved_start
        calendar = CalendarApp()
        for ics in calendars:
            calendar.apply(ics)
        assert calendar.entries[event.uid]["status"] == "CANCELLED"
        assert calendar.entries[event.uid]["start"] == SUMMER + timedelta(hours=1)

    # Max was invited, then uninvited: his calendar no longer has the event.
    max_calendar = CalendarApp()
    max_calendars = delivered_calendars(smtp_sink, "max@huber.example")
    assert [agree(calendar_parsers(ics))["method"] for ics in max_calendars] == [
        "REQUEST",
        "CANCEL",
    ]
    for ics in max_calendars:
        max_calendar.apply(ics)
    assert event.uid not in max_calendar.entries

    # Eva, promoted after the event's first invitations, follows the same event to the end.
    eva = [
        agree(calendar_parsers(ics)) for ics in delivered_calendars(smtp_sink, "eva@wagner.example")
    ]
    assert [r["method"] for r in eva] == ["REQUEST", "REQUEST", "CANCEL"]

    # The English company reads English subjects; the German one German.
    assert any(
        m.message["Subject"].startswith("Cancelled") for m in smtp_sink.to("cleo@smith.example")
    )
    assert any(
        m.message["Subject"].startswith("Abgesagt") for m in smtp_sink.to("anna@huber.example")
    )
