"""Queueing a calendar invitation (iMIP REQUEST or CANCEL) for one attendee."""

from __future__ import annotations

from typing import Any, Literal

from flask import current_app

from roadshow.calendar.ics import invitation
from roadshow.database import DBSession, utcnow
from roadshow.mail.models import OutboxMessage
from roadshow.mail.services import enqueue
from roadshow.registrations.models import Attendee
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

    A REQUEST carries the event's current SEQUENCE (and, for webinars, the join link, which
    only attendees ever see); a CANCEL removes the entry from the attendee's calendar.
    """
    registration = attendee.registration
    event = registration.event
    config = current_app.config
    event_url = external_url("events.detail", slug=event.slug)
    ics = invitation(
        event,
        method=method,
        attendee_email=attendee.email,
        attendee_name=attendee.name,
        organizer_email=config["ORGANIZER_EMAIL"],
        organizer_name=config["ORGANIZER_NAME"],
        event_url=event_url,
        dtstamp=utcnow(),
        join_url=event.join_url,
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
            **(context or {}),
        },
        ics=ics,
        ics_method=method,
        event_id=event.id,
        registration_id=registration.id,
    )
