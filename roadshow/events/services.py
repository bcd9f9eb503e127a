"""Reading and changing events."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import selectinload

from roadshow.accounts.models import AuditLog
from roadshow.calendar.notifications import notify_subscribers
from roadshow.database import DBSession, utcnow
from roadshow.errors import DomainError
from roadshow.events.models import Event, EventKind, EventPartner, EventStatus, Series, Tour, Venue
from roadshow.events.notifications import (
    EventChange,
    notify_event_cancelled,
    notify_event_changed,
    place_text,
)
from roadshow.partners.models import Partner
from roadshow.registrations.services import seats_taken_subquery

if TYPE_CHECKING:
    from roadshow.accounts.models import User


@dataclass(frozen=True)
class ListingFilter:
    """What the public listing (and the API) can be narrowed to; empty means everything."""

    town: str | None = None
    kind: EventKind | None = None
    partner: str | None = None  # partner slug
    tour: str | None = None  # tour slug

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> ListingFilter:
        """From query parameters; unknown kinds are ignored, as a search form would."""
        kind = args.get("kind") or None
        known_kinds = {k.value for k in EventKind}
        return cls(
            town=(args.get("town") or "").strip() or None,
            kind=EventKind(kind) if kind in known_kinds else None,
            partner=(args.get("partner") or "").strip() or None,
            tour=(args.get("tour") or "").strip() or None,
        )

    @property
    def active(self) -> bool:
        return any((self.town, self.kind, self.partner, self.tour))


@dataclass(frozen=True)
class ListedEvent:
    """An event with the seats still free (0 when full; cancelled events count none)."""

    event: Event
    seats_left: int

    @property
    def full(self) -> bool:
        return self.seats_left <= 0


def _with_seats(query: Select[Event]) -> Select[Event, int]:
    """Add the seats taken to an event query: one aggregate join, not a query per event."""
    taken = seats_taken_subquery()
    return (
        query.add_columns(func.coalesce(taken.c.taken, 0))
        .outerjoin(taken, taken.c.event_id == Event.id)
        .options(
            selectinload(Event.venue),
            selectinload(Event.tour),
            selectinload(Event.partner_roles).selectinload(EventPartner.partner),
        )
    )


def _listed(rows: Iterable[Any]) -> list[ListedEvent]:
    return [ListedEvent(event, max(0, event.capacity - int(taken))) for event, taken in rows]


def _public() -> ColumnElement[bool]:
    return Event.status.in_([EventStatus.PUBLISHED, EventStatus.CANCELLED])


def listing(
    session: DBSession, filters: ListingFilter | None = None, *, now: datetime | None = None
) -> list[ListedEvent]:
    """Published and cancelled events that have not ended, soonest first, with free seats.

    Seats, venues, tours and partners come in a fixed number of queries, whatever the count.
    """
    now = now or utcnow()
    filters = filters or ListingFilter()
    query = select(Event).where(_public(), Event.ends_at >= now)
    if filters.kind:
        query = query.where(Event.kind == filters.kind)
    if filters.town:
        query = query.where(Event.venue.has(func.lower(Venue.town) == filters.town.lower()))
    if filters.tour:
        query = query.where(Event.tour.has(Tour.slug == filters.tour))
    if filters.partner:
        query = query.where(
            Event.partner_roles.any(EventPartner.partner.has(Partner.slug == filters.partner))
        )
    query = query.order_by(Event.starts_at, Event.id)
    return _listed(session.execute(_with_seats(query)).all())


def upcoming_events(session: DBSession, *, now: datetime | None = None) -> Sequence[Event]:
    """Published and cancelled events that have not ended, soonest first."""
    return [item.event for item in listing(session, now=now)]


def public_event(session: DBSession, **lookup: Any) -> ListedEvent | None:
    """One published or cancelled event (by ``slug`` or ``id``) with its free seats."""
    query = select(Event).where(_public()).filter_by(**lookup)
    row = session.execute(_with_seats(query)).first()
    return _listed([row])[0] if row else None


def tour_events(session: DBSession, tour: Tour) -> list[ListedEvent]:
    """Every public event of a tour in date order, past ones included."""
    query = select(Event).where(_public(), Event.tour_id == tour.id)
    return _listed(session.execute(_with_seats(query.order_by(Event.starts_at, Event.id))).all())


@dataclass(frozen=True)
class FilterChoices:
    towns: list[str]
    partners: list[Partner]
    tours: list[Tour]


def filter_choices(session: DBSession, *, now: datetime | None = None) -> FilterChoices:
    """The towns, partners and tours that upcoming public events have (three queries)."""
    now = now or utcnow()
    upcoming = select(Event.id).where(_public(), Event.ends_at >= now)
    towns = session.scalars(
        select(Venue.town)
        .join(Event, Event.venue_id == Venue.id)
        .where(Event.id.in_(upcoming))
        .distinct()
        .order_by(Venue.town)
    ).all()
    partners = session.scalars(
        select(Partner)
        .where(Partner.event_roles.any(EventPartner.event_id.in_(upcoming)))
        .order_by(Partner.name)
    ).all()
    tours = session.scalars(
        select(Tour).where(Tour.events.any(Event.id.in_(upcoming))).order_by(Tour.title)
    ).all()
    return FilterChoices(list(towns), list(partners), list(tours))


def expand_series(series: Series, *, until: datetime | None = None) -> list[datetime]:
    """The start instants of a series, computed in local wall time.

    A weekly webinar at 10:00 in Europe/Berlin stays at 10:00 local across the change to
    and from daylight-saving time, so the rule is applied to naive local times.
    """
    zone = ZoneInfo(series.timezone)
    first_local = series.first_starts_at.astimezone(zone).replace(tzinfo=None)
    rule = rrulestr(series.rrule, dtstart=first_local)
    limit = until.astimezone(zone).replace(tzinfo=None) if until else None
    starts = []
    for local in rule:
        if limit is not None and local > limit:
            break
        starts.append(local.replace(tzinfo=zone).astimezone(UTC))
        if len(starts) >= 500:  # a rule without end must not run forever
            break
    return starts


def create_series_events(
    session: DBSession, series: Series, *, slug_prefix: str, status: EventStatus
) -> list[Event]:
    """One ``Event`` per date of the series that does not exist yet (idempotent)."""
    existing = {e.starts_at for e in series.events}
    created = []
    for starts_at in expand_series(series):
        if starts_at in existing:
            continue
        local_day = starts_at.astimezone(ZoneInfo(series.timezone)).date()
        event = Event(
            kind=series.kind,
            status=status,
            slug=f"{slug_prefix}-{local_day.isoformat()}",
            title=series.title,
            description=series.description,
            tour_id=series.tour_id,
            series=series,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=series.duration_minutes),
            timezone=series.timezone,
            capacity=series.capacity,
            published_at=utcnow() if status is EventStatus.PUBLISHED else None,
        )
        session.add(event)
        created.append(event)
    session.flush()
    return created


def change_event(
    session: DBSession,
    event: Event,
    *,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    venue: Venue | None = None,
    join_url: str | None = None,
    actor: User | None = None,
) -> list[EventChange]:
    """Move an event in time, to another venue or to another join link, and tell attendees.

    ``None`` leaves a value as it is; a new start without a new end keeps the duration.
    A change raises the event's SEQUENCE, so every confirmed attendee's calendar applies
    the updated invitation queued here. Returns what changed (nothing: nothing queued).
    """
    if event.status is EventStatus.CANCELLED:
        raise DomainError(_("Eine abgesagte Veranstaltung kann nicht mehr geändert werden."))
    new_starts = starts_at or event.starts_at
    new_ends = ends_at or (event.ends_at + (new_starts - event.starts_at))
    if new_ends <= new_starts:
        raise DomainError(_("Das Ende muss nach dem Beginn liegen."), field="ends_at")
    changes = []
    if (new_starts, new_ends) != (event.starts_at, event.ends_at):
        changes.append(
            EventChange("time", old=(event.starts_at, event.ends_at), new=(new_starts, new_ends))
        )
    if venue is not None and venue.id != event.venue_id:
        changes.append(EventChange("venue", old=place_text(event.venue), new=place_text(venue)))
    new_join_url = (join_url or "").strip() or None
    if join_url is not None and new_join_url != event.join_url:
        changes.append(EventChange("join_url", old=event.join_url, new=new_join_url))
    if not changes:
        return []
    event.starts_at, event.ends_at = new_starts, new_ends
    if venue is not None:
        event.venue = venue
    if join_url is not None:
        event.join_url = new_join_url
    _raise_sequence(session, event, "event.changed", actor, [c.as_json() for c in changes])
    notify_event_changed(session, event, changes)
    notify_subscribers(session, event, "changed")
    return changes


def cancel_event(session: DBSession, event: Event, actor: User | None = None) -> int:
    """Cancel an event: STATUS:CANCELLED, a raised SEQUENCE, and a CANCEL to every attendee.

    People on the waiting list are told too. Returns how many messages were queued.
    """
    if event.status is EventStatus.CANCELLED:
        raise DomainError(_("Die Veranstaltung ist bereits abgesagt."))
    event.status = EventStatus.CANCELLED
    event.cancelled_at = utcnow()
    _raise_sequence(session, event, "event.cancelled", actor, [])
    notify_subscribers(session, event, "cancelled")
    return notify_event_cancelled(session, event)


def publish_event(session: DBSession, event: Event, actor: User | None = None) -> int:
    """Make a draft public: it appears on the pages, in the feeds and the API, and feed
    subscribers who asked for mail hear of it. Returns how many notices were queued."""
    if event.status is not EventStatus.DRAFT:
        raise DomainError(_("Nur Entwürfe können veröffentlicht werden."))
    event.status = EventStatus.PUBLISHED
    event.published_at = event.content_changed_at = utcnow()
    session.add(
        AuditLog(
            actor_id=actor.id if actor is not None else None,
            action="event.published",
            object_type="event",
            object_id=event.id,
            details={},
        )
    )
    session.flush()
    return notify_subscribers(session, event, "published")


def _raise_sequence(
    session: DBSession,
    event: Event,
    action: str,
    actor: User | None,
    changes: list[dict[str, object]],
) -> None:
    event.sequence += 1
    event.content_changed_at = utcnow()
    session.add(
        AuditLog(
            actor_id=actor.id if actor is not None else None,
            action=action,
            object_type="event",
            object_id=event.id,
            details={"sequence": event.sequence, "changes": changes},
        )
    )
    session.flush()
