"""Subscribable calendar feeds: which events a feed holds, and the feed as bytes.

A feed has no METHOD and no ATTENDEE (it is published, not an invitation), but every event
carries the same UID and SEQUENCE as the invitations attendees get. DTSTAMP and
LAST-MODIFIED come from the event's last change, never from the clock, and the window of
past and cancelled events moves once a day: a feed whose events did not change keeps its
bytes, so its ETag answers conditional requests with 304.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from typing import Any, NamedTuple, cast

from sqlalchemy import ColumnElement, Row, Select, and_, func, or_, select
from sqlalchemy.orm import defer, selectinload

from roadshow.calendar.filters import FeedFilter
from roadshow.calendar.rendering import (
    Feed,
    FeedEntry,
    feed_key,
    feed_of_version,
    keep_feed_of_version,
    render_feed,
    render_feed_body,
    summary_prefixes,
)
from roadshow.calendar.values import ROW_WIDTH, CalendarEvent
from roadshow.database import DBSession
from roadshow.events.models import Event, EventStatus, Venue
from roadshow.settings import settings

CANCELLED_DAYS = 30  # a cancelled event stays this long, then leaves the feed
PAST_DAYS = 90  # an event that has ended stays this long, so calendars keep recent history
# Part of every public feed's ETag: raise it when the same events give other bytes (a new
# property, another escaping), so that calendars holding the old bytes fetch the new ones.
FEED_FORMAT = "2"
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

__all__ = [
    "Feed",
    "FeedEntries",
    "FeedEntry",
    "build_feed",
    "build_public_feed",
    "public_feed",
    "public_feed_version",
]


@dataclass(frozen=True)
class FeedEntries:
    """The entries of a feed, and when the rows they were read from were last updated.

    ``updated_at`` only moves Last-Modified: a venue renamed without raising the event's
    ``content_changed_at`` changes the bytes but no ``changed_at``. It never reaches the
    bytes, so no cache key holds it.
    """

    entries: tuple[FeedEntry, ...] = ()
    updated_at: datetime | None = None


def event_changed_at(event: Event) -> datetime:
    """The event's last change that a calendar shows, for DTSTAMP and LAST-MODIFIED."""
    return _changed_at(event.content_changed_at, event.published_at, event.created_at)


def _changed_at(
    content_changed_at: datetime | None, published_at: datetime | None, created_at: datetime
) -> datetime:
    return content_changed_at or published_at or created_at


def updated_at_of(event: Event) -> datetime:
    """The last update of the event's row or of its venue's."""
    if event.venue is None:
        return event.updated_at
    return max(event.updated_at, event.venue.updated_at)


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


def select_feed_rows(
    session: DBSession, feed_filter: FeedFilter, *, now: datetime
) -> Sequence[Row[Any]]:
    """The same events as ``select_feed_events``, as plain rows (one query): what their
    VEVENTs are made of (``CalendarEvent.columns()``), the change times and the id."""
    query: Select[Any] = (
        select(
            *CalendarEvent.columns(),
            Event.published_at,
            Event.created_at,
            Event.updated_at,
            Venue.updated_at.label("venue_updated_at"),
            Event.id,
        )
        .outerjoin(Venue, Venue.id == Event.venue_id)
        .where(_in_window(now))
        .order_by(Event.starts_at, Event.id)
    )
    # Straight from the connection: the ORM would only wrap the rows once more, a fifth of
    # the time for 10,000 of them. Flushed first, as ``session.execute`` would.
    session.flush()
    return session.connection().execute(feed_filter.apply(query)).all()


def public_entries(events: Sequence[Event]) -> FeedEntries:
    """Entries for a public or subscriber feed: never a join link."""
    return FeedEntries(
        tuple(_public_entry(CalendarEvent.from_event(e), event_changed_at(e)) for e in events),
        max(map(updated_at_of, events), default=None),
    )


def _public_entries_of_rows(rows: Sequence[Row[Any]]) -> tuple[FeedEntries, FeedStamp]:
    """``public_entries`` of the events that ``select_feed_rows`` read, and their stamp
    (what ``select_feed_stamp`` would have read at the same moment)."""
    entries = []
    updated = []
    changed = []
    venues_updated = []
    id_sum = 0
    for row in rows:
        value = CalendarEvent.from_row(row)
        # By position, like from_row: the columns select_feed_rows adds, in its order.
        published_at, created_at, updated_at, venue_updated_at, event_id = row[ROW_WIDTH:]
        changed_at = _changed_at(value.content_changed_at, published_at, created_at)
        entries.append(_public_entry(value, changed_at))
        changed.append(changed_at)
        updated.append(updated_at)
        id_sum += event_id
        if venue_updated_at is not None:
            venues_updated.append(venue_updated_at)
    stamp = FeedStamp(
        events=len(entries),
        id_sum=id_sum,
        changed_at=max(changed, default=None),
        updated_at=max(updated, default=None),
        venue_updated_at=max(venues_updated, default=None),
    )
    found = FeedEntries(
        tuple(entries),
        max([*updated, *venues_updated], default=None),
    )
    return found, stamp


def _public_entry(value: CalendarEvent, changed_at: datetime) -> FeedEntry:
    return FeedEntry(value, changed_at=changed_at, cancelled=value.cancelled)


