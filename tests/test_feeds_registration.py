"""The personal feed of one registration: the join link only for confirmed attendees."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import icalendar

from roadshow.calendar.ics import invitation
from roadshow.registrations.models import AttendeeStatus, RegistrationStatus
from tests.fixtures_feeds import cancel_event


def only_event(body: bytes) -> icalendar.Event:
    events = list(icalendar.Calendar.from_ical(body).walk("VEVENT"))
    assert len(events) == 1, body
    return events[0]


def test_confirmed_attendees_get_the_join_link_with_the_invitations_uid_and_sequence(
    client, spring_tour, make_registration_with_token, libical_read
):
    webinar = spring_tour.webinars[0]
    registration, token = make_registration_with_token(webinar, attendees=2)

    response = client.get(f"/r/{token}/calendar.ics")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert "private" in response.headers["Cache-Control"]
    event = only_event(response.data)
    assert event["URL"] == webinar.join_url
    assert webinar.join_url in str(event["DESCRIPTION"])
    assert event["STATUS"] == "CONFIRMED"
    invite = only_event(
        invitation(
            webinar,
            method="REQUEST",
            attendee_email="person0@baeckerei-huber.example",
            attendee_name="Person 0",
            organizer_email="organiser@roadshow.example",
            organizer_name="Roadshow",
            event_url="http://roadshow.example/events/x",
            dtstamp=datetime.now(UTC),
            join_url=webinar.join_url,
        )
    )
    assert (event["UID"], event["SEQUENCE"]) == (invite["UID"], invite["SEQUENCE"])
    assert "ATTENDEE" not in event and b"METHOD" not in response.data
    assert libical_read(response.data)["errors"] == 0

    again = client.get(
        f"/r/{token}/calendar.ics", headers={"If-None-Match": response.headers["ETag"]}
    )
    assert again.status_code == 304


def test_a_waiting_list_place_shows_tentative_without_join_link(
    client, spring_tour, make_registration_with_token
):
    webinar = spring_tour.webinars[1]
    _registration, token = make_registration_with_token(
        webinar, status=RegistrationStatus.WAITLISTED
    )

    event = only_event(client.get(f"/r/{token}/calendar.ics").data)

    assert event["STATUS"] == "TENTATIVE"
    assert event["SUMMARY"] == "Warteliste: Digitale Mittagspause"
    assert "webinar.roadshow.example" not in event.to_ical().decode()


def test_a_cancelled_registration_or_event_shows_cancelled_without_join_link(
    app, db, client, spring_tour, make_registration_with_token
):
    webinar = spring_tour.webinars[2]
    cancelled, cancelled_token = make_registration_with_token(webinar)
    cancelled.status = RegistrationStatus.CANCELLED
    cancelled.cancelled_at = datetime.now(UTC)
    for attendee in cancelled.attendees:
        attendee.status = AttendeeStatus.CANCELLED
    db.session.commit()

    event = only_event(client.get(f"/r/{cancelled_token}/calendar.ics").data)
    assert event["STATUS"] == "CANCELLED"
    assert event["SUMMARY"] == "Abgesagt: Digitale Mittagspause"
    assert "webinar.roadshow.example" not in event.to_ical().decode()

    _kept, kept_token = make_registration_with_token(spring_tour.webinars[3], language="en")
    cancel_event(spring_tour.webinars[3])
    event = only_event(client.get(f"/r/{kept_token}/calendar.ics").data)
    assert event["STATUS"] == "CANCELLED"
    assert event["SUMMARY"] == "Cancelled: Digitale Mittagspause"
    assert "webinar.roadshow.example" not in event.to_ical().decode()

    # After 30 days the cancelled event leaves the feed, which stays a valid calendar.
    cancelled.cancelled_at = datetime.now(UTC) - timedelta(days=31)
    db.session.commit()
    empty = client.get(f"/r/{cancelled_token}/calendar.ics")
    assert empty.status_code == 200
    assert b"BEGIN:VEVENT" not in empty.data and b"BEGIN:VTIMEZONE" in empty.data


def test_unknown_registration_tokens_answer_404(client, spring_tour, make_registration_with_token):
    _registration, token = make_registration_with_token(spring_tour.webinars[0])
    assert client.get(f"/r/{token}x/calendar.ics").status_code == 404
    assert client.get("/r/not-a-token/calendar.ics").status_code == 404
