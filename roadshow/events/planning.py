"""Planning: tours, venues and events as organisers create and change them.

Every service checks the rules (a free slug, a venue for anything but a webinar, a known
time zone, times in order), makes the change, flushes and writes one audit entry with
old and new values. What attendees must hear about (time, place, join link, status) goes
through ``events.services`` (``change_event``, ``publish_event``, ``cancel_event``), whose
signals queue the mail; seats go through ``registrations.services.set_capacity``, which
the caller runs (this domain knows nothing of registrations).

Conflicts with other events (``events.conflicts``) stop a new event or a change of time,
place or speakers with ``ConflictsFound`` unless the organiser overrides them; the
override is kept in the audit entry.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any
from zoneinfo import available_timezones

from flask_babel import gettext as _
from sqlalchemy import select

from roadshow.accounts.models import User
from roadshow.accounts.services import record
from roadshow.changes import changed_fields
from roadshow.database import DBSession
from roadshow.errors import DomainError
from roadshow.events.conflicts import Conflict, ConflictsFound, PlannedSlot, find_conflicts
from roadshow.events.models import (
    Event,
    EventKind,
    EventPartner,
    EventStatus,
    PartnerRole,
    Tour,
    Venue,
)
from roadshow.events.services import (
    UNCHANGED,
    EventChange,
    Unchanged,
    change_event,
    pending_changes,
    publish_event,
)
from roadshow.partners.models import Partner
from roadshow.slugs import is_slug, propose_slug

DEFAULT_TIMEZONE = "Europe/Berlin"
TOUR_SLUG_LENGTH = 80
EVENT_SLUG_LENGTH = 120


@cache
def _time_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def is_time_zone(name: str) -> bool:
    """An IANA zone name such as ``Europe/Berlin`` (not a file path, not an offset)."""
    return name in _time_zones()


def _required(value: str, field_name: str, max_length: int) -> str:
    value = value.strip()
    if not value:
        raise DomainError(_("Bitte ausfüllen."), field=field_name)
    if len(value) > max_length:
        raise DomainError(
            _("Höchstens %(n)d Zeichen.", n=max_length),
            field=field_name,
        )
    return value


def _slug(given: str, title: str, max_length: int) -> str:
    """The given slug, or one proposed from the title; it must be free."""
    slug = given.strip() or propose_slug(title, max_length)
    if not slug or len(slug) > max_length or not is_slug(slug):
        raise DomainError(
            _("Nur Kleinbuchstaben, Ziffern und einzelne Bindestriche, z. B. digital-vor-ort."),
            field="slug",
        )
    return slug


def _check_free_slug(
    session: DBSession, model: type[Tour] | type[Event], slug: str, own_id: int | None
) -> None:
    query = select(model.id).where(model.slug == slug)
    if own_id is not None:
        query = query.where(model.id != own_id)
    if session.scalar(query) is not None:
        raise DomainError(
            _("Die Kurzbezeichnung „%(slug)s“ ist schon vergeben.", slug=slug), field="slug"
        )


def _overridden(conflicts: Sequence[Conflict]) -> dict[str, Any]:
    """What the audit entry keeps of conflicts the organiser saved anyway."""
    if not conflicts:
        return {}
    return {"conflicts_overridden": [c.as_json() for c in conflicts]}


def _guard(conflicts: list[Conflict], override: bool) -> list[Conflict]:
    if conflicts and not override:
        raise ConflictsFound(conflicts)
    return conflicts


# --- tours -------------------------------------------------------------------------------


def create_tour(
    session: DBSession, *, title: str, slug: str = "", description: str = "", actor: User | None
) -> Tour:
    """A new tour; an empty slug is proposed from the title."""
    title = _required(title, "title", 200)
    slug = _slug(slug, title, TOUR_SLUG_LENGTH)
    _check_free_slug(session, Tour, slug, None)
    tour = Tour()
    changes = changed_fields(
        tour, {"title": title, "slug": slug, "description": description.strip()}
    )
    session.add(tour)
    session.flush()
    record(session, "tour.created", tour, actor, changes=changes)
    return tour


def update_tour(
    session: DBSession,
    tour: Tour,
    *,
    title: str,
    slug: str,
    description: str,
    actor: User | None,
) -> list[dict[str, Any]]:
    """Change a tour's title, slug or description; returns the changes (audited)."""
    title = _required(title, "title", 200)
    slug = _slug(slug, title, TOUR_SLUG_LENGTH)
    _check_free_slug(session, Tour, slug, tour.id)
    changes = changed_fields(
        tour, {"title": title, "slug": slug, "description": description.strip()}
    )
    if changes:
        session.flush()
        record(session, "tour.updated", tour, actor, changes=changes)
    return changes


