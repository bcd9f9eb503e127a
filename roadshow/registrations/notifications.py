"""Who hears about a change: outbox rows, written in the change's transaction.

The company contact gets one message per change of the registration (confirmed, waitlisted,
promoted, cancelled); each attendee with a seat gets a calendar invitation (REQUEST) or its
cancellation (CANCEL). When the organiser changes or cancels the event (the signals of
``events.signals``), confirmed attendees get an updated invitation or a CANCEL, people on
the waiting list the same mail without a calendar part. Idempotency keys name the logical
message, so a repeated call queues nothing twice. Delivery happens after commit, elsewhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from roadshow.database import DBSession
from roadshow.events.models import Event
from roadshow.events.services import EventChange
from roadshow.events.signals import event_cancelled, event_changed
from roadshow.mail.services import enqueue
from roadshow.registrations import tickets
from roadshow.registrations.invitations import queue_invitation
from roadshow.registrations.models import (
    Attendee,
    AttendeeStatus,
    Registration,
    RegistrationStatus,
)
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
    idempotency_key: str | None = None,
    with_tickets: bool = False,
) -> None:
    event: Event = registration.event
    people = registration.active_attendees if attendees is None else attendees
    found = tickets.tickets(event, people) if with_tickets else []
    context: dict[str, Any] = {
        "registration": registration,
        "event": event,
        "attendees": people,
        "tickets": found,
        "event_url": external_url("events.detail", slug=event.slug),
        "manage_url": manage_url(token) if token else None,
        "join_url": registration.join_url,
    }
    enqueue(
        session,
        template=f"registrations/{name}",
        language=registration.language,
        recipient=registration.contact_email,
        recipient_name=registration.contact_name,
        idempotency_key=idempotency_key or f"registration:{registration.id}:{name}",
        context=context,
        images=tickets.images(found),
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
        _contact_message(session, registration, "confirmed", token, with_tickets=True)
        for attendee in registration.active_attendees:
            invite(session, attendee)
    else:
        _contact_message(session, registration, "waitlisted", token)


def confirmation_resent(session: DBSession, registration: Registration, token: str) -> None:
    """The company's mail again, with its new self-service link ``token``, and each
    confirmed attendee's invitation again at the event's current SEQUENCE (same UID, so a
    calendar just refreshes the entry). Each resend is a message of its own: its keys name
    the new token's hash, which every resend changes."""
    resend = f"resent:{registration.token_hash[:16]}"
    if registration.status is RegistrationStatus.CONFIRMED:
        _contact_message(
            session,
            registration,
            "confirmed",
            token,
            idempotency_key=f"registration:{registration.id}:confirmed:{resend}",
            with_tickets=True,
        )
        event = registration.event
        for attendee in registration.active_attendees:
            queue_invitation(
                session,
                attendee=attendee,
                method="REQUEST",
                template="registrations/invitation",
                idempotency_key=f"attendee:{attendee.id}:invite:{event.sequence}:{resend}",
            )
    else:
        _contact_message(
            session,
            registration,
            "waitlisted",
            token,
            idempotency_key=f"registration:{registration.id}:waitlisted:{resend}",
        )


def promoted(session: DBSession, registration: Registration) -> None:
    """Seats freed up for a waiting registration: tell the company, invite its people."""
    _contact_message(session, registration, "promoted", with_tickets=True)
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


def people_to_notify(session: DBSession, event: Event) -> Sequence[Attendee]:
    """Active attendees of the event's confirmed and waiting registrations."""
    return session.scalars(
        select(Attendee)
        .join(Attendee.registration)
        .where(
            Registration.event_id == event.id,
            Registration.status.in_([RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED]),
            Attendee.status == AttendeeStatus.ACTIVE,
        )
        .options(
            contains_eager(Attendee.registration).selectinload(Registration.attendees),
        )
        .order_by(Attendee.id)
    ).all()


def event_changed_notices(
    event: Event, *, session: DBSession, changes: Sequence[EventChange]
) -> int:
    """``events/changed`` to everyone registered, with an updated invitation for
    confirmed attendees; how many messages were queued."""
    return _tell_everyone(session, event, "events/changed", "REQUEST", {"changes": list(changes)})


def event_cancelled_notices(event: Event, *, session: DBSession) -> int:
    """``events/cancelled`` to everyone registered, with a CANCEL for confirmed attendees."""
    return _tell_everyone(session, event, "events/cancelled", "CANCEL", {})


def _tell_everyone(
    session: DBSession,
    event: Event,
    template: str,
    method: Literal["REQUEST", "CANCEL"],
    context: dict[str, Any],
) -> int:
    queued = 0
    for attendee in people_to_notify(session, event):
        registration = attendee.registration
        # One message per attendee and version of the event: a repeated call queues nothing.
        key = f"event-{event.id}:sequence-{event.sequence}:attendee-{attendee.id}:{method.lower()}"
        if registration.status is RegistrationStatus.CONFIRMED:
            queue_invitation(
                session,
                attendee=attendee,
                method=method,
                template=template,
                idempotency_key=key,
                context={**context, "invitation": True},
            )
        else:
            enqueue(
                session,
                template=template,
                language=registration.language,
                recipient=attendee.email,
                recipient_name=attendee.name,
                idempotency_key=key + ":waiting-list",
                context={
                    **context,
                    "event": event,
                    "attendee": attendee,
                    "registration": registration,
                    "event_url": external_url("events.detail", slug=event.slug),
                    "invitation": False,
                    "join_url": None,
                },
                event_id=event.id,
                registration_id=registration.id,
            )
        queued += 1
    return queued


def listen_to_events() -> None:
    """Subscribe to the events domain's news (called once at start-up)."""
    event_changed.connect(event_changed_notices, weak=False)
    event_cancelled.connect(event_cancelled_notices, weak=False)
