"""Counts organisers watch (the dashboard): each is one grouped query, whatever the size.

Seats taken need no count here: every change of seats stores them on the event
(``Event.seats_taken``, see ``registrations.services``).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from roadshow.database import DBSession
from roadshow.events.models import Event
from roadshow.registrations.models import (
    Attendee,
    AttendeeStatus,
    Registration,
    RegistrationStatus,
)


def waiting_attendees(session: DBSession, event_ids: Collection[int]) -> dict[int, int]:
    """People on the waiting list per event: the active attendees of waiting registrations.

    Every event asked for has an entry, zero included.
    """
    if not event_ids:
        return {}
    # From the waiting registrations (indexed by event and status) to their attendees.
    rows = session.execute(
        select(Registration.event_id, func.count(Attendee.id))
        .join(Attendee, Attendee.registration_id == Registration.id)
        .where(
            Registration.event_id.in_(event_ids),
            Registration.status == RegistrationStatus.WAITLISTED,
            Attendee.status == AttendeeStatus.ACTIVE,
        )
        .group_by(Registration.event_id)
    ).all()
    counts = {int(event_id): int(count) for event_id, count in rows}
    return {event_id: counts.get(event_id, 0) for event_id in event_ids}


@dataclass(frozen=True)
class RecentRegistrations:
    """Registrations made since a moment: how many, and the events that got the most."""

    total: int
    top_events: list[tuple[Event, int]]


def registrations_since(
    session: DBSession, since: datetime, *, top: int = 5
) -> RecentRegistrations:
    """Registrations made since ``since`` (whatever became of them later: a company that
    registered and cancelled still registered), in total and for the ``top`` events with
    the most. Two queries."""
    total = session.scalar(
        select(func.count(Registration.id)).where(Registration.created_at >= since)
    )
    # Grouped by ``event_id + 0``, not by the column: SQLite would otherwise walk the index
    # on (event_id, status) through every registration ever made, instead of reading the
    # recent ones from the index on created_at.
    event_id = (Registration.event_id + 0).label("event_id")
    per_event = (
        select(event_id, func.count(Registration.id).label("made"))
        .where(Registration.created_at >= since)
        .group_by(event_id)
        .subquery()
    )
    rows = session.execute(
        select(Event, per_event.c.made)
        .join(per_event, per_event.c.event_id == Event.id)
        .order_by(per_event.c.made.desc(), Event.starts_at, Event.id)
        .limit(top)
    ).all()
    return RecentRegistrations(int(total or 0), [(event, int(made)) for event, made in rows])
