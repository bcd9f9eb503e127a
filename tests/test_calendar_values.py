"""The value a VEVENT is made of, read two ways: from a loaded event and from a feed row.

Feeds look for a cached feed by values read from light rows, and render from values read
from loaded events; a cached feed is only right if the two readings agree, for every kind
of event. Every field must also show in the VEVENT, or caches would miss for nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from roadshow.calendar.feeds import select_feed_events, select_feed_rows
from roadshow.calendar.filters import FeedFilter
from roadshow.calendar.ics import event_component, zone_years
from roadshow.calendar.values import CalendarEvent, CalendarVenue
from roadshow.database import utcnow
from roadshow.events.models import EventKind
from roadshow.events.services import cancel_event
from roadshow.extensions import db


@pytest.fixture
def assorted_events(make_event, make_venue):
    """Events that differ in every way a value can: with and without venue, with and
    without coordinates, cancelled, with and without a description and a last change, in
    three zones. Each field holds a value no other field holds, so that a reading which
    swapped two fields could not pass."""
    now = utcnow().replace(microsecond=0)
    geo = make_venue(
        name="Kultur- und Kongresszentrum",
        street="Kufsteiner Straße 4",
        postcode="83022",
        town="Rosenheim",
        latitude=47.8561,
        longitude=12.1225,
    )
    plain = make_venue(name="Stadthalle", street="Admiral-Hipper-Straße 20", town="Weilheim")
    events = [
        make_event(
            venue=geo,
            title="Digital vor Ort: Rosenheim",
            description="Vorträge; Beratung, Kaffee\nund Brötchen",
            starts_at=now + timedelta(days=20, hours=1),
            ends_at=now + timedelta(days=20, hours=4),
            content_changed_at=now - timedelta(days=2),
        ),
        make_event(
            kind=EventKind.WEBINAR,
            venue=None,
            title="Webinar: Förderprogramme",
            timezone="America/New_York",
            starts_at=now + timedelta(days=40),
            ends_at=now + timedelta(days=40, hours=1),
        ),
        make_event(
            venue=plain,
            title="Workshop: Online-Shop",
            description="Mitbringen: Laptop.",
            timezone="Asia/Kolkata",
            starts_at=now + timedelta(days=60, minutes=30),
            ends_at=now + timedelta(days=60, hours=5),
            published_at=now - timedelta(days=5),
        ),
    ]
    cancel_event(db.session, events[2])
    db.session.commit()
    return events


def test_a_feed_row_and_the_loaded_event_give_the_same_value(assorted_events):
    now = datetime.now(UTC)
    rows = select_feed_rows(db.session, FeedFilter(), now=now)
    db.session.expunge_all()  # load the events afresh, as a feed being rendered does
    events = select_feed_events(db.session, FeedFilter(), now=now)

    from_rows = {row.uid: CalendarEvent.from_row(row) for row in rows}
    from_events = {event.uid: CalendarEvent.from_event(event) for event in events}
    assert len(from_rows) == len(assorted_events)
    assert from_rows == from_events

    values = list(from_events.values())
    assert {value.venue is None for value in values} == {True, False}
    assert {value.cancelled for value in values} == {True, False}
    assert {value.content_changed_at is None for value in values} == {True, False}
    assert {value.description == "" for value in values} == {True, False}
    assert {v.venue.latitude is None for v in values if v.venue is not None} == {True, False}
    for event in events:
        value = from_events[event.uid]
        assert (value.local_starts_at, value.local_ends_at) == (
            event.local_starts_at,
            event.local_ends_at,
        )
        if event.venue is not None:
            assert value.venue is not None and value.venue.one_line == event.venue.one_line


def vevent_of(value: CalendarEvent) -> bytes:
    """The VEVENT of ``value`` with what a caller adds kept fixed (the URL from the slug)."""
    component = event_component(
        value,
        event_url=f"https://roadshow.example/events/{value.slug}",
        dtstamp=datetime(2030, 1, 1, tzinfo=UTC),
    )
    return bytes(component.to_ical())


VALUE = CalendarEvent(
    uid="value-1@roadshow",
    sequence=2,
    slug="rosenheim",
    title="Digital vor Ort",
    description="Vorträge",
    starts_at=datetime(2031, 3, 10, 17, tzinfo=UTC),
    ends_at=datetime(2031, 3, 10, 20, tzinfo=UTC),
    timezone="Europe/Berlin",
    cancelled=False,
    content_changed_at=datetime(2030, 12, 1, tzinfo=UTC),
    venue=CalendarVenue(
        name="Stadthalle",
        street="Marktplatz 1",
        postcode="83022",
        town="Rosenheim",
        latitude=47.85,
        longitude=12.12,
    ),
)
OTHER_EVENT = {
    "uid": "value-2@roadshow",
    "sequence": 3,
    "slug": "weilheim",
    "title": "Digital vor Ort 2",
    "description": "Beratung",
    "starts_at": datetime(2031, 3, 10, 16, tzinfo=UTC),
    "ends_at": datetime(2031, 3, 10, 21, tzinfo=UTC),
    "timezone": "Europe/Vienna",
    "cancelled": True,
    "content_changed_at": datetime(2030, 12, 2, tzinfo=UTC),
    "venue": None,
}
OTHER_VENUE = {
    "name": "Ballhaus",
    "street": "Marktplatz 2",
    "postcode": "83024",
    "town": "Kolbermoor",
    "latitude": 47.86,
    "longitude": 12.13,
}


def test_every_field_of_the_value_shows_in_the_vevent():
    assert set(OTHER_EVENT) == set(CalendarEvent._fields)
    assert set(OTHER_VENUE) == set(CalendarVenue._fields)
    assert VALUE.venue is not None
    shown = vevent_of(VALUE)
    for field, other in OTHER_EVENT.items():
        assert vevent_of(VALUE._replace(**{field: other})) != shown, field
    for field, other in OTHER_VENUE.items():
        venue = VALUE.venue._replace(**{field: other})
        assert vevent_of(VALUE._replace(venue=venue)) != shown, field


def test_zone_years_take_each_zones_earliest_local_year():
    def at(instant: datetime, zone: str) -> CalendarEvent:
        return VALUE._replace(
            starts_at=instant, ends_at=instant + timedelta(hours=1), timezone=zone
        )

    new_year_in_berlin = datetime(2030, 12, 31, 23, 30, tzinfo=UTC)  # 00:30 in 2031 there
    assert zone_years(
        [
            at(datetime(2032, 5, 1, tzinfo=UTC), "Europe/Berlin"),
            at(new_year_in_berlin, "Europe/Berlin"),
            at(new_year_in_berlin, "America/New_York"),
            at(datetime(2033, 1, 1, tzinfo=UTC), "America/New_York"),
        ]
    ) == {"Europe/Berlin": 2031, "America/New_York": 2030}
    assert zone_years([]) == {}
