"""Queueing a calendar invitation (iMIP REQUEST or CANCEL) for one attendee."""

from __future__ import annotations

from typing import Any, Literal

from roadshow.calendar.ics import invitation
from roadshow.database import DBSession, utcnow
from roadshow.mail.models import OutboxMessage
from roadshow.mail.services import CalendarPart, enqueue
from roadshow.registrations import tickets
from roadshow.registrations.models import Attendee
from roadshow.settings import settings
from roadshow.urls import external_url


def queue_invitation(
    session: DBSession,
    *,
    attendee: Attendee,
    method: Literal["REQUEST", "CANCEL"],
    template: str,
    idempotency_key: str,
    context: dict[str, Any] | None = None,
) -> OutboxMessage:
    """Queue ``template`` to ``attendee`` with the event's invitation attached.

    A REQUEST carries the event's current SEQUENCE (and the join link, where the
    registration may see it); a CANCEL removes the entry from the attendee's calendar.
    The mail's ``join_url`` is the same as the invitation's.
    """
    registration = attendee.registration
    event = registration.event
    site = settings()
    event_url = external_url("events.detail", slug=event.slug)
    join_url = registration.join_url if method == "REQUEST" else None
    # A valid invitation carries the ticket; a withdrawn one does not.
    found = tickets.tickets(event, [attendee]) if method == "REQUEST" else []
    ics = invitation(
        event,
        method=method,
        attendee_email=attendee.email,
        attendee_name=attendee.name,
        organizer_email=site.organizer_email,
        organizer_name=site.organizer_name,
        event_url=event_url,
        dtstamp=utcnow(),
        join_url=join_url,
    )
    return enqueue(
        session,
        template=template,
        language=registration.language,
        recipient=attendee.email,
        recipient_name=attendee.name,
        idempotency_key=idempotency_key,
        context={
            "event": event,
            "attendee": attendee,
            "registration": registration,
            "event_url": event_url,
            "join_url": join_url,
            "ticket": found[0] if found else None,
            **(context or {}),
        },
        calendar=CalendarPart(ics, method),
        images=tickets.images(found),
        event_id=event.id,
        registration_id=registration.id,
    )
