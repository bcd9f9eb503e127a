"""A registration's own calendar feed: its event, with the join link for its people.

Built and answered like every feed (``calendar.feeds``, ``calendar.responses``); what the
entry shows depends on the registration, which is this domain's business.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from roadshow.calendar.feeds import (
    CANCELLED_DAYS,
    PAST_DAYS,
    FeedEntries,
    event_changed_at,
    updated_at_of,
    window_start,
)
from roadshow.calendar.rendering import FeedEntry
from roadshow.calendar.values import CalendarEvent
from roadshow.events.models import EventStatus
from roadshow.registrations.models import Registration, RegistrationStatus


def registration_entries(registration: Registration, *, now: datetime) -> FeedEntries:
    """The event of one registration, as its personal feed shows it.

    The join link where the registration may see it (``Registration.join_url``); a
    cancelled registration (or one without seats left) shows the event as cancelled for
    30 days, like a cancelled event; a waiting-list place shows it as tentative.
    """
    event = registration.event
    if event.status is EventStatus.DRAFT:
        return FeedEntries()
    day = window_start(now)
    if event.ends_at < day - timedelta(days=PAST_DAYS):
        return FeedEntries()
    seat_gone = registration.status is RegistrationStatus.CANCELLED or not registration.seats
    changed_at = event_changed_at(event)
    cancelled_at = event.cancelled_at if event.status is EventStatus.CANCELLED else None
    if seat_gone:
        seat_gone_at = registration.cancelled_at or max(
            [a.cancelled_at for a in registration.attendees if a.cancelled_at]
            or [registration.updated_at]
        )
        changed_at = max(changed_at, seat_gone_at)
        cancelled_at = max(cancelled_at or seat_gone_at, seat_gone_at)
    cancelled = seat_gone or event.status is EventStatus.CANCELLED
    if cancelled and (cancelled_at or event.updated_at) < day - timedelta(days=CANCELLED_DAYS):
        return FeedEntries()
    entry = FeedEntry(
        value=CalendarEvent.from_event(event),
        changed_at=changed_at,
        cancelled=cancelled,
        waitlisted=registration.status is RegistrationStatus.WAITLISTED,
        join_url=registration.join_url,
    )
    return FeedEntries((entry,), updated_at_of(event))
