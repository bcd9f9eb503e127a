"""Check-in at the door: by the ticket's code, by name from the list, or a walk-in.

One row per attendee (``check_in.attendee_id`` is unique), so that several devices checking
in the same person, at the same moment or an hour later from an offline queue, leave one
check-in; the earlier time wins. Each function works in the caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager

from roadshow.accounts.models import Role, User
from roadshow.accounts.services import record
from roadshow.attendance.models import CheckIn, CheckInMethod
from roadshow.database import DBSession, utcnow
from roadshow.errors import DomainError
from roadshow.events.models import Event, EventPartner
from roadshow.registrations.models import (
    Attendee,
    AttendeeStatus,
    Registration,
    RegistrationStatus,
)
from roadshow.registrations.organiser import register_manually
from roadshow.registrations.services import AttendeeInput, RegistrationInput
from roadshow.tokens import normalize_check_in_code

# How far a device's clock may run ahead of the server's before its time is not believed.
CLOCK_SKEW = timedelta(minutes=2)
# How long a device may have kept a scan before sending it (a day at a venue without network).
OFFLINE_AT_MOST = timedelta(days=3)


class EventFull(DomainError):
    """A walk-in would take a seat the event does not have (the organiser may override)."""


@dataclass(frozen=True)
class WalkIn:
    """The four fields asked at the door."""

    name: str
    email: str
    company: str
    town: str


def may_check_in(session: DBSession, user: User, event: Event) -> bool:
    """Organisers always; a partner's staff only where the organiser allows it for the
    event and their partner has a role in it."""
    if user.is_organiser:
        return True
    if user.role is not Role.PARTNER or not event.partners_may_check_in:
        return False
    role = session.scalar(
        sa.select(EventPartner.partner_id).where(
            EventPartner.event_id == event.id, EventPartner.partner_id == user.partner_id
        )
    )
    return role is not None


def _at_the_door(query: Any, event_id: int) -> Any:
    """The people expected at the door: active attendees of confirmed registrations."""
    return (
        query.join(Registration, Registration.id == Attendee.registration_id)
        .outerjoin(CheckIn, CheckIn.attendee_id == Attendee.id)
        .where(
            Attendee.event_id == event_id,
            Attendee.status == AttendeeStatus.ACTIVE,
            Registration.status == RegistrationStatus.CONFIRMED,
        )
    )


def present_attendees(event_id: int) -> sa.Select[Attendee, CheckIn | None]:
    """The people expected at the door, each with their check-in if there is one, with
    their registration loaded, in name order."""
    query = sa.select(Attendee, CheckIn).options(contains_eager(Attendee.registration))
    return _at_the_door(query, event_id).order_by(sa.func.lower(Attendee.name), Attendee.id)


def find_by_code(session: DBSession, event: Event, code: str) -> Attendee | None:
    """The attendee whose ticket carries ``code`` (as typed, scanned or printed in groups),
    if they hold a seat at this event."""
    normalized = normalize_check_in_code(code)
    if not normalized:
        return None
    return session.scalar(present_attendees(event.id).where(Attendee.check_in_code == normalized))


def find_attendee(session: DBSession, event: Event, attendee_id: int) -> Attendee | None:
    return session.scalar(present_attendees(event.id).where(Attendee.id == attendee_id))


def trusted_time(at: datetime | None, now: datetime | None = None) -> datetime:
    """The time a device says a scan happened, if it is believable: not ahead of the
    server (beyond a little clock skew) and not older than a queue would keep it. Else now."""
    now = now or utcnow()
    if at is None or at.tzinfo is None:
        return now
    if at > now + CLOCK_SKEW or at < now - OFFLINE_AT_MOST:
        return now
    return min(at, now)


def check_in(
    session: DBSession,
    event: Event,
    attendee: Attendee,
    *,
    method: CheckInMethod,
    by: User | None,
    at: datetime | None = None,
) -> tuple[CheckIn, bool]:
    """Check ``attendee`` in; returns the check-in and whether there was one before.

    A second scan changes nothing but the time, when it says the person came earlier (a
    device that was offline sends its scans late). Two requests racing for one person
    leave one row: the loser of the insert reads the winner's.
    """
    when = trusted_time(at)
    existing = _check_in_of(session, attendee.id)
    if existing is None:
        row = CheckIn(
            event_id=event.id,
            attendee_id=attendee.id,
            method=method,
            checked_in_at=when,
            checked_in_by_id=by.id if by else None,
            attended=True,
        )
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError:
            existing = _check_in_of(session, attendee.id)
            if existing is None:  # pragma: no cover - the unique index said it exists
                raise
        else:
            record(
                session,
                "attendee.checked_in",
                attendee,
                by,
                method=method.value,
                checked_in_at=when.isoformat(),
            )
            return row, False
    if not existing.attended:
        # A webinar report said too short; someone at the door says present.
        existing.attended = True
        existing.checked_in_at = when
        return existing, False
    if when < existing.checked_in_at:
        existing.checked_in_at = when
    return existing, True


def undo(session: DBSession, row: CheckIn, *, by: User | None) -> None:
    """Take a check-in back (scanned the wrong ticket)."""
    attendee = session.get(Attendee, row.attendee_id)
    record(
        session,
        "attendee.check_in_undone",
        attendee,
        by,
        method=row.method.value,
        checked_in_at=row.checked_in_at.isoformat(),
    )
    session.delete(row)
    session.flush()


def walk_in(
    session: DBSession,
    event: Event,
    data: WalkIn,
    *,
    by: User,
    ref: str | None = None,
    override_capacity: bool = False,
    at: datetime | None = None,
    language: str = "de",
) -> tuple[Registration, CheckIn, bool]:
    """Register someone at the door and check them in; returns the registration, the
    check-in and whether ``ref`` had been sent before (a queue sending twice makes one).

    The registration is the organiser's (the person agreed at the desk), confirmed within
    capacity, beyond it only with ``override_capacity``; the person gets the usual
    confirmation with their ticket.
    """
    values = {
        "name": data.name.strip(),
        "email": data.email.strip(),
        "company": data.company.strip(),
        "town": data.town.strip(),
    }
    if ref:
        earlier = _walk_in_by_ref(session, event.id, ref)
        if earlier is not None:
            registration, row = earlier
            return registration, row, True
    free = event.capacity - event.seats_taken
    if free < 1 and not override_capacity:
        raise EventFull(
            _(
                "Die Veranstaltung ist voll. Zum Einchecken trotzdem „Auch über die "
                "Kapazität“ ankreuzen."
            ),
            field="override_capacity",
        )
    outcome = register_manually(
        session,
        event.id,
        RegistrationInput(
            company_name=values["company"],
            contact_name=values["name"],
            contact_email=values["email"],
            attendees=[AttendeeInput(values["name"], values["email"])],
            privacy_consent=True,
            town=values["town"],
            language=language,
            submission_key=_submission_key(ref),
        ),
        actor=by,
        override_capacity=override_capacity,
        at_the_door=True,
    )
    registration = outcome.registration
    if registration.status is not RegistrationStatus.CONFIRMED:  # another device took the seat
        raise EventFull(
            _(
                "Die Veranstaltung ist gerade voll geworden. Bitte „Auch über die "
                "Kapazität“ ankreuzen."
            ),
            field="override_capacity",
        )
    attendee = registration.attendees[0]
    row, _already = check_in(session, event, attendee, method=CheckInMethod.WALK_IN, by=by, at=at)
    return registration, row, outcome.repeated


def counts(session: DBSession, event: Event) -> tuple[int, int]:
    """(checked in, expected) at the door, in one query."""
    query = sa.select(sa.func.count(CheckIn.id), sa.func.count(Attendee.id)).select_from(Attendee)
    present, expected = session.execute(_at_the_door(query, event.id)).one()
    return int(present), int(expected)


def _submission_key(ref: str | None) -> str | None:
    return f"walk-in:{ref}"[:64] if ref else None


def _walk_in_by_ref(
    session: DBSession, event_id: int, ref: str
) -> tuple[Registration, CheckIn] | None:
    registration = session.scalar(
        sa.select(Registration).where(
            Registration.event_id == event_id,
            Registration.submission_key == _submission_key(ref),
        )
    )
    if registration is None or not registration.attendees:
        return None
    row = _check_in_of(session, registration.attendees[0].id)
    if row is None:
        return None
    return registration, row


def _check_in_of(session: DBSession, attendee_id: int) -> CheckIn | None:
    return session.scalar(
        sa.select(CheckIn)
        .where(CheckIn.attendee_id == attendee_id)
        .execution_options(populate_existing=True)
    )
