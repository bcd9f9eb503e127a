"""Subscribable calendar feeds: which events a feed holds, and the feed as bytes.

A feed has no METHOD and no ATTENDEE (it is published, not an invitation), but every event
carries the same UID and SEQUENCE as the invitations attendees get. DTSTAMP and
LAST-MODIFIED come from the event's last change, never from the clock, and the window of
past and cancelled events moves once a day: a feed whose events did not change keeps its
bytes, so its ETag answers conditional requests with 304.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import defer, selectinload

from roadshow.calendar.filters import FeedFilter
from roadshow.calendar.rendering import (
    KEY_COLUMNS,
    Feed,
    FeedEntry,
    cached_feed,
    entry_key,
    feed_key,
    key_of,
    render_feed,
    summary_prefixes,
    zones_of,
)
from roadshow.database import DBSession
from roadshow.events.models import Event, EventStatus, Venue
from roadshow.registrations.models import Registration, RegistrationStatus

CANCELLED_DAYS = 30  # a cancelled event stays this long, then leaves the feed
PAST_DAYS = 90  # an event that has ended stays this long, so calendars keep recent history
# Loaded only if touched: a feed of 10,000 events spends most of its time loading rows.
UNUSED_COLUMNS = (
    Event.capacity,
    Event.max_attendees_per_registration,
    Event.registration_opens_at,
    Event.registration_closes_at,
    Event.join_url,
    Event.series_id,
    Event.tour_id,
)

__all__ = ["Feed", "FeedEntry", "build_feed", "build_public_feed", "registration_entries"]


def event_changed_at(event: Event) -> datetime:
    """The event's last change that a calendar shows, for DTSTAMP and LAST-MODIFIED."""
    return event.content_changed_at or event.published_at or event.created_at


def window_start(now: datetime) -> datetime:
    """Midnight UTC of ``now``'s day: the feed window moves once a day, not every second."""
    return datetime.combine(now.astimezone(UTC).date(), time(0), UTC)


def _in_window(now: datetime) -> ColumnElement[bool]:
    """Published events, and those cancelled in the last 30 days (if ever published);
    none that ended more than ``PAST_DAYS`` ago."""
    day = window_start(now)
    return and_(
        or_(
            Event.status == EventStatus.PUBLISHED,
            and_(
                Event.status == EventStatus.CANCELLED,
                Event.published_at.is_not(None),
                func.coalesce(Event.cancelled_at, Event.updated_at)
                >= day - timedelta(days=CANCELLED_DAYS),
            ),
        ),
        Event.ends_at >= day - timedelta(days=PAST_DAYS),
    )


def select_feed_events(
    session: DBSession, feed_filter: FeedFilter, *, now: datetime
) -> Sequence[Event]:
    """The events of a public or subscriber feed, soonest first, with their venues (two
    queries, whatever the number of events)."""
    query = (
        select(Event)
        .where(_in_window(now))
        .order_by(Event.starts_at, Event.id)
        .options(selectinload(Event.venue), *[defer(column) for column in UNUSED_COLUMNS])
    )
    return session.scalars(feed_filter.apply(query)).all()


def _feed_rows_query(now: datetime) -> Select[*tuple[Any, ...]]:
    """The same events as ``select_feed_events``, as plain rows of what their VEVENTs are
    made of, followed by status and the change times."""
    return (
        select(
            *KEY_COLUMNS,
            Event.status,
            Event.content_changed_at,
            Event.published_at,
            Event.created_at,
            Event.updated_at,
            Venue.updated_at.label("venue_updated_at"),
        )
        .outerjoin(Venue, Venue.id == Event.venue_id)
        .where(_in_window(now))
        .order_by(Event.starts_at, Event.id)
    )


def public_entries(events: Iterable[Event]) -> list[FeedEntry]:
    """Entries for a public or subscriber feed: never a join link."""
    return [
        FeedEntry(
            event=event,
            changed_at=event_changed_at(event),
            cancelled=event.status is EventStatus.CANCELLED,
        )
        for event in events
    ]