# --- venues ------------------------------------------------------------------------------


@dataclass(frozen=True)
class VenueInput:
    name: str
    street: str
    postcode: str
    town: str
    latitude: float | None = None
    longitude: float | None = None


def _venue_values(data: VenueInput) -> dict[str, Any]:
    for name, value, limit in (("latitude", data.latitude, 90), ("longitude", data.longitude, 180)):
        if value is not None and not -limit <= value <= limit:
            raise DomainError(
                _("Erlaubt sind Werte von %(low)d bis %(high)d.", low=-limit, high=limit),
                field=name,
            )
    return {
        "name": _required(data.name, "name", 200),
        "street": _required(data.street, "street", 200),
        "postcode": _required(data.postcode, "postcode", 10),
        "town": _required(data.town, "town", 100),
        "latitude": data.latitude,
        "longitude": data.longitude,
    }


def create_venue(session: DBSession, data: VenueInput, *, actor: User | None) -> Venue:
    """A new venue (name and address; coordinates are optional)."""
    venue = Venue()
    changes = changed_fields(venue, _venue_values(data))
    session.add(venue)
    session.flush()
    record(session, "venue.created", venue, actor, changes=changes)
    return venue


def update_venue(
    session: DBSession, venue: Venue, data: VenueInput, *, actor: User | None
) -> list[dict[str, Any]]:
    """Change a venue's name, address or coordinates; returns the changes (audited).

    The events held there keep their venue; their attendees are not told (the place is
    the same, only its description changes)."""
    changes = changed_fields(venue, _venue_values(data))
    if changes:
        session.flush()
        record(session, "venue.updated", venue, actor, changes=changes)
    return changes


# --- events ------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewEvent:
    """An event as the organiser enters it; times are instants (aware datetimes)."""

    kind: EventKind
    title: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    slug: str = ""
    timezone: str = DEFAULT_TIMEZONE
    tour: Tour | None = None
    venue: Venue | None = None  # None: online (webinars only)
    description: str = ""
    join_url: str | None = None
    max_attendees_per_registration: int = 5
    registration_opens_at: datetime | None = None
    registration_closes_at: datetime | None = None
    publish: bool = False
    partners: Sequence[tuple[Partner, PartnerRole]] = field(default_factory=tuple)


def _check_window(opens: datetime | None, closes: datetime | None) -> None:
    if opens is not None and closes is not None and closes <= opens:
        raise DomainError(
            _("Die Anmeldung muss nach ihrem Beginn schließen."), field="registration_closes_at"
        )


def _check_max_attendees(value: int) -> None:
    if value < 1:
        raise DomainError(_("Mindestens 1."), field="max_attendees_per_registration")


def create_event(
    session: DBSession, data: NewEvent, *, actor: User | None, override_conflicts: bool = False
) -> Event:
    """A new stop, webinar or workshop, as a draft or (through ``publish_event``) public.

    Raises ``ConflictsFound`` when the time collides at its venue, with a speaker or with
    another stop of its tour, unless ``override_conflicts``.
    """
    title = _required(data.title, "title", 200)
    slug = _slug(data.slug, title, EVENT_SLUG_LENGTH)
    if not is_time_zone(data.timezone):
        raise DomainError(
            _("Unbekannte Zeitzone; erwartet wird z. B. Europe/Berlin."), field="timezone"
        )
    if data.ends_at <= data.starts_at:
        raise DomainError(_("Das Ende muss nach dem Beginn liegen."), field="ends_at")
    if data.venue is None and data.kind is not EventKind.WEBINAR:
        raise DomainError(
            _("Nur Webinare finden online statt; bitte wählen Sie einen Ort."), field="venue_id"
        )
    if data.capacity < 0:
        raise DomainError(_("Die Zahl der Plätze kann nicht negativ sein."), field="capacity")
    _check_max_attendees(data.max_attendees_per_registration)
    _check_window(data.registration_opens_at, data.registration_closes_at)
    _check_free_slug(session, Event, slug, None)
    conflicts = _guard(
        find_conflicts(
            session,
            PlannedSlot(
                starts_at=data.starts_at,
                ends_at=data.ends_at,
                kind=data.kind,
                venue_id=data.venue.id if data.venue else None,
                tour_id=data.tour.id if data.tour else None,
                speaker_ids={p.id for p, role in data.partners if role is PartnerRole.SPEAKER},
            ),
        ),
        override_conflicts,
    )
    event = Event(status=EventStatus.DRAFT, sequence=0, seats_taken=0)
    changes = changed_fields(
        event,
        {
            "kind": data.kind,
            "title": title,
            "slug": slug,
            "description": data.description.strip(),
            "tour_id": data.tour.id if data.tour else None,
            "venue_id": data.venue.id if data.venue else None,
            "starts_at": data.starts_at,
            "ends_at": data.ends_at,
            "timezone": data.timezone,
            "capacity": data.capacity,
            "join_url": (data.join_url or "").strip() or None,
            "max_attendees_per_registration": data.max_attendees_per_registration,
            "registration_opens_at": data.registration_opens_at,
            "registration_closes_at": data.registration_closes_at,
        },
    )
    event.tour, event.venue = data.tour, data.venue
    for partner, role in dict.fromkeys(data.partners):
        event.partner_roles.append(EventPartner(partner=partner, role=role))
    session.add(event)
    session.flush()
    partners = _partner_list(event.partner_roles)
    if partners:
        changes.append({"field": "partners", "old": [], "new": partners})
    record(session, "event.created", event, actor, changes=changes, **_overridden(conflicts))
    if data.publish:
        publish_event(session, event, actor)
    return event


