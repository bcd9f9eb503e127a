"""Who would be told of a change or a cancellation, counted without changing anything.

The counts come from the same selections the real notifications use: the attendees of
``notifications.people_to_notify`` (each one receives a message from ``_tell_everyone``:
an updated invitation or a CANCEL when confirmed, the same mail without calendar part on
the waiting list) and the subscribers of ``calendar.notifications.subscribers_to_notify``.
A change that would not reach attendees (``pending_changes`` finds nothing) reaches
nobody.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from roadshow.calendar.notifications import subscribers_to_notify
from roadshow.database import DBSession
from roadshow.events.models import Event, EventStatus, Venue
from roadshow.events.services import UNCHANGED, Unchanged, pending_changes
from roadshow.registrations.notifications import people_to_notify


@dataclass(frozen=True)
class Impact:
    """How many would hear of it: attendees, the registrations (companies) they belong
    to, and feed subscribers."""

    attendees: int = 0
    registrations: int = 0
    subscribers: int = 0

    def as_json(self) -> dict[str, int]:
        return asdict(self)

    @property
    def reaches_anyone(self) -> bool:
        return bool(self.attendees or self.subscribers)


NOBODY = Impact()


def _people(session: DBSession, event: Event) -> tuple[int, int]:
    people = people_to_notify(session, event)
    return len(people), len({attendee.registration_id for attendee in people})


def impact_of_change(
    session: DBSession,
    event: Event,
    *,
    starts_at: datetime | Unchanged = UNCHANGED,
    ends_at: datetime | Unchanged = UNCHANGED,
    venue: Venue | None | Unchanged = UNCHANGED,
    join_url: str | None | Unchanged = UNCHANGED,
) -> Impact:
    """Who ``change_event`` with these arguments would tell (nobody when it would change
    nothing). Raises the ``DomainError`` that ``change_event`` would raise."""
    changes = pending_changes(
        event, starts_at=starts_at, ends_at=ends_at, venue=venue, join_url=join_url
    )
    if not changes:
        return NOBODY
    attendees, registrations = _people(session, event)
    town: str | None | Unchanged = UNCHANGED
    if not isinstance(venue, Unchanged):
        town = venue.town if venue is not None else None
    subscribers = len(subscribers_to_notify(session, event, town=town))
    return Impact(attendees, registrations, subscribers)


def impact_of_cancellation(session: DBSession, event: Event) -> Impact:
    """Who ``cancel_event`` would tell (nobody once the event is cancelled)."""
    if event.status is EventStatus.CANCELLED:
        return NOBODY
    attendees, registrations = _people(session, event)
    return Impact(attendees, registrations, len(subscribers_to_notify(session, event)))