def build_public_feed(
    session: DBSession, feed_filter: FeedFilter, *, name: str, language: str, now: datetime
) -> Feed:
    """The public or subscriber feed of ``feed_filter``.

    One light query reads what the feed is made of; a feed rendered before from exactly
    these values (the usual case: calendar apps ask again and again) comes from the cache
    without loading a single event, so a 304 is cheap. Otherwise the events are loaded and
    rendered (unchanged events come from the cache of rendered events).
    """
    prefixes = summary_prefixes(language)
    rows = session.execute(feed_filter.apply(_feed_rows_query(now))).all()
    width = len(KEY_COLUMNS)
    keys = []
    stamps = [window_start(now)]
    for row in rows:
        changed_at = row.content_changed_at or row.published_at or row.created_at
        keys.append(
            entry_key(
                tuple(row[:width]),
                changed_at=changed_at,
                cancelled=row.status is EventStatus.CANCELLED,
                waitlisted=False,
                join_url=None,
                prefixes=prefixes,
            )
        )
        stamps += [changed_at, row.updated_at, row.venue_updated_at or changed_at]
    zones = zones_of(((row.timezone, row.starts_at) for row in rows), now)
    cached = cached_feed(feed_key(name, zones, keys))
    if cached is None:
        events = select_feed_events(session, feed_filter, now=now)
        return build_feed(public_entries(events), name=name, language=language, now=now)
    body, etag = cached
    return Feed(body=body, etag=etag, last_modified=_latest(stamps), count=len(keys))


def registration_entries(registration: Registration, *, now: datetime) -> list[FeedEntry]:
    """The event of one registration, as its personal feed shows it.

    The join link only while the registration is confirmed and has active seats; a
    cancelled registration (or one without seats left) shows the event as cancelled for
    30 days, like a cancelled event; a waiting-list place shows it as tentative.
    """
    event = registration.event
    if event.status is EventStatus.DRAFT:
        return []
    day = window_start(now)
    if event.ends_at < day - timedelta(days=PAST_DAYS):
        return []
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
        return []
    attending = not cancelled and registration.status is RegistrationStatus.CONFIRMED
    return [
        FeedEntry(
            event=event,
            changed_at=changed_at,
            cancelled=cancelled,
            waitlisted=registration.status is RegistrationStatus.WAITLISTED,
            join_url=event.join_url if attending else None,
        )
    ]


def build_feed(entries: Sequence[FeedEntry], *, name: str, language: str, now: datetime) -> Feed:
    """The feed of ``entries``: bytes, ETag and Last-Modified.

    ``now`` only decides the day (see ``last_modified``); it never appears in the bytes.
    """
    prefixes = summary_prefixes(language)
    keys = [key_of(entry, prefixes) for entry in entries]
    zones = zones_of(((e.event.timezone, e.event.starts_at) for e in entries), now)
    body, etag = render_feed(feed_key(name, zones, keys), entries, keys, name=name, zones=zones)
    return Feed(body=body, etag=etag, last_modified=last_modified(entries, now), count=len(keys))


def last_modified(entries: Iterable[FeedEntry], now: datetime) -> datetime:
    """The latest change of any event in the feed, but not before today's midnight (UTC).

    An event leaving the feed (its 30 days after cancellation are over) changes the
    bytes without a newer event in it; the window moves at midnight, so a client that only
    sends If-Modified-Since refetches once a day. ETag / If-None-Match is exact.
    """
    stamps = [window_start(now)]
    for entry in entries:
        stamps += [entry.changed_at, entry.event.updated_at]
        if entry.event.venue is not None:
            stamps.append(entry.event.venue.updated_at)
    return _latest(stamps)


def _latest(stamps: Iterable[datetime]) -> datetime:
    return max(stamps).replace(microsecond=0)