class FeedStamp(NamedTuple):
    """What changes whenever the events of a feed change: how many, which (the sum of
    their ids), and the latest change of each kind. Every write through the ORM or a Core
    ``update()`` moves ``updated_at`` (a registration too: it counts the seats taken on
    the event row), an event that leaves or enters the feed changes the count or the sum,
    and a venue renamed moves ``venue_updated_at``."""

    events: int
    id_sum: int
    changed_at: datetime | None
    updated_at: datetime | None
    venue_updated_at: datetime | None

    @property
    def moments(self) -> tuple[datetime | None, ...]:
        return (self.changed_at, self.updated_at, self.venue_updated_at)


@dataclass(frozen=True)
class FeedVersion:
    """A feed's ETag and Last-Modified, known before a single event is loaded."""

    etag: str
    last_modified: datetime


def select_feed_stamp(session: DBSession, feed_filter: FeedFilter, *, now: datetime) -> FeedStamp:
    """The stamp of the feed's events in one aggregate query (one row, whatever their
    number)."""
    row: Row[Any] = session.execute(_stamp_query(feed_filter, window_start(now))).one()
    count, id_sum, changed_at, updated_at, venue_updated_at = tuple(row)
    return FeedStamp(int(count), int(id_sum or 0), changed_at, updated_at, venue_updated_at)


@lru_cache(maxsize=256)
def _stamp_query(feed_filter: FeedFilter, day: datetime) -> Select[Any]:
    """The stamp's statement, made once per filter and day: building it took longer than
    running it (measured: 2 of 4 ms of a 304)."""
    query = (
        select(
            func.count(Event.id),
            func.sum(Event.id),
            func.max(func.coalesce(Event.content_changed_at, Event.published_at, Event.created_at)),
            func.max(Event.updated_at),
            func.max(Venue.updated_at),
        )
        .outerjoin(Venue, Venue.id == Event.venue_id)
        .where(_in_window(day))
    )
    return feed_filter.apply(cast(Select[Any], query))


def feed_version(stamp: FeedStamp, *, name: str, language: str, now: datetime) -> FeedVersion:
    """The ETag of the feed ``name`` of the events ``stamp`` describes: a hash of all the
    bytes depend on (the settings, the name, the texts of the language, the day that
    moves the window, the stamp), never of the bytes, so that it needs no rendering."""
    config = settings()
    parts = (
        FEED_FORMAT,
        config.base_url,
        config.timezone,
        name,
        language,
        summary_prefixes(language),
        window_start(now).isoformat(),
        stamp.events,
        stamp.id_sum,
        *(moment and moment.isoformat() for moment in stamp.moments),
    )
    etag = hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()[:40]
    stamps = [window_start(now), *(moment for moment in stamp.moments if moment is not None)]
    return FeedVersion(etag=etag, last_modified=max(stamps).replace(microsecond=0))


def public_feed_version(
    session: DBSession, feed_filter: FeedFilter, *, name: str, language: str, now: datetime
) -> FeedVersion:
    """The version of the public or subscriber feed of ``feed_filter``: one small query."""
    stamp = select_feed_stamp(session, feed_filter, now=now)
    return feed_version(stamp, name=name, language=language, now=now)


def public_feed(
    session: DBSession,
    feed_filter: FeedFilter,
    version: FeedVersion,
    *,
    name: str,
    language: str,
    now: datetime,
) -> Feed:
    """The feed of ``version`` from the cache, else built (see ``build_public_feed``)."""
    cached = feed_of_version(version.etag)
    if cached is not None:
        body, count = cached
        return Feed(body=body, etag=version.etag, last_modified=version.last_modified, count=count)
    return build_public_feed(session, feed_filter, name=name, language=language, now=now)


def build_public_feed(
    session: DBSession, feed_filter: FeedFilter, *, name: str, language: str, now: datetime
) -> Feed:
    """The public or subscriber feed of ``feed_filter``, with the version of the rows it
    was built from (a change between ``public_feed_version`` and this reading gives the
    newer bytes the newer ETag, never the older one).

    One query reads what the feed is made of, as plain rows; no event is loaded as an ORM
    object (for 10,000 events that alone took as long as writing the whole feed). Each
    unchanged VEVENT comes from the cache of rendered events.
    """
    found, stamp = _public_entries_of_rows(select_feed_rows(session, feed_filter, now=now))
    version = feed_version(stamp, name=name, language=language, now=now)
    cached = feed_of_version(version.etag)
    if cached is None:
        body = render_feed_body(feed_key(found.entries, name=name, language=language, now=now))
        keep_feed_of_version(version.etag, body, len(found.entries))
    else:
        body = cached[0]
    return Feed(
        body=body, etag=version.etag, last_modified=version.last_modified, count=len(found.entries)
    )


def build_feed(found: FeedEntries, *, name: str, language: str, now: datetime) -> Feed:
    """The feed of ``found``: bytes, ETag and Last-Modified.

    ``now`` only decides the day (see ``last_modified``) and, in a feed without events in
    the default zone, the first year of its VTIMEZONE rules.
    """
    body, etag = render_feed(feed_key(found.entries, name=name, language=language, now=now))
    return Feed(
        body=body, etag=etag, last_modified=last_modified(found, now), count=len(found.entries)
    )


def last_modified(found: FeedEntries, now: datetime) -> datetime:
    """The latest change of any event in the feed, but not before today's midnight (UTC).

    An event leaving the feed (its 30 days after cancellation are over) changes the
    bytes without a newer event in it; the window moves at midnight, so a client that only
    sends If-Modified-Since refetches once a day. ETag / If-None-Match is exact.
    """
    stamps = [window_start(now), *(entry.changed_at for entry in found.entries)]
    if found.updated_at is not None:
        stamps.append(found.updated_at)
    return max(stamps).replace(microsecond=0)
