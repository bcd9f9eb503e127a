"""Who hears about a registration change: outbox rows, written in the change's transaction.

The company contact gets one message per change of the registration (confirmed, waitlisted,
promoted, cancelled); each attendee with a seat gets a calendar invitation (REQUEST) or its
cancellation (CANCEL). Idempotency keys name the logical message, so a repeated call queues
nothing twice. Delivery happens after commit, elsewhere.
"""

from __future__ import annotations

from typing import Any

from roadshow.database import DBSession
from roadshow.events.models import Event
from roadshow.mail.invitations import queue_invitation
from roadshow.mail.services import enqueue
from roadshow.registrations.models import Attendee, Registration, RegistrationStatus
from roadshow.urls import external_url


def manage_url(token: str) -> str:
    """The self-service link; only mails that carry the raw token can build it."""
    return external_url("registrations.manage", token=token)


def _contact_message(
    session: DBSession,
    registration: Registration,
    name: str,
    token: str | None = None,
    attendees: list[Attendee] | None = None,
) -> None:
    event: Event = registration.event
    confirmed = registration.status is RegistrationStatus.CONFIRMED
    context: dict[str, Any] = {
        "registration": registration,
        "event": event,
        "attendees": registration.active_attendees if attendees is None else attendees,
        "event_url": external_url("events.detail", slug=event.slug),
        "manage_url": manage_url(token) if token else None,
        # The join link goes only to companies whose seats are confirmed.
        "join_url": event.join_url if confirmed else None,
    }
    enqueue(
        session,
        template=f"registrations/{name}",
        language=registration.language,
        recipient=registration.contact_email,
        recipient_name=registration.contact_name,
        idempotency_key=f"registration:{registration.id}:{name}",
        context=context,
        event_id=event.id,
        registration_id=registration.id,
    )


def invite(session: DBSession, attendee: Attendee) -> None:
    """The attendee's calendar invitation at the event's current SEQUENCE."""
    event = attendee.registration.event
    queue_invitation(
        session,
        attendee=attendee,
        method="REQUEST",
        template="registrations/invitation",
        idempotency_key=f"attendee:{attendee.id}:invite:{event.sequence}",
        context={"join_url": event.join_url},
    )


def uninvite(session: DBSession, attendee: Attendee) -> None:
    """Take the event out of the attendee's calendar."""
    queue_invitation(
        session,
        attendee=attendee,
        method="CANCEL",
        template="registrations/invitation_cancelled",
        idempotency_key=f"attendee:{attendee.id}:cancel",
    )


def registered(session: DBSession, registration: Registration, token: str) -> None:
    """A new registration: confirmed (with invitations) or on the waiting list."""
    if registration.status is RegistrationStatus.CONFIRMED:
        _contact_message(session, registration, "confirmed", token)
        for attendee in registration.active_attendees:
            invite(session, attendee)
    else:
        _contact_message(session, registration, "waitlisted", token)


def promoted(session: DBSession, registration: Registration) -> None:
    """Seats freed up for a waiting registration: tell the company, invite its people."""
    _contact_message(session, registration, "promoted")
    for attendee in registration.active_attendees:
        invite(session, attendee)


def cancelled(
    session: DBSession, registration: Registration, attendees: list[Attendee], had_seats: bool
) -> None:
    """The whole registration was cancelled; ``attendees`` were active until now, and if
    ``had_seats``, their calendar entries are withdrawn."""
    _contact_message(session, registration, "cancelled", attendees=attendees)
    if had_seats:
        for attendee in attendees:
            uninvite(session, attendee)


def attendee_added(session: DBSession, attendee: Attendee) -> None:
    if attendee.registration.status is RegistrationStatus.CONFIRMED:
        invite(session, attendee)


def attendee_removed(session: DBSession, attendee: Attendee) -> None:
    if attendee.registration.status is RegistrationStatus.CONFIRMED:
        uninvite(session, attendee)
