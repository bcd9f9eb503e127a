"""What a VEVENT is made of, as one frozen value: read from a loaded event or a plain row.

The renderer (``ics.event_component``) takes nothing but a ``CalendarEvent``, and the feed
caches are keyed by it, so a cached VEVENT holds exactly what a fresh rendering would: a
property the renderer starts to show must first become a field here, and then it is part
of every key. The two ways of reading the value stand next to each other below:
``from_event`` for a loaded ``Event`` (invitations, feeds being rendered) and ``from_row``
for a row of ``columns()`` (feeds look for a cached feed without loading a single event);
tests/test_calendar_values.py checks that they agree.

Named tuples rather than frozen dataclasses: a feed of 10,000 events is looked up by a key
of 10,000 entries on every request, and tuples are built, hashed and compared in C (a
frozen dataclass costs several times as much, measured).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement
from sqlalchemy.orm import QueryableAttribute

from roadshow.events.models import Event, EventStatus, Venue, venue_line


class CalendarVenue(NamedTuple):
    """The place of an event, as LOCATION and GEO show it."""

    name: str
    street: str
    postcode: str
    town: str
    latitude: float | None
    longitude: float | None

    @property
    def one_line(self) -> str:
        """As ``Venue.one_line`` writes it."""
        return venue_line(self.name, self.street, self.postcode, self.town)


class CalendarEvent(NamedTuple):
    """Everything a VEVENT of one event shows, and nothing else.

    Join links are not here: they depend on who reads (see ``FeedEntry``), never on the
    event alone.
    """

    uid: str
    sequence: int
    slug: str
    title: str
    description: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    cancelled: bool
    content_changed_at: datetime | None
    venue: CalendarVenue | None

    @property
    def local_starts_at(self) -> datetime:
        return self.starts_at.astimezone(ZoneInfo(self.timezone))

    @property
    def local_ends_at(self) -> datetime:
        return self.ends_at.astimezone(ZoneInfo(self.timezone))

    @classmethod
    def from_event(cls, event: Event) -> CalendarEvent:
        """The value of a loaded event (with its venue)."""
        venue = event.venue
        return cls(
            uid=event.uid,
            sequence=event.sequence,
            slug=event.slug,
            title=event.title,
            description=event.description,
            starts_at=event.starts_at,
            ends_at=event.ends_at,
            timezone=event.timezone,
            cancelled=event.status is EventStatus.CANCELLED,
            content_changed_at=event.content_changed_at,
            venue=None
            if venue is None
            else CalendarVenue(
                name=venue.name,
                street=venue.street,
                postcode=venue.postcode,
                town=venue.town,
                latitude=venue.latitude,
                longitude=venue.longitude,
            ),
        )

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> CalendarEvent:
        """The value of a row that starts with ``columns()``, in their order (it may go on
        with more). By position: reading a row's columns by name costs five times as much,
        and a feed reads 10,000 rows on every request."""
        (
            uid,
            sequence,
            slug,
            title,
            description,
            starts_at,
            ends_at,
            timezone,
            status,
            content_changed_at,
            venue_name,
            venue_street,
            venue_postcode,
            venue_town,
            venue_latitude,
            venue_longitude,
        ) = row[:ROW_WIDTH]
        return cls(
            uid=uid,
            sequence=sequence,
            slug=slug,
            title=title,
            description=description,
            starts_at=starts_at,
            ends_at=ends_at,
            timezone=timezone,
            cancelled=status is EventStatus.CANCELLED,
            content_changed_at=content_changed_at,
            # Venue.name is NOT NULL: a NULL name is the outer join finding no venue.
            venue=None
            if venue_name is None
            else CalendarVenue(
                name=venue_name,
                street=venue_street,
                postcode=venue_postcode,
                town=venue_town,
                latitude=venue_latitude,
                longitude=venue_longitude,
            ),
        )

    @classmethod
    def columns(cls) -> tuple[ColumnElement[Any] | QueryableAttribute[Any], ...]:
        """What ``from_row`` reads, in its order: columns of ``Event`` and of ``Venue``,
        which the query joins with ``.outerjoin(Venue, Venue.id == Event.venue_id)``."""
        return (
            Event.uid,
            Event.sequence,
            Event.slug,
            Event.title,
            Event.description,
            Event.starts_at,
            Event.ends_at,
            Event.timezone,
            Event.status,
            Event.content_changed_at,
            Venue.name.label("venue_name"),
            Venue.street.label("venue_street"),
            Venue.postcode.label("venue_postcode"),
            Venue.town.label("venue_town"),
            Venue.latitude.label("venue_latitude"),
            Venue.longitude.label("venue_longitude"),
        )


ROW_WIDTH = len(CalendarEvent.columns())
