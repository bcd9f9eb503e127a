"""What organisers see in lists: every event in any state, tours with their stops, venues.

Each list takes a fixed number of queries whatever the number of rows: the filters and the
count run in SQL, venues and tours come with one ``selectinload`` each, and the figures per
tour or venue are one grouped query.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from roadshow.database import DBSession
from roadshow.events.models import Event, EventKind, EventPartner, EventStatus, Tour, Venue


@dataclass(frozen=True)
class EventSearch:
    """The filters of the organisers' list; empty means everything."""

    status: EventStatus | None = None
    kind: EventKind | None = None
    tour_id: int | None = None
    text: str = ""


@dataclass(frozen=True)
class EventPage:
    events: Sequence[Event]
    total: int
    page: int
    pages: int

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def _searched(query: Select[Any], search: EventSearch) -> Select[Any]:
    if search.status is not None:
        query = query.where(Event.status == search.status)
    if search.kind is not None:
        query = query.where(Event.kind == search.kind)
    if search.tour_id is not None:
        query = query.where(Event.tour_id == search.tour_id)
    if search.text.strip():
        query = query.where(
            func.lower(Event.title).contains(search.text.strip().lower(), autoescape=True)
        )
    return query


def organiser_events(
    session: DBSession, search: EventSearch, *, page: int = 1, per_page: int = 50
) -> EventPage:
    """One page of events in any state, soonest first, with venues and tours (four
    queries: the count, the events, their venues, their tours)."""
    total: int = session.scalar(_searched(select(func.count(Event.id)), search)) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    events: Sequence[Event] = session.scalars(
        _searched(select(Event), search)
        .order_by(Event.starts_at, Event.id)
        .offset((page - 1) * per_page)
        .limit(per_page)
        .options(selectinload(Event.venue), selectinload(Event.tour))
    ).all()
    return EventPage(events, total, page, pages)


@dataclass(frozen=True)
class TourRow:
    tour: Tour
    stops: int
    first_starts_at: datetime | None
    last_starts_at: datetime | None


def tour_overview(session: DBSession) -> list[TourRow]:
    """Every tour with the number of its stops that are not cancelled and their first and
    last date (one query)."""
    stops = (
        select(
            Event.tour_id,
            func.count(Event.id).label("stops"),
            func.min(Event.starts_at).label("first"),
            func.max(Event.starts_at).label("last"),
        )
        .where(Event.kind == EventKind.STOP, Event.status != EventStatus.CANCELLED)
        .group_by(Event.tour_id)
        .subquery()
    )
    rows = session.execute(
        select(Tour, stops.c.stops, stops.c.first, stops.c.last)
        .outerjoin(stops, stops.c.tour_id == Tour.id)
        .order_by(stops.c.first.is_(None), stops.c.first, Tour.title, Tour.id)
    ).all()
    return [TourRow(tour, stops or 0, first, last) for tour, stops, first, last in rows]


def tour_stops(session: DBSession, tour: Tour) -> Sequence[Event]:
    """Every event of a tour in any state, in date order, with venues (two queries)."""
    return session.scalars(
        select(Event)
        .where(Event.tour_id == tour.id)
        .order_by(Event.starts_at, Event.id)
        .options(selectinload(Event.venue))
    ).all()


@dataclass(frozen=True)
class VenueRow:
    venue: Venue
    events: int


def venue_overview(session: DBSession) -> list[VenueRow]:
    """Every venue by town and name, with how many events are planned there (one query)."""
    counts = (
        select(Event.venue_id, func.count(Event.id).label("events"))
        .where(Event.status != EventStatus.CANCELLED)
        .group_by(Event.venue_id)
        .subquery()
    )
    rows = session.execute(
        select(Venue, counts.c.events)
        .outerjoin(counts, counts.c.venue_id == Venue.id)
        .order_by(Venue.town, Venue.name, Venue.id)
    ).all()
    return [VenueRow(venue, events or 0) for venue, events in rows]


def event_for_planning(session: DBSession, event_id: int) -> Event | None:
    """One event with its venue, tour and partners (four queries)."""
    return session.scalars(
        select(Event)
        .where(Event.id == event_id)
        .options(
            selectinload(Event.venue),
            selectinload(Event.tour),
            selectinload(Event.partner_roles).selectinload(EventPartner.partner),
        )
    ).first()
