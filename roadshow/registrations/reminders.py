"""Reminders the day before: one per attendee and event date, however often the run repeats."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from roadshow.database import DBSession, utcnow
from roadshow.events.models import Event, EventStatus
from roadshow.mail.models import OutboxMessage
from roadshow.mail.services import enqueue
from roadshow.registrations.models import (
    Attendee,
    AttendeeStatus,
    Registration,
    RegistrationStatus,
)
from roadshow.urls import external_url


def reminder_key(attendee: Attendee, event: Event) -> str:
    # The start is part of the key: an event moved to another day earns a new reminder.
    return f"reminder:event-{event.id}:{event.starts_at:%Y%m%dT%H%MZ}:attendee-{attendee.id}"


def queue_reminders(
    session: DBSession, *, within_hours: int = 24, now: datetime | None = None
) -> int:
    """Queue ``events/reminder`` for attendees of events starting within ``within_hours``.

    Only active attendees of confirmed registrations of published events are reminded;
    they get the join link (``Registration.join_url``). Returns how many were queued.
    """
    now = now or utcnow()
    attendees = session.scalars(
        select(Attendee)
        .join(Attendee.registration)
        .join(Registration.event)
        .where(
            Event.status == EventStatus.PUBLISHED,
            Event.starts_at > now,
            Event.starts_at <= now + timedelta(hours=within_hours),
            Registration.status == RegistrationStatus.CONFIRMED,
            Attendee.status == AttendeeStatus.ACTIVE,
        )
        .options(
            contains_eager(Attendee.registration).contains_eager(Registration.event),
            contains_eager(Attendee.registration).selectinload(Registration.attendees),
            contains_eager(Attendee.registration)
            .contains_eager(Registration.event)
            .selectinload(Event.venue),
        )
        .order_by(Event.starts_at, Attendee.id)
    ).all()
    keys = {a.id: reminder_key(a, a.registration.event) for a in attendees}
    already = set(
        session.scalars(
            select(OutboxMessage.idempotency_key).where(
                OutboxMessage.idempotency_key.in_(list(keys.values()))
            )
        )
    )
    queued = 0
    for attendee in attendees:
        if keys[attendee.id] in already:
            continue
        registration = attendee.registration
        event = registration.event
        enqueue(
            session,
            template="events/reminder",
            language=registration.language,
            recipient=attendee.email,
            recipient_name=attendee.name,
            idempotency_key=keys[attendee.id],
            context={
                "event": event,
                "attendee": attendee,
                "registration": registration,
                "event_url": external_url("events.detail", slug=event.slug),
                "join_url": registration.join_url,
            },
            event_id=event.id,
            registration_id=registration.id,
        )
        queued += 1
    return queued
