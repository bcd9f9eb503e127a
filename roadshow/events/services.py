"""Reading and changing events.

Changes that others must hear about (publish, change, cancel) are announced with the
signals of ``events.signals``; registrations and calendars listen and queue their mail in
the same transaction. This module knows nothing of them.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import selectinload

from roadshow.accounts.services import record
from roadshow.database import DBSession, utcnow
from roadshow.errors import DomainError
from roadshow.events.models import Event, EventKind, EventPartner, EventStatus, Tour, Venue
from roadshow.events.signals import announce, event_cancelled, event_changed, event_published
from roadshow.i18n import format_instant
from roadshow.partners.models import Partner

if TYPE_CHECKING:
    from roadshow.accounts.models import User


class Unchanged(enum.Enum):
    """The type of ``UNCHANGED``: "leave this as it is", as opposed to ``None`` (none)."""

    UNCHANGED = "unchanged"


UNCHANGED: Final = Unchanged.UNCHANGED


@dataclass(frozen=True)
class EventChange:
    """One change an attendee must hear about: ``time``, ``venue`` or ``join_url``."""

    field: str
    old: Any
    new: Any

    def as_json(self) -> dict[str, Any]:
        def plain(value: Any) -> Any:
            if isinstance(value, datetime):
                return value.isoformat()
            if isinstance(value, tuple):
                return [plain(v) for v in value]
            return value

        return {"field": self.field, "old": plain(self.old), "new": plain(self.new)}


def registration_closed_reason(event: Event, now: datetime | None = None) -> str | None:
    """Why the event takes no registrations now, in words; None while it does."""
    now = now or utcnow()
    if event.status is EventStatus.DRAFT:
        return _("Für diese Veranstaltung ist noch keine Anmeldung möglich.")
    if event.status is EventStatus.CANCELLED:
        return _("Diese Veranstaltung wurde abgesagt; Anmeldungen sind nicht mehr möglich.")
    if event.starts_at <= now:
        return _("Diese Veranstaltung hat bereits begonnen; eine Anmeldung ist nicht mehr möglich.")
    if event.registration_opens_at and now < event.registration_opens_at:
        return _(
            "Die Anmeldung öffnet am %(when)s.",
            when=format_instant(event.registration_opens_at, event.timezone, "day"),
        )
    if event.registration_closes_at and now >= event.registration_closes_at:
        return _(
            "Die Anmeldung ist seit %(when)s geschlossen.",
            when=format_instant(event.registration_closes_at, event.timezone, "day"),
        )
    return None


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
    """An event as the listing shows it, with the seats still free (``Event.seats_left``)."""

    event: Event

    @property
    def seats_left(self) -> int:
        return self.event.seats_left

    @property
    def full(self) -> bool:
        return self.seats_left <= 0


def _with_details(query: Select[Event]) -> Select[Event]:
    """Venues, tours and partners in a fixed number of queries, not one per event."""
    return query.options(
        selectinload(Event.venue),
        selectinload(Event.tour),
        selectinload(Event.partner_roles).selectinload(EventPartner.partner),
    )


def _listed(events: Iterable[Event]) -> list[ListedEvent]:
    return [ListedEvent(event) for event in events]


def _public() -> ColumnElement[bool]:
    """Published or cancelled, i.e. not a draft. Written as "not a draft" so that SQLite,
    which has no statistics, reads what has not ended from the index on ``ends_at`` instead
    of walking the index on status through every published event ever."""
    return Event.status != EventStatus.DRAFT


def _listing_query(filters: ListingFilter, now: datetime) -> Select[Event]:
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
    return query


def listing(
    session: DBSession,
    filters: ListingFilter | None = None,
    *,
    now: datetime | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[ListedEvent]:
    """Published and cancelled events that have not ended, soonest first, with free seats;
    ``limit`` and ``offset`` give one page of them.

    Seats, venues, tours and partners come in a fixed number of queries, whatever the count.
    """
    query = _listing_query(filters or ListingFilter(), now or utcnow())
    query = query.order_by(Event.starts_at, Event.id).offset(offset).limit(limit)
    return _listed(session.scalars(_with_details(query)))


def listing_count(
    session: DBSession, filters: ListingFilter | None = None, *, now: datetime | None = None
) -> int:
    """How many events ``listing`` gives without a limit (one query)."""
    query = _listing_query(filters or ListingFilter(), now or utcnow())
    return session.scalar(query.with_only_columns(func.count(Event.id))) or 0


def public_event(session: DBSession, **lookup: Any) -> ListedEvent | None:
    """One published or cancelled event (by ``slug`` or ``id``) with its free seats."""
    query = select(Event).where(_public()).filter_by(**lookup)
    event = session.scalars(_with_details(query)).first()
    return ListedEvent(event) if event is not None else None


def tour_events(session: DBSession, tour: Tour) -> list[ListedEvent]:
    """Every public event of a tour in date order, past ones included."""
    query = select(Event).where(_public(), Event.tour_id == tour.id)
    return _listed(session.scalars(_with_details(query.order_by(Event.starts_at, Event.id))))


@dataclass(frozen=True)
class FilterChoices:
    towns: list[str]
    partners: list[Partner]
    tours: list[Tour]


def filter_choices(session: DBSession, *, now: datetime | None = None) -> FilterChoices:
    """The towns, partners and tours that upcoming public events have (three queries, each
    read from the range of events not ended yet, by the index on ``ends_at``)."""
    now = now or utcnow()
    upcoming = (_public(), Event.ends_at >= now)
    towns = session.scalars(
        select(Venue.town)
        .where(Venue.id.in_(select(Event.venue_id).where(*upcoming)))
        .distinct()
        .order_by(Venue.town)
    ).all()
    partners = session.scalars(
        select(Partner)
        .where(
            Partner.id.in_(
                select(EventPartner.partner_id)
                .join(Event, Event.id == EventPartner.event_id)
                .where(*upcoming)
            )
        )
        .order_by(Partner.name)
    ).all()
    tours = session.scalars(
        select(Tour).where(Tour.id.in_(select(Event.tour_id).where(*upcoming))).order_by(Tour.title)
    ).all()
    return FilterChoices(list(towns), list(partners), list(tours))


def pending_changes(
    event: Event,
    *,
    starts_at: datetime | Unchanged = UNCHANGED,
    ends_at: datetime | Unchanged = UNCHANGED,
    venue: Venue | None | Unchanged = UNCHANGED,
    join_url: str | None | Unchanged = UNCHANGED,
) -> list[EventChange]:
    """What ``change_event`` with these arguments would change, without changing anything.

    Raises the same ``DomainError`` as ``change_event`` would; an empty list means that
    nothing would change (and nobody would be told).
    """
    if event.status is EventStatus.CANCELLED:
        raise DomainError(_("Eine abgesagte Veranstaltung kann nicht mehr geändert werden."))
    new_starts = event.starts_at if isinstance(starts_at, Unchanged) else starts_at
    if isinstance(ends_at, Unchanged):
        new_ends = event.ends_at + (new_starts - event.starts_at)
    else:
        new_ends = ends_at
    if new_ends <= new_starts:
        raise DomainError(_("Das Ende muss nach dem Beginn liegen."), field="ends_at")
    changes = []
    if (new_starts, new_ends) != (event.starts_at, event.ends_at):
        changes.append(
            EventChange("time", old=(event.starts_at, event.ends_at), new=(new_starts, new_ends))
        )
    if not isinstance(venue, Unchanged):
        if venue is None and event.venue_id is not None and event.kind is not EventKind.WEBINAR:
            raise DomainError(
                _("Nur Webinare finden online statt; bitte wählen Sie einen Ort."),
                field="venue_id",
            )
        if (venue.id if venue is not None else None) != event.venue_id:
            changes.append(EventChange("venue", old=_one_line(event.venue), new=_one_line(venue)))
    if not isinstance(join_url, Unchanged):
        new_join_url = (join_url or "").strip() or None
        if new_join_url != event.join_url:
            changes.append(EventChange("join_url", old=event.join_url, new=new_join_url))
    return changes


def change_event(
    session: DBSession,
    event: Event,
    *,
    starts_at: datetime | Unchanged = UNCHANGED,
    ends_at: datetime | Unchanged = UNCHANGED,
    venue: Venue | None | Unchanged = UNCHANGED,
    join_url: str | None | Unchanged = UNCHANGED,
    actor: User | None = None,
    audit_details: Mapping[str, Any] | None = None,
) -> list[EventChange]:
    """Move an event in time, to another venue (``None``: online) or to another join link
    (``None`` or "": none), and tell attendees.

    ``UNCHANGED`` (the default) leaves a value as it is; a new start without a new end
    keeps the duration. Only webinars can take place online: a stop or workshop keeps a
    venue. A change raises the event's SEQUENCE and is announced (``event_changed``), so
    every confirmed attendee's calendar applies the updated invitation queued in this
    transaction. ``audit_details`` go into the audit entry as well (e.g. the conflicts an
    organiser overrode). Returns what changed (nothing: nothing queued).
    """
    changes = pending_changes(
        event, starts_at=starts_at, ends_at=ends_at, venue=venue, join_url=join_url
    )
    if not changes:
        return []
    for change in changes:
        if change.field == "time":
            event.starts_at, event.ends_at = change.new
    if not isinstance(venue, Unchanged):
        event.venue = venue
    if not isinstance(join_url, Unchanged):
        event.join_url = (join_url or "").strip() or None
    _raise_sequence(
        session,
        event,
        "event.changed",
        actor,
        [c.as_json() for c in changes],
        **(audit_details or {}),
    )
    announce(event_changed, event, session=session, changes=changes)
    return changes


def _one_line(venue: Venue | None) -> str | None:
    return venue.one_line if venue is not None else None


def cancel_event(session: DBSession, event: Event, actor: User | None = None) -> int:
    """Cancel an event: STATUS:CANCELLED, a raised SEQUENCE, and the news for everyone.

    Receivers of ``event_cancelled`` send attendees a CANCEL (people on the waiting list
    are told too) and subscribers a notice. Returns how many messages were queued.
    """
    if event.status is EventStatus.CANCELLED:
        raise DomainError(_("Die Veranstaltung ist bereits abgesagt."))
    was_draft = event.status is EventStatus.DRAFT
    event.status = EventStatus.CANCELLED
    event.cancelled_at = utcnow()
    _raise_sequence(session, event, "event.cancelled", actor, [])
    if was_draft:  # never public, nobody registered: there is no one to tell
        return 0
    return announce(event_cancelled, event, session=session)


def publish_event(session: DBSession, event: Event, actor: User | None = None) -> int:
    """Make a draft public: it appears on the pages, in the feeds and the API, and feed
    subscribers who asked for mail hear of it. Returns how many notices were queued."""
    if event.status is not EventStatus.DRAFT:
        raise DomainError(_("Nur Entwürfe können veröffentlicht werden."))
    event.status = EventStatus.PUBLISHED
    event.published_at = event.content_changed_at = utcnow()
    record(session, "event.published", event, actor)
    session.flush()
    return announce(event_published, event, session=session)


def _raise_sequence(
    session: DBSession,
    event: Event,
    action: str,
    actor: User | None,
    changes: list[dict[str, object]],
    **details: Any,
) -> None:
    event.sequence += 1
    event.content_changed_at = utcnow()
    record(session, action, event, actor, sequence=event.sequence, changes=changes, **details)
    session.flush()
