"""Telling the people registered for an event that it changed or was cancelled.

Confirmed attendees get a calendar message (iMIP): a REQUEST with the event's UID and its
raised SEQUENCE moves their calendar entry; a CANCEL removes it. People on the waiting
list have no entry to update; they get the same email without a calendar part.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from roadshow.database import DBSession
from roadshow.events.models import Event, Venue
from roadshow.mail.invitations import queue_invitation
from roadshow.mail.services import enqueue
from roadshow.registrations.models import (
    Attendee,
    AttendeeStatus,
    Registration,
    RegistrationStatus,
)
from roadshow.urls import external_url


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


def place_text(venue: Venue | None) -> str | None:
    return f"{venue.name}, {venue.address}" if venue is not None else None


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
        .options(contains_eager(Attendee.registration))
        .order_by(Attendee.id)
    ).all()


def notify_event_changed(session: DBSession, event: Event, changes: Sequence[EventChange]) -> int:
    """Queue ``events/changed`` (with an updated invitation for confirmed attendees)."""
    return _notify(session, event, "events/changed", "REQUEST", {"changes": list(changes)})


def notify_event_cancelled(session: DBSession, event: Event) -> int:
    """Queue ``events/cancelled`` (with a CANCEL for confirmed attendees)."""
    return _notify(session, event, "events/cancelled", "CANCEL", {})


def _notify(
    session: DBSession, event: Event, template: str, method: str, context: dict[str, Any]
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
                method="CANCEL" if method == "CANCEL" else "REQUEST",
                template=template,
                idempotency_key=key,
                context={**context, "invitation": True, "join_url": event.join_url},
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
