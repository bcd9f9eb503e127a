"""Calendar invitations as calendars read them: three parsers that are not ours, in UTC.

Every calendar part is checked by libical (with its iTIP restriction check), vobject (with
validation) and the strict ``ical`` package. The times are checked as instants in UTC, for
a summer (CEST) and a winter (CET) event in Europe/Berlin, once with the real TZID and
once with the TZID renamed to one no parser knows, so that only the VTIMEZONE we embed
can have given the answer.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import vobject

from roadshow.events.models import EventKind, EventStatus
from roadshow.events.services import cancel_event, change_event
from roadshow.extensions import db
from roadshow.mail.delivery import deliver_due
from roadshow.registrations.invitations import queue_invitation
from roadshow.registrations.services import AttendeeInput
from tests.fixtures_feeds import berlin, next_year, year_ahead_where
from tests.fixtures_mail import CalendarApp, agree, calendar_parsers, calendar_parts

SUMMER = berlin(next_year(), 7, 6, 18)  # 16:00 UTC
WINTER_YEAR = year_ahead_where(12, 7, weekday=1)  # a Tuesday
WINTER = berlin(WINTER_YEAR, 12, 7, 18)  # 17:00 UTC


def confirm(attendee, key: str) -> None:
    queue_invitation(
        db.session,
        attendee=attendee,
        method="REQUEST",
        template="registrations/invitation",
        idempotency_key=key,
    )
    db.session.commit()


def delivered_calendars(sink, address: str) -> list[bytes]:
    """The calendar parts that reached ``address``, in the order they arrived."""
    calendars = []
    for received in sink.to(address):
        inline, attached = calendar_parts(received.message)
        ics = inline.get_payload(decode=True)
        assert attached.get_payload(decode=True) == ics
        method = next(
            line.split(":", 1)[1] for line in ics.decode().splitlines() if line.startswith("METHOD")
        )
        assert inline.get_param("method") == method
        calendars.append(ics)
    return calendars


@pytest.mark.parametrize(
    ("starts_at", "local_hour_offset"), [(SUMMER, 2), (WINTER, 1)], ids=["summer", "winter"]
)
def test_every_parser_reads_the_invitation_at_the_same_instant(
    app,
    smtp_sink,
    make_event,
    make_registration,
    starts_at,
    local_hour_offset,
):
    event = make_event(starts_at=starts_at, ends_at=starts_at + timedelta(hours=3))
    attendee = make_registration(event).attendees[0]
    confirm(attendee, "confirmed")
    deliver_due(db.session)
    [ics] = delivered_calendars(smtp_sink, attendee.email)
    assert f"DTSTART;TZID=Europe/Berlin:{starts_at.year}".encode() in ics
    assert b"T180000" in ics  # 18:00 local, whatever the season

    for calendar in (ics, ics.replace(b"Europe/Berlin", b"Roadshow Test Zone")):
        reading = agree(calendar_parsers(calendar))
        assert reading["method"] == "REQUEST"
        assert reading["uid"] == event.uid
        assert reading["sequence"] == 0
        assert reading["status"] == "CONFIRMED"
        assert reading["start"] == starts_at.strftime("%Y-%m-%dT%H:%M:%SZ")
        assert reading["end"] == (starts_at + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
        assert reading["attendees"] == 1
        assert starts_at.hour + local_hour_offset == 18


def test_the_invitation_names_organizer_and_exactly_one_attendee(
    app, smtp_sink, make_event, make_registration
):
    event = make_event()
    attendee = make_registration(
        event, attendees=[('Anna "die Chefin" Müller; GF', "anna@firma.example")]
    ).attendees[0]
    confirm(attendee, "confirmed")
    sent = datetime.now(UTC).replace(microsecond=0)
    deliver_due(db.session)
    [ics] = delivered_calendars(smtp_sink, "anna@firma.example")

    calendar = vobject.readOne(ics.decode(), validate=True)
    vevent = calendar.vevent
    assert calendar.method.value == "REQUEST"
    [attendee_line] = vevent.contents["attendee"]
    assert attendee_line.value == "mailto:anna@firma.example"
    assert attendee_line.params["RSVP"] == ["TRUE"]
    assert attendee_line.params["PARTSTAT"] == ["NEEDS-ACTION"]
    assert attendee_line.params["CN"][0].replace("^'", '"') == 'Anna "die Chefin" Müller; GF'
    assert vevent.organizer.value == "mailto:organiser@roadshow.example"
    assert vevent.organizer.params["CN"] == ["Roadshow"]
    # DTSTAMP is when the message was made, in UTC.
    assert abs(vevent.dtstamp.value - sent) < timedelta(minutes=1)
    assert "VTIMEZONE" in ics.decode() and "RRULE:FREQ=YEARLY" in ics.decode()
    assert "RDATE" not in ics.decode()  # the form ical.js reads an hour off


def test_register_move_cancel_reaches_every_attendee_and_the_calendar_ends_cancelled(
    app, smtp_sink, make_event, register_company
):
    """The issue's acceptance test: three messages per attendee, all parsers accept all."""
    # Registering needs an event ahead: 18:00 CEST on 6 July of next year.
    summer = berlin(next_year(), 7, 6, 18)
    event = make_event(starts_at=summer, ends_at=summer + timedelta(hours=3))
    registration = register_company(
        event,
        attendees=[
            AttendeeInput("Anna Muster", "anna@firma.example"),
            AttendeeInput("Ben Beispiel", "ben@firma.example"),
        ],
    ).registration
    english = register_company(
        event, attendees=[AttendeeInput("Cleo Smith", "cleo@firm.example")], language="en"
    ).registration
    attendees = [*registration.attendees, *english.attendees]
    deliver_due(db.session)

    change_event(db.session, event, starts_at=summer + timedelta(hours=1))
    db.session.commit()
    deliver_due(db.session)

    cancel_event(db.session, event)
    db.session.commit()
    deliver_due(db.session)

    for attendee in attendees:
        calendars = delivered_calendars(smtp_sink, attendee.email)
        assert len(calendars) == 3
        readings = [agree(calendar_parsers(ics)) for ics in calendars]
        assert [r["method"] for r in readings] == ["REQUEST", "REQUEST", "CANCEL"]
        assert {r["uid"] for r in readings} == {event.uid}
        sequences = [r["sequence"] for r in readings]
        assert sequences == sorted(set(sequences)), "every step must raise SEQUENCE"
        assert readings[1]["start"] == f"{summer.year}-07-06T17:00:00Z"  # moved by an hour
        assert readings[2]["status"] == "CANCELLED"

        calendar = CalendarApp()
        for ics in calendars:
            calendar.apply(ics)
        assert calendar.applied == [("REQUEST", 0), ("REQUEST", 1), ("CANCEL", 2)]
        entry = calendar.entries[event.uid]
        assert entry["status"] == "CANCELLED"
        assert entry["start"] == summer + timedelta(hours=1)

        # Delivered out of order, the stale invitation does not bring the event back.
        shuffled = CalendarApp()
        for ics in (calendars[0], calendars[2], calendars[1]):
            shuffled.apply(ics)
        assert shuffled.entries[event.uid]["status"] == "CANCELLED"

    subjects = [m.message["Subject"] for m in smtp_sink.to("cleo@firm.example")]
    assert subjects[1:] == [f"Changed: {event.title}", f"Cancelled: {event.title}"]
    german = [m.message["Subject"] for m in smtp_sink.to("anna@firma.example")]
    assert german[1:] == [f"Geändert: {event.title}", f"Abgesagt: {event.title}"]


