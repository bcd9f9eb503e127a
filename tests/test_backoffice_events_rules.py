"""The rules behind the planning pages: which events conflict, who a change would reach
(the same people the real notifications reach), and bad input on the forms."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from roadshow.accounts.models import AuditLog, Role
from roadshow.calendar.models import Subscriber, SubscriberStatus
from roadshow.events.conflicts import PlannedSlot, find_conflicts
from roadshow.events.models import Event, EventKind, EventStatus, PartnerRole, Venue
from roadshow.events.services import cancel_event, change_event
from roadshow.extensions import db
from roadshow.mail.models import OutboxMessage
from roadshow.registrations.impact import impact_of_cancellation, impact_of_change
from roadshow.registrations.models import RegistrationStatus
from tests.fixtures_feeds import berlin, next_year
from tests.fixtures_pages import log_in

YEAR = next_year()


def slot(**values) -> PlannedSlot:
    return PlannedSlot(
        **{
            "starts_at": berlin(YEAR, 5, 5, 18),
            "ends_at": berlin(YEAR, 5, 5, 21),
            "kind": EventKind.STOP,
            **values,
        }
    )


def test_conflicts_of_venue_speaker_and_tour_but_not_of_cancelled_events(
    db, make_event, make_venue, make_tour, make_partner
):
    venue, tour, speaker = make_venue(), make_tour(), make_partner(name="Alpentel")
    at_venue = make_event(venue=venue, starts_at=berlin(YEAR, 5, 5, 20))
    make_event(venue=venue, starts_at=berlin(YEAR, 5, 5, 21))  # starts as the slot ends
    make_event(venue=venue, starts_at=berlin(YEAR, 5, 5, 17), status=EventStatus.CANCELLED)
    draft_stop = make_event(tour=tour, starts_at=berlin(YEAR, 5, 5, 16), status=EventStatus.DRAFT)
    make_event(tour=tour, kind=EventKind.WEBINAR, starts_at=berlin(YEAR, 5, 5, 18))
    talk = make_event(
        kind=EventKind.WEBINAR,
        starts_at=berlin(YEAR, 5, 5, 19),
        partners={speaker: PartnerRole.SPEAKER},
    )
    make_event(starts_at=berlin(YEAR, 5, 5, 19), partners={speaker: PartnerRole.SPONSOR})

    conflicts = find_conflicts(
        db.session, slot(venue_id=venue.id, tour_id=tour.id, speaker_ids={speaker.id})
    )
    assert [(c.kind, c.event_id) for c in conflicts] == [
        ("venue", at_venue.id),
        ("speaker", talk.id),
        ("tour", draft_stop.id),
    ]
    assert conflicts[1].message.startswith("Alpentel hält zur selben Zeit einen Vortrag")
    # The event itself is no conflict of its own change.
    assert find_conflicts(db.session, slot(venue_id=venue.id, event_id=at_venue.id)) == []
    # A webinar in the tour does not collide with its stops.
    assert find_conflicts(db.session, slot(kind=EventKind.WEBINAR, tour_id=tour.id)) == []


def subscriber(email: str, **filters) -> Subscriber:
    row = Subscriber(
        email=email,
        email_normalized=email,
        status=SubscriberStatus.ACTIVE,
        notify_by_email=True,
        filters={k: list(v) for k, v in filters.items()},
        consent_text_version="1",
        subscribed_at=datetime.now(UTC),
    )
    db.session.add(row)
    db.session.commit()
    return row


def queued(template: str) -> int:
    return db.session.scalar(
        select(func.count(OutboxMessage.id)).where(OutboxMessage.template == template)
    )


def test_the_preview_counts_exactly_whom_the_change_then_tells(
    db, make_event, make_venue, make_registration
):
    weilheim, rosenheim = make_venue(town="Weilheim"), make_venue(town="Rosenheim")
    event = make_event(venue=weilheim)
    make_registration(event, attendees=[("A", "a@x.example"), ("B", "b@x.example")])
    make_registration(event, attendees=[("C", "c@y.example")], status=RegistrationStatus.WAITLISTED)
    make_registration(event, attendees=[("D", "d@z.example")], status=RegistrationStatus.CANCELLED)
    subscriber("alles@example.org")
    subscriber("weilheim@example.org", towns=["Weilheim"])
    subscriber("rosenheim@example.org", towns=["Rosenheim"])
    subscriber("webinare@example.org", kinds=["webinar"])

    assert impact_of_change(db.session, event, starts_at=event.starts_at).as_json() == {
        "attendees": 0,
        "registrations": 0,
        "subscribers": 0,
    }
    preview = impact_of_change(db.session, event, venue=rosenheim)
    assert preview.as_json() == {"attendees": 3, "registrations": 2, "subscribers": 2}
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0

    change_event(db.session, event, venue=rosenheim)
    db.session.commit()
    assert queued("events/changed") == preview.attendees
    assert queued("calendar/event_notice") == preview.subscribers

    cancelling = impact_of_cancellation(db.session, event)
    assert cancelling.as_json() == {"attendees": 3, "registrations": 2, "subscribers": 2}
    cancel_event(db.session, event)
    db.session.commit()
    assert queued("events/cancelled") == cancelling.attendees
    assert queued("calendar/event_notice") == preview.subscribers + cancelling.subscribers
    assert impact_of_cancellation(db.session, event).reaches_anyone is False


@pytest.fixture
def organiser(make_user, submit_form):
    user = make_user(role=Role.ORGANISER)
    log_in(submit_form, user)
    return user


def test_bad_input_on_the_new_event_form_is_shown_next_to_the_field(
    app, client, submit_form, organiser
):
    base = {
        "kind": "stop",
        "title": "Digital vor Ort",
        "tour_id": "0",
        "venue_id": "0",
        "starts_at": f"{YEAR}-05-05T18:00",
        "ends_at": f"{YEAR}-05-05T21:00",
        "timezone": "Europe/Berlin",
        "capacity": "30",
        "max_attendees_per_registration": "5",
    }
    online_stop = submit_form("/organiser/events/new", base).get_data(as_text=True)
    venue_field = online_stop[
        online_stop.index('for="venue_id"') : online_stop.index('for="starts_at"')
    ]
    assert "Nur Webinare finden online statt" in venue_field

    zone = submit_form("/organiser/events/new", {**base, "timezone": "Europe/Weilheim"})
    page = zone.get_data(as_text=True)
    zone_field = page[page.index('for="timezone"') : page.index('for="capacity"')]
    assert "Unbekannte Zeitzone" in zone_field and 'value="Europe/Weilheim"' in zone_field

    webinar = submit_form(
        "/organiser/events/new",
        {**base, "kind": "webinar", "timezone": "America/New_York", "publish": "y"},
    )
    assert webinar.status_code == 302
    event = db.session.scalar(select(Event))
    assert event.is_online and event.status is EventStatus.PUBLISHED
    assert event.starts_at == berlin(YEAR, 5, 6, 0)  # 18:00 in New York
    assert db.session.scalar(select(AuditLog.action).where(AuditLog.action == "event.created"))


def test_venues_are_changed_on_their_page(app, client, submit_form, organiser, make_venue):
    venue = make_venue(name="Stadthalle", town="Weilheim")
    url = f"/organiser/venues/{venue.id}/edit"
    data = {
        "name": "Stadthalle Weilheim",
        "street": "Marktplatz 1",
        "postcode": "82362",
        "town": "Weilheim",
    }
    refused = submit_form(url, {**data, "latitude": "123"})
    assert refused.status_code == 200
    assert "123" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert venue.name == "Stadthalle"

    saved = submit_form(url, {**data, "latitude": "47.84", "longitude": "11.14"})
    assert saved.status_code == 302
    db.session.expire_all()
    assert (venue.name, venue.latitude, venue.longitude) == ("Stadthalle Weilheim", 47.84, 11.14)
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "venue.updated"))
    assert {"field": "name", "old": "Stadthalle", "new": "Stadthalle Weilheim"} in entry.details[
        "changes"
    ]
    assert db.session.scalar(select(func.count(Venue.id))) == 1


def test_pages_of_unknown_things_answer_404(app, client, organiser):
    for url in (
        "/organiser/events/99999/edit",
        "/organiser/tours/99999/edit",
        "/organiser/venues/99999/edit",
    ):
        assert client.get(url).status_code == 404