def update_event_details(
    session: DBSession,
    event: Event,
    *,
    title: str | Unchanged = UNCHANGED,
    slug: str | Unchanged = UNCHANGED,
    description: str | Unchanged = UNCHANGED,
    tour: Tour | None | Unchanged = UNCHANGED,
    max_attendees_per_registration: int | Unchanged = UNCHANGED,
    registration_opens_at: datetime | None | Unchanged = UNCHANGED,
    registration_closes_at: datetime | None | Unchanged = UNCHANGED,
    partners_may_check_in: bool | Unchanged = UNCHANGED,
    min_attended_minutes: int | None | Unchanged = UNCHANGED,
    previous_capacity: int | None = None,
    actor: User | None,
) -> list[dict[str, Any]]:
    """Change what attendees need not be told about: title, slug, description, tour,
    the most attendees per registration, the registration window, whether partners' staff
    may check people in, and the minutes that count as attended (None: half the duration).

    The caller changes the seats first (``registrations.services.set_capacity``, which
    promotes from the waiting list) and passes the number before as ``previous_capacity``,
    so that the one audit entry of this change names the seats too. Returns the changes.
    """
    if event.status is EventStatus.CANCELLED:
        raise DomainError(_("Eine abgesagte Veranstaltung kann nicht mehr geändert werden."))
    values: dict[str, Any] = {}
    if not isinstance(title, Unchanged):
        values["title"] = _required(title, "title", 200)
    if not isinstance(slug, Unchanged):
        new_slug = _slug(slug, values.get("title", event.title), EVENT_SLUG_LENGTH)
        _check_free_slug(session, Event, new_slug, event.id)
        values["slug"] = new_slug
    if not isinstance(description, Unchanged):
        values["description"] = description.strip()
    if not isinstance(tour, Unchanged):
        values["tour_id"] = tour.id if tour else None
    if not isinstance(max_attendees_per_registration, Unchanged):
        _check_max_attendees(max_attendees_per_registration)
        values["max_attendees_per_registration"] = max_attendees_per_registration
    opens = (
        event.registration_opens_at
        if isinstance(registration_opens_at, Unchanged)
        else registration_opens_at
    )
    closes = (
        event.registration_closes_at
        if isinstance(registration_closes_at, Unchanged)
        else registration_closes_at
    )
    _check_window(opens, closes)
    values["registration_opens_at"], values["registration_closes_at"] = opens, closes
    if not isinstance(partners_may_check_in, Unchanged):
        values["partners_may_check_in"] = partners_may_check_in
    if not isinstance(min_attended_minutes, Unchanged):
        duration = int((event.ends_at - event.starts_at).total_seconds() // 60)
        if min_attended_minutes is not None and not 1 <= min_attended_minutes <= duration:
            raise DomainError(
                _(
                    "Bitte zwischen 1 und %(most)d Minuten (die Dauer der Veranstaltung).",
                    most=duration,
                ),
                field="min_attended_minutes",
            )
        values["min_attended_minutes"] = min_attended_minutes
    changes = changed_fields(event, values)
    if not isinstance(tour, Unchanged):
        event.tour = tour
    if previous_capacity is not None and previous_capacity != event.capacity:
        changes.append({"field": "capacity", "old": previous_capacity, "new": event.capacity})
    if changes:
        session.flush()
        record(session, "event.updated", event, actor, changes=changes)
    return changes


def check_change(
    session: DBSession,
    event: Event,
    *,
    starts_at: datetime | Unchanged = UNCHANGED,
    ends_at: datetime | Unchanged = UNCHANGED,
    venue: Venue | None | Unchanged = UNCHANGED,
    join_url: str | None | Unchanged = UNCHANGED,
    override_conflicts: bool = False,
) -> tuple[list[EventChange], list[Conflict]]:
    """What a change of time, place or join link would change, and the conflicts it
    would cause; changes nothing. Raises the rules' ``DomainError`` and, unless
    ``override_conflicts``, ``ConflictsFound``."""
    changes = pending_changes(
        event, starts_at=starts_at, ends_at=ends_at, venue=venue, join_url=join_url
    )
    moved = [c for c in changes if c.field in ("time", "venue")]
    if not moved:
        return changes, []
    new_starts, new_ends = next(
        (c.new for c in changes if c.field == "time"), (event.starts_at, event.ends_at)
    )
    new_venue_id = event.venue_id if isinstance(venue, Unchanged) else (venue.id if venue else None)
    slot = PlannedSlot(
        starts_at=new_starts,
        ends_at=new_ends,
        kind=event.kind,
        venue_id=new_venue_id,
        tour_id=event.tour_id,
        speaker_ids={r.partner_id for r in event.partner_roles if r.role is PartnerRole.SPEAKER},
        event_id=event.id,
    )
    return changes, _guard(find_conflicts(session, slot), override_conflicts)


def reschedule_event(
    session: DBSession,
    event: Event,
    *,
    starts_at: datetime | Unchanged = UNCHANGED,
    ends_at: datetime | Unchanged = UNCHANGED,
    venue: Venue | None | Unchanged = UNCHANGED,
    join_url: str | None | Unchanged = UNCHANGED,
    actor: User | None,
    override_conflicts: bool = False,
) -> list[EventChange]:
    """Change time, place or join link after checking for conflicts (``check_change``);
    attendees and subscribers are told by ``change_event``."""
    _changes, conflicts = check_change(
        session,
        event,
        starts_at=starts_at,
        ends_at=ends_at,
        venue=venue,
        join_url=join_url,
        override_conflicts=override_conflicts,
    )
    return change_event(
        session,
        event,
        starts_at=starts_at,
        ends_at=ends_at,
        venue=venue,
        join_url=join_url,
        actor=actor,
        audit_details=_overridden(conflicts),
    )


def _partner_list(roles: Sequence[EventPartner]) -> list[str]:
    return sorted(f"{role.partner.slug}:{role.role.value}" for role in roles)


def set_partner_roles(
    session: DBSession,
    event: Event,
    roles: Sequence[tuple[Partner, PartnerRole]],
    *,
    actor: User | None,
    override_conflicts: bool = False,
) -> list[dict[str, Any]]:
    """Give the event exactly these partner roles (several partners per role).

    A partner newly speaking here who speaks at an overlapping event raises
    ``ConflictsFound`` unless ``override_conflicts``. Returns the change (audited).
    """
    if event.status is EventStatus.CANCELLED:
        raise DomainError(_("Eine abgesagte Veranstaltung kann nicht mehr geändert werden."))
    wanted = {(partner.id, role): partner for partner, role in roles}
    current = {(r.partner_id, r.role): r for r in event.partner_roles}
    if set(wanted) == set(current):
        return []
    new_speakers = {
        partner_id for partner_id, role in set(wanted) - set(current) if role is PartnerRole.SPEAKER
    }
    conflicts: list[Conflict] = []
    if new_speakers:
        slot = PlannedSlot(
            starts_at=event.starts_at,
            ends_at=event.ends_at,
            kind=event.kind,
            speaker_ids=new_speakers,
            event_id=event.id,
        )
        conflicts = _guard(find_conflicts(session, slot), override_conflicts)
    old = _partner_list(event.partner_roles)
    for key, role in current.items():
        if key not in wanted:
            event.partner_roles.remove(role)
    for key, partner in wanted.items():
        if key not in current:
            event.partner_roles.append(EventPartner(partner=partner, role=key[1]))
    session.flush()
    changes = [{"field": "partners", "old": old, "new": _partner_list(event.partner_roles)}]
    record(
        session, "event.partners_changed", event, actor, changes=changes, **_overridden(conflicts)
    )
    return changes