def test_the_update_says_what_changed_old_and_new_in_local_time(
    app, smtp_sink, make_event, make_registration, make_venue
):
    event = make_event(starts_at=WINTER, ends_at=WINTER + timedelta(hours=3))
    anna = make_registration(event, attendees=[("Anna", "anna@firma.example")]).attendees[0]
    make_registration(event, attendees=[("Cleo", "cleo@firm.example")], language="en")
    hall = make_venue(name="Stadthalle Mühldorf", street="Stadtplatz 3", town="Mühldorf")

    change_event(db.session, event, starts_at=WINTER + timedelta(days=1, hours=1), venue=hall)
    db.session.commit()
    deliver_due(db.session)

    german = smtp_sink.to("anna@firma.example")[0].message.get_body(("plain",)).get_content()
    # Mail writes dates out (lists and tables abbreviate them).
    assert f"bisher: Dienstag, 7. Dezember {WINTER_YEAR}, 18:00–21:00 Uhr" in german
    assert f"neu:    Mittwoch, 8. Dezember {WINTER_YEAR}, 19:00–22:00 Uhr" in german
    assert "neu:    Stadthalle Mühldorf, Stadtplatz 3, 82362 Mühldorf" in german
    english = smtp_sink.to("cleo@firm.example")[0].message.get_body(("html",)).get_content()
    assert f"<s>Tuesday, December 7, {WINTER_YEAR}, 18:00–21:00</s>" in english
    assert f"<strong>Wednesday, December 8, {WINTER_YEAR}, 19:00–22:00</strong>" in english
    inline, _ = calendar_parts(smtp_sink.to("anna@firma.example")[0].message)
    reading = agree(calendar_parsers(inline.get_payload(decode=True)))
    assert (reading["sequence"], reading["start"]) == (1, f"{WINTER_YEAR}-12-08T18:00:00Z")
    assert anna.registration.event.sequence == 1


