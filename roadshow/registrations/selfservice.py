"""Changes a company makes through its self-service link: add, replace, remove, cancel.

Each change locks the event first (see ``services.lock_event``), reloads the registration
as stored now, and promotes from the waiting list when it frees seats.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from roadshow.database import DBSession, utcnow
from roadshow.errors import DomainError, NotFound
from roadshow.events.models import Event, EventStatus
from roadshow.events.services import registration_closed_reason
from roadshow.mail.addresses import normalize_email
from roadshow.registrations import notifications
from roadshow.registrations.models import (
    Attendee,
    AttendeeStatus,
    Registration,
    RegistrationStatus,
)
from roadshow.registrations.services import (
    AttendeeInput,
    email_taken_error,
    first_taken_email,
    lock_event,
    new_attendee,
    promote_from_waiting_list,
    recount_seats,
    seats_taken,
)


@dataclass(frozen=True)
class AllowedChanges:
    """What the company may still do on its self-service page (the page shows only that).

    ``change``: give a seat to someone else, remove a person, cancel the whole registration.
    ``add``: one more person (registration still open, below the maximum per company).
    """

    change: bool
    add: bool


def allowed_changes(registration: Registration, *, now: datetime | None = None) -> AllowedChanges:
    """The rules of ``_locked`` and ``add_attendee``, asked without changing anything."""
    now = now or utcnow()
    event = registration.event
    change = (
        registration.status is not RegistrationStatus.CANCELLED
        and event.status is EventStatus.PUBLISHED
        and event.starts_at > now
    )
    add = (
        change
        and registration_closed_reason(event, now) is None
        and registration.seats < event.max_attendees_per_registration
    )
    return AllowedChanges(change=change, add=add)


class AlreadyCancelled(DomainError):
    """The registration was cancelled before; there is nothing left to change."""


def lock_registration(session: DBSession, registration: Registration) -> tuple[Event, Registration]:
    """Lock the event and reload the registration as stored now; refuse a cancelled one.

    The first step of every change of a registration, the company's and the organiser's.
    """
    event = lock_event(session, registration.event_id)
    fresh = session.scalar(
        select(Registration)
        .where(Registration.id == registration.id)
        .options(selectinload(Registration.attendees))
        .execution_options(populate_existing=True)
    )
    if fresh is None:
        raise NotFound(_("Diese Anmeldung gibt es nicht."))
    if fresh.status is RegistrationStatus.CANCELLED:
        raise AlreadyCancelled(_("Diese Anmeldung ist bereits storniert."))
    return event, fresh


def _locked(
    session: DBSession, registration: Registration, now: datetime
) -> tuple[Event, Registration]:
    """Lock the event, reload the registration, and refuse what the company can no longer
    change (the self-service deadlines)."""
    event, fresh = lock_registration(session, registration)
    if event.status is EventStatus.CANCELLED:
        raise DomainError(_("Die Veranstaltung wurde abgesagt; Änderungen sind nicht möglich."))
    if event.starts_at <= now:
        raise DomainError(
            _("Die Veranstaltung hat bereits begonnen; Änderungen sind nicht mehr möglich.")
        )
    return event, fresh


def _active_attendee(registration: Registration, attendee_id: int) -> Attendee:
    for attendee in registration.active_attendees:
        if attendee.id == attendee_id:
            return attendee
    raise NotFound(_("Diese Person gehört nicht (mehr) zu Ihrer Anmeldung."))


def _insert(session: DBSession, registration: Registration, attendee: Attendee, field: str) -> None:
    """Add and flush a new attendee; a lost race for the same email becomes the usual
    message. The attendee joins inside the savepoint (begin_nested flushes first)."""
    try:
        with session.begin_nested():
            registration.attendees.append(attendee)
            session.flush()
    except IntegrityError:
        raise email_taken_error(attendee.email, field=field) from None


def add_attendee(
    session: DBSession,
    registration: Registration,
    data: AttendeeInput,
    *,
    now: datetime | None = None,
) -> Attendee:
    """One more person for the registration, while registration is open.

    A confirmed registration needs a free seat for them; a waiting one simply grows and
    keeps its place in the queue.
    """
    now = now or utcnow()
    event, registration = _locked(session, registration, now)
    reason = registration_closed_reason(event, now)
    if reason:
        raise DomainError(reason)
    if registration.seats >= event.max_attendees_per_registration:
        raise DomainError(
            _(
                "Je Anmeldung sind höchstens %(n)d Teilnehmende möglich.",
                n=event.max_attendees_per_registration,
            )
        )
    if first_taken_email(session, event.id, [data.email]) is not None:
        raise email_taken_error(data.email, field="email")
    confirmed = registration.status is RegistrationStatus.CONFIRMED
    if confirmed and event.capacity - seats_taken(session, event.id) < 1:
        raise DomainError(
            _("Leider ist kein Platz mehr frei. Sie können stattdessen eine Person ersetzen.")
        )
    attendee = new_attendee(event, data)
    _insert(session, registration, attendee, field="email")
    recount_seats(session, event)
    notifications.attendee_added(session, attendee)
    return attendee


def replace_attendee(
    session: DBSession,
    registration: Registration,
    attendee_id: int,
    data: AttendeeInput,
    *,
    now: datetime | None = None,
) -> Attendee:
    """Give an attendee's seat to someone else (or correct the name), until the event.

    The seat stays with the registration, so no capacity is needed; the person leaving
    gets a calendar cancellation and the new one an invitation.
    """
    now = now or utcnow()
    event, registration = _locked(session, registration, now)
    old = _active_attendee(registration, attendee_id)
    if normalize_email(data.email) == old.email_normalized:
        old.name = data.name.strip()
        session.flush()
        return old
    if first_taken_email(session, event.id, [data.email]) is not None:
        raise email_taken_error(data.email, field="email")
    old.status = AttendeeStatus.CANCELLED
    old.cancelled_at = now
    session.flush()  # the old seat is released before the new one is taken
    new = new_attendee(event, data)
    _insert(session, registration, new, field="email")
    notifications.attendee_removed(session, old)
    notifications.attendee_added(session, new)
    return new


def remove_attendee(
    session: DBSession,
    registration: Registration,
    attendee_id: int,
    *,
    now: datetime | None = None,
) -> list[Registration]:
    """Free one attendee's seat (the last one cancels the registration).

    Returns the waiting registrations the freed seat promoted.
    """
    now = now or utcnow()
    event, registration = _locked(session, registration, now)
    return release_attendee(session, event, registration, attendee_id, now)


def release_attendee(
    session: DBSession, event: Event, registration: Registration, attendee_id: int, now: datetime
) -> list[Registration]:
    """``remove_attendee`` once the caller holds the lock (``lock_registration``): the
    attendee's calendar entry is withdrawn and the freed seat promotes from the waiting
    list; the last attendee cancels the whole registration."""
    attendee = _active_attendee(registration, attendee_id)
    if registration.seats == 1:
        return release_registration(session, event, registration, now)
    attendee.status = AttendeeStatus.CANCELLED
    attendee.cancelled_at = now
    recount_seats(session, event)
    notifications.attendee_removed(session, attendee)
    return promote_from_waiting_list(session, event, now=now)


def cancel_registration(
    session: DBSession, registration: Registration, *, now: datetime | None = None
) -> list[Registration]:
    """Cancel the whole registration; returns the waiting registrations it promoted."""
    now = now or utcnow()
    event, registration = _locked(session, registration, now)
    return release_registration(session, event, registration, now)


def release_registration(
    session: DBSession, event: Event, registration: Registration, now: datetime
) -> list[Registration]:
    """``cancel_registration`` once the caller holds the lock (``lock_registration``):
    every seat is freed, the company told, attendees with a seat get a CANCEL, and the
    waiting list moves up."""
    had_seats = registration.status is RegistrationStatus.CONFIRMED
    attendees = registration.active_attendees
    for attendee in attendees:
        attendee.status = AttendeeStatus.CANCELLED
        attendee.cancelled_at = now
    registration.status = RegistrationStatus.CANCELLED
    registration.cancelled_at = now
    recount_seats(session, event)
    notifications.cancelled(session, registration, attendees, had_seats=had_seats)
    return promote_from_waiting_list(session, event, now=now)
