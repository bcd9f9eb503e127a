"""The personal feed of one registration: the join link only for confirmed attendees."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import icalendar

from roadshow.calendar.ics import invitation
from roadshow.events.services import cancel_event
from roadshow.extensions import db
from roadshow.registrations.models import RegistrationStatus
from roadshow.registrations.selfservice import cancel_registration
from roadshow.registrations.services import set_capacity


def only_event(body: bytes) -> icalendar.Event:
    events = list(icalendar.Calendar.from_ical(body).walk("VEVENT"))
    assert len(events) == 1, body
    return events[0]


def test_confirmed_attendees_get_the_join_link_with_the_invitations_uid_and_sequence(
    client, spring_tour, register_company, libical_read
):
    webinar = spring_tour.webinars[0]
    token = register_company(webinar, "Person 0", "Person 1").token

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
    client, spring_tour, register_company
):
    webinar = spring_tour.webinars[1]
    set_capacity(db.session, webinar, 1)
    register_company(webinar, "Ada Lovelace")  # takes the only seat
    waiting = register_company(webinar, "Person 0")
    assert waiting.registration.status is RegistrationStatus.WAITLISTED
    token = waiting.token

    event = only_event(client.get(f"/r/{token}/calendar.ics").data)

    assert event["STATUS"] == "TENTATIVE"
    assert event["SUMMARY"] == "Warteliste: Digitale Mittagspause"
    assert "webinar.roadshow.example" not in event.to_ical().decode()


def test_a_cancelled_registration_or_event_shows_cancelled_without_join_link(
    app, client, spring_tour, register_company
):
    webinar = spring_tour.webinars[2]
    outcome = register_company(webinar, "Person 0")
    cancelled, cancelled_token = outcome.registration, outcome.token
    cancel_registration(db.session, cancelled)  # as the company does on its own page
    db.session.commit()

    event = only_event(client.get(f"/r/{cancelled_token}/calendar.ics").data)
    assert event["STATUS"] == "CANCELLED"
    assert event["SUMMARY"] == "Abgesagt: Digitale Mittagspause"
    assert "webinar.roadshow.example" not in event.to_ical().decode()

    kept_token = register_company(spring_tour.webinars[3], "Person 0", language="en").token
    cancel_event(db.session, spring_tour.webinars[3])
    db.session.commit()
    event = only_event(client.get(f"/r/{kept_token}/calendar.ics").data)
    assert event["STATUS"] == "CANCELLED"
    assert event["SUMMARY"] == "Cancelled: Digitale Mittagspause"
    assert "webinar.roadshow.example" not in event.to_ical().decode()

    # After 30 days the cancelled event leaves the feed, which stays a valid calendar.
    # (Time cannot pass in a test: the cancellation is moved back instead.)
    cancelled.cancelled_at = datetime.now(UTC) - timedelta(days=31)
    db.session.commit()
    empty = client.get(f"/r/{cancelled_token}/calendar.ics")
    assert empty.status_code == 200
    assert b"BEGIN:VEVENT" not in empty.data and b"BEGIN:VTIMEZONE" in empty.data


def test_unknown_registration_tokens_answer_404(client, spring_tour, register_company):
    token = register_company(spring_tour.webinars[0]).token
    assert client.get(f"/r/{token}x/calendar.ics").status_code == 404
    assert client.get("/r/not-a-token/calendar.ics").status_code == 404


def test_an_erased_registration_opens_neither_its_page_nor_its_feed(
    client, spring_tour, register_company
):
    outcome = register_company(spring_tour.webinars[0], "Person 0")
    assert client.get(f"/registrations/{outcome.token}").status_code == 200
    assert client.get(f"/r/{outcome.token}/calendar.ics").status_code == 200

    # No erasure service exists yet: the mark it will set is set here.
    outcome.registration.anonymised_at = datetime.now(UTC)
    db.session.commit()

    assert client.get(f"/registrations/{outcome.token}").status_code == 404
    assert client.get(f"/r/{outcome.token}/calendar.ics").status_code == 404