def test_removing_one_attendee_sends_that_attendee_a_cancel_without_cancelling_the_event(
    app, smtp_sink, make_event, make_registration
):
    event = make_event()
    attendee = make_registration(event).attendees[0]
    confirm(attendee, "confirmed")
    queue_invitation(
        db.session,
        attendee=attendee,
        method="CANCEL",
        template="events/cancelled",
        idempotency_key="removed",
        context={"invitation": True},
    )
    db.session.commit()
    deliver_due(db.session)

    calendars = delivered_calendars(smtp_sink, attendee.email)
    readings = [agree(calendar_parsers(ics)) for ics in calendars]
    assert [r["method"] for r in readings] == ["REQUEST", "CANCEL"]
    # RFC 5546 §3.2.5: uninviting an attendee carries no STATUS; the event goes on.
    assert readings[1]["status"] is None
    assert event.status is EventStatus.PUBLISHED
    calendar = CalendarApp()
    for ics in calendars:
        calendar.apply(ics)
    assert calendar.entries == {}


def test_a_webinar_join_link_change_reaches_attendees_only(
    app, smtp_sink, make_event, make_registration
):
    event = make_event(kind=EventKind.WEBINAR, venue=None, join_url="https://meet.example/a")
    confirmed = make_registration(event, attendees=[("Anna", "anna@firma.example")])
    from roadshow.registrations.models import RegistrationStatus

    make_registration(
        event, attendees=[("Wim", "wim@firma.example")], status=RegistrationStatus.WAITLISTED
    )
    change_event(db.session, event, join_url="https://meet.example/b")
    db.session.commit()
    deliver_due(db.session)

    [to_anna] = smtp_sink.to(confirmed.attendees[0].email)
    inline, _ = calendar_parts(to_anna.message)
    ics = inline.get_payload(decode=True).decode()
    assert "URL:https://meet.example/b" in ics and "LOCATION:https://meet.example/b" in ics
    assert "https://meet.example/b" in to_anna.message.get_body(("plain",)).get_content()
    [to_wim] = smtp_sink.to("wim@firma.example")
    assert [p.get_content_type() for p in to_wim.message.walk()] == [
        "multipart/alternative",
        "text/plain",
        "text/html",
    ]
    assert "meet.example" not in to_wim.raw.decode()
