"""Registering companies for events: seats, the waiting list and promotion.

Seats are counted from rows, under a lock on the event row, never kept in a counter. Every
change to an event's seats starts its transaction by locking the event (``lock_event``):
an UPDATE of the event row that changes nothing. On PostgreSQL that holds the row lock
until commit, like ``SELECT … FOR UPDATE``; on SQLite, whose Python driver opens a
transaction only at the first write, it takes the database's write lock at once (earlier
SELECTs ran outside any transaction, so no stale snapshot is kept). Whoever holds the lock
counts the seats and inserts before anyone else may count, so two requests racing for the
last seat cannot both get it.

Every change of seats ends by recounting them (``recount_seats``) into ``Event.seats_taken``
while it still holds the lock, so pages and the API read the free seats from the event row
without counting, and the count itself is made in one place.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import Select, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from roadshow.database import DBSession, utcnow
from roadshow.errors import DomainError, NotFound
from roadshow.events.models import Event, EventStatus
from roadshow.events.services import registration_closed_reason
from roadshow.i18n import DEFAULT_LANGUAGE, supported_language
from roadshow.mail.addresses import normalize_email
from roadshow.partners.models import Partner
from roadshow.registrations import notifications
from roadshow.registrations.models import (
    Attendee,
    AttendeeStatus,
    Registration,
    RegistrationStatus,
)
from roadshow.tokens import hash_token, new_token


class RegistrationClosed(DomainError):
    """The event takes no registrations now (draft, cancelled, over, outside its window)."""


@dataclass(frozen=True)
class AttendeeInput:
    name: str
    email: str


@dataclass(frozen=True)
class RegistrationInput:
    """What a company sends, from the form or the API, already checked for shape."""

    company_name: str
    contact_name: str
    contact_email: str
    attendees: Sequence[AttendeeInput]
    privacy_consent: bool
    company_size: str = ""
    industry: str = ""
    postcode: str = ""
    town: str = ""
    contact_phone: str = ""
    language: str = DEFAULT_LANGUAGE
    newsletter_consent: bool = False
    share_with_partners: bool = False
    referral_partner_slug: str | None = None
    submission_key: str | None = None


@dataclass(frozen=True)
class RegistrationOutcome:
    """The registration, and its raw token, which exists only here and in the first mail.

    ``repeated`` is True when the same submission arrived before: the registration is the
    one stored then, and ``token`` is None because only its hash was kept.
    """

    registration: Registration
    token: str | None
    repeated: bool = False


def seats_taken(session: DBSession, event_id: int) -> int:
    """Seats held at one event, counted from the rows: the active attendees of confirmed
    registrations (waiting ones hold none). The one definition of a taken seat."""
    return (
        session.scalar(
            select(func.count(Attendee.id))
            .join(Registration, Registration.id == Attendee.registration_id)
            .where(
                Attendee.event_id == event_id,
                Registration.status == RegistrationStatus.CONFIRMED,
                Attendee.status == AttendeeStatus.ACTIVE,
            )
        )
        or 0
    )


def recount_seats(session: DBSession, event: Event) -> int:
    """Store the seats taken (counted from the rows) on the event; call it under the lock
    at the end of every change of seats. Returns the count."""
    session.flush()
    event.seats_taken = seats_taken(session, event.id)
    session.flush()
    return event.seats_taken


def lock_event(session: DBSession, event_id: int) -> Event:
    """Lock the event row until the transaction ends and return the event as stored now.

    Must be the first write of the transaction (see the module's docstring). Raises
    ``NotFound`` for an unknown event.
    """
    session.execute(
        update(Event)
        .where(Event.id == event_id)
        .values(updated_at=Event.updated_at)
        .execution_options(synchronize_session=False)
    )
    event = session.get(Event, event_id, populate_existing=True)
    if event is None:
        raise NotFound(_("Diese Veranstaltung gibt es nicht."))
    return event


def check_attendee_list(attendees: Sequence[AttendeeInput], maximum: int) -> None:
    """At least one attendee, at most ``maximum``, no email twice in one registration."""
    if not attendees:
        raise DomainError(
            _("Bitte geben Sie mindestens eine teilnehmende Person an."), field="attendees"
        )
    if len(attendees) > maximum:
        raise DomainError(
            _("Je Anmeldung sind höchstens %(n)d Teilnehmende möglich.", n=maximum),
            field="attendees",
        )
    seen: set[str] = set()
    for index, attendee in enumerate(attendees):
        email = normalize_email(attendee.email)
        if email in seen:
            raise DomainError(
                _("Diese E-Mail-Adresse steht schon bei einer anderen Person."),
                field=f"attendees-{index}-email",
            )
        seen.add(email)


def email_taken_error(email: str, field: str) -> DomainError:
    return DomainError(
        _("%(email)s ist für diese Veranstaltung bereits angemeldet.", email=email.strip()),
        field=field,
    )


def first_taken_email(session: DBSession, event_id: int, emails: Sequence[str]) -> int | None:
    """The index of the first email that already holds an active place at the event."""
    normalized = [normalize_email(e) for e in emails]
    taken = set(
        session.scalars(
            select(Attendee.email_normalized).where(
                Attendee.event_id == event_id,
                Attendee.status == AttendeeStatus.ACTIVE,
                Attendee.email_normalized.in_(normalized),
            )
        )
    )
    return next((i for i, email in enumerate(normalized) if email in taken), None)


def register(
    session: DBSession,
    event_id: int,
    data: RegistrationInput,
    *,
    override_capacity: bool = False,
    at_the_door: bool = False,
    now: datetime | None = None,
) -> RegistrationOutcome:
    """Register a company: confirmed if all its attendees fit, else on the waiting list.

    ``override_capacity`` (an organiser's decision, never a company's) confirms the
    registration even when it does not fit; the seats taken may then exceed the capacity.
    ``at_the_door`` (an organiser's walk-in) registers also once the event has begun.
    A second call with the same ``submission_key`` returns the first registration. Writes
    the outbox rows for the company (confirmed or waitlisted) and, when confirmed, each
    attendee's calendar invitation, all in the caller's transaction.
    """
    now = now or utcnow()
    if not data.privacy_consent:
        raise DomainError(
            _("Bitte stimmen Sie der Verarbeitung Ihrer Daten zu."), field="privacy_consent"
        )
    event = lock_event(session, event_id)

    if data.submission_key:
        existing = _by_submission_key(session, event.id, data.submission_key)
        if existing is not None:
            return RegistrationOutcome(existing, token=None, repeated=True)
    reason = registration_closed_reason(event, now)
    if at_the_door and event.status is EventStatus.PUBLISHED:
        reason = None  # a walk-in: the event has begun, the registration window is past
    if reason:
        raise RegistrationClosed(reason, field="event")
    check_attendee_list(data.attendees, event.max_attendees_per_registration)
    taken_index = first_taken_email(session, event.id, [a.email for a in data.attendees])
    if taken_index is not None:
        raise email_taken_error(
            data.attendees[taken_index].email, field=f"attendees-{taken_index}-email"
        )

    free = event.capacity - seats_taken(session, event.id)
    fits = override_capacity or len(data.attendees) <= free
    token = new_token()
    registration = Registration(
        event=event,
        status=RegistrationStatus.CONFIRMED if fits else RegistrationStatus.WAITLISTED,
        token_hash=hash_token(token),
        submission_key=data.submission_key,
        company_name=data.company_name.strip(),
        company_size=data.company_size,
        industry=data.industry,
        postcode=data.postcode.strip(),
        town=data.town.strip(),
        contact_name=data.contact_name.strip(),
        contact_email=data.contact_email.strip(),
        contact_phone=data.contact_phone.strip(),
        language=supported_language(data.language),
        privacy_consent_at=now,
        newsletter_consent=data.newsletter_consent,
        share_with_partners=data.share_with_partners,
        referral_partner_id=_partner_id(session, data.referral_partner_slug),
        confirmed_at=now if fits else None,
        waitlisted_at=None if fits else now,
    )
    for attendee in data.attendees:
        registration.attendees.append(new_attendee(event, attendee))
    try:
        # A savepoint, so that a lost race on a unique index leaves a usable transaction.
        # The rows join the session inside it: begin_nested() flushes what is pending first.
        with session.begin_nested():
            session.add(registration)
            session.flush()
    except IntegrityError:
        return _after_lost_race(session, event.id, data)
    if fits:
        recount_seats(session, event)
    notifications.registered(session, registration, token)
    return RegistrationOutcome(registration, token=token)


def new_attendee(event: Event, data: AttendeeInput) -> Attendee:
    return Attendee(
        event_id=event.id,
        name=data.name.strip(),
        email=data.email.strip(),
        email_normalized=normalize_email(data.email),
        status=AttendeeStatus.ACTIVE,
    )


def _by_submission_key(session: DBSession, event_id: int, key: str) -> Registration | None:
    return session.scalar(
        select(Registration).where(
            Registration.event_id == event_id, Registration.submission_key == key
        )
    )


def _partner_id(session: DBSession, slug: str | None) -> int | None:
    """The referring partner; an unknown slug in a link is ignored, not an error."""
    if not slug:
        return None
    return session.scalar(select(Partner.id).where(Partner.slug == slug.strip()))


def _after_lost_race(
    session: DBSession, event_id: int, data: RegistrationInput
) -> RegistrationOutcome:
    """A unique index refused the insert: someone else stored the same thing meanwhile."""
    if data.submission_key:
        existing = _by_submission_key(session, event_id, data.submission_key)
        if existing is not None:
            return RegistrationOutcome(existing, token=None, repeated=True)
    index = first_taken_email(session, event_id, [a.email for a in data.attendees])
    index = index if index is not None else 0
    raise email_taken_error(data.attendees[index].email, field=f"attendees-{index}-email")


def waiting_list_query(event_id: int) -> Select[Registration]:
    """The event's waiting registrations with their attendees, in the order they are
    promoted: oldest first (the one definition of the waiting list's order). One query
    however long the list (attendees joined; read the result with ``.unique()``)."""
    return (
        select(Registration)
        .where(
            Registration.event_id == event_id,
            Registration.status == RegistrationStatus.WAITLISTED,
        )
        .order_by(Registration.waitlisted_at, Registration.id)
        .options(joinedload(Registration.attendees))
    )


def promote_from_waiting_list(
    session: DBSession, event: Event, *, now: datetime | None = None
) -> list[Registration]:
    """Give free seats to waiting registrations, oldest first, and tell each one.

    The oldest waiting registration that fits is promoted, then the next, while seats
    remain. A waiting registration too large for the free seats does not block a smaller
    one behind it (it keeps its place and is promoted as soon as it fits). Nothing moves
    once the event is cancelled or has begun. Takes the event lock itself, so it is safe
    to call from any change that frees seats.
    """
    now = now or utcnow()
    event = lock_event(session, event.id)
    if event.status is not EventStatus.PUBLISHED or event.starts_at <= now:
        return []
    free = event.capacity - seats_taken(session, event.id)
    if free <= 0:
        return []
    waiting = session.scalars(waiting_list_query(event.id)).unique().all()
    promoted = []
    for registration in waiting:
        if 0 < registration.seats <= free:
            registration.status = RegistrationStatus.CONFIRMED
            registration.confirmed_at = now
            free -= registration.seats
            promoted.append(registration)
        if free <= 0:
            break
    if promoted:
        recount_seats(session, event)
    for registration in promoted:
        notifications.promoted(session, registration)
    return promoted


def set_capacity(
    session: DBSession, event: Event, capacity: int, *, now: datetime | None = None
) -> list[Registration]:
    """Change the number of seats; more seats promote from the waiting list.

    Fewer seats than are taken turn nobody away: the event just takes no one new until
    enough attendees have cancelled. Returns the registrations that were promoted.
    """
    if capacity < 0:
        raise DomainError(_("Die Zahl der Plätze kann nicht negativ sein."), field="capacity")
    event = lock_event(session, event.id)
    event.capacity = capacity
    session.flush()
    return promote_from_waiting_list(session, event, now=now)
