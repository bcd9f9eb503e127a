"""Subscribable calendar feeds: a VCALENDAR for a list of events.

A feed has no METHOD and no ATTENDEE (it is published, not an invitation), but every event
carries the same UID and SEQUENCE as the invitations attendees get. DTSTAMP and
LAST-MODIFIED come from the event's last change, never from the clock, and the window of
past and cancelled events moves once a day: a feed whose events did not change keeps its
bytes, so its ETag answers conditional requests with 304.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from icalendar import vText
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import defer, selectinload
from werkzeug.routing import MapAdapter

from roadshow.calendar.cache import LRUCache
from roadshow.calendar.filters import FeedFilter
from roadshow.calendar.ics import event_component, new_calendar, vtimezone_ical
from roadshow.database import DBSession
from roadshow.events.models import Event, EventStatus
from roadshow.registrations.models import Registration, RegistrationStatus

REFRESH_INTERVAL = timedelta(hours=6)
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


@dataclass(frozen=True)
class FeedEntry:
    """One event as a feed shows it.

    ``join_url`` only in personal feeds of confirmed attendees; ``changed_at`` is the
    DTSTAMP and LAST-MODIFIED (for a cancelled registration, the later of the event's
    change and the cancellation).
    """

    event: Event
    changed_at: datetime
    cancelled: bool = False
    waitlisted: bool = False
    join_url: str | None = None


@dataclass(frozen=True)
class Feed:
    body: bytes
    etag: str
    last_modified: datetime
    count: int


def event_changed_at(event: Event) -> datetime:
    """The event's last change that a calendar shows, for DTSTAMP and LAST-MODIFIED."""
    return event.content_changed_at or event.published_at or event.created_at


def window_start(now: datetime) -> datetime:
    """Midnight UTC of ``now``'s day: the feed window moves once a day, not every second."""
    return datetime.combine(now.astimezone(UTC).date(), time(0), UTC)


def select_feed_events(
    session: DBSession, feed_filter: FeedFilter, *, now: datetime
) -> Sequence[Event]:
    """Published events of the filter, plus those cancelled in the last 30 days.

    Events that ended more than ``PAST_DAYS`` ago are left out. One query, whatever the
    number of events (venues are joined).
    """
    day = window_start(now)
    cancelled_since = day - timedelta(days=CANCELLED_DAYS)
    query = (
        select(Event)
        .where(
            or_(
                Event.status == EventStatus.PUBLISHED,
                and_(
                    Event.status == EventStatus.CANCELLED,
                    Event.published_at.is_not(None),
                    func.coalesce(Event.cancelled_at, Event.updated_at) >= cancelled_since,
                ),
            ),
            Event.ends_at >= day - timedelta(days=PAST_DAYS),
        )
        .order_by(Event.starts_at, Event.id)
        .options(selectinload(Event.venue), *[defer(column) for column in UNUSED_COLUMNS])
    )
    return session.scalars(feed_filter.apply(query)).all()


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
    """The feed's bytes with ETag and Last-Modified.

    ``now`` only decides the day (for Last-Modified, see ``last_modified``); it never
    appears in the bytes. A feed whose entries are unchanged is served from a cache (its
    key is every value that goes into the bytes), so the 304 a calendar app gets when
    nothing changed costs the query and no rendering.
    """
    config = current_app.config
    default_zone = str(config["TIMEZONE"])
    base_url = str(config["BASE_URL"])
    with force_locale(language):
        prefixes = (_("Abgesagt: "), _("Warteliste: "))
    keys = [_entry_key(entry, prefixes) for entry in entries]
    zones = _zones(entries, default_zone, now)
    feed_key = (name, default_zone, base_url, tuple(zones), tuple(keys))
    cached = _FEED_CACHE.get(feed_key)
    if cached is None:
        body = _render(entries, keys, name=name, zones=zones, base_url=base_url)
        cached = (body, hashlib.sha256(body).hexdigest()[:40])
        # The key's tuples weigh about as much again as the bytes.
        _FEED_CACHE.put(feed_key, cached, cost=2 * len(body))
    body, etag = cached
    return Feed(body=body, etag=etag, last_modified=last_modified(entries, now), count=len(keys))


def _render(
    entries: Sequence[FeedEntry],
    keys: Sequence[tuple[Any, ...]],
    *,
    name: str,
    zones: Sequence[tuple[str, int]],
    base_url: str,
) -> bytes:
    cal = new_calendar()
    # icalendar leaves calendar-level names unescaped unless they are vText.
    cal.add("name", vText(name))
    cal.add("x-wr-calname", vText(name))
    cal.add("x-wr-timezone", vText(zones[0][0]))  # the default zone comes first
    cal.add("refresh-interval", REFRESH_INTERVAL, parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", vText("PT6H"))
    header = cal.to_ical()
    assert header.endswith(b"END:VCALENDAR\r\n")

    parts = [header[: -len(b"END:VCALENDAR\r\n")]]
    parts += [vtimezone_ical(tzid, year) for tzid, year in zones]
    urls: _EventUrls | None = None
    for entry, key in zip(entries, keys, strict=True):
        vevent = _VEVENT_CACHE.get((base_url, key))
        if vevent is None:
            urls = urls or _event_urls()
            vevent = _vevent(entry, urls(entry.event.slug), prefix=key[-1])
            _VEVENT_CACHE.put((base_url, key), vevent, cost=len(vevent))
        parts.append(vevent)
    parts.append(b"END:VCALENDAR\r\n")
    return b"".join(parts)


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
    return max(stamps).replace(microsecond=0)


def _zones(entries: Sequence[FeedEntry], default_zone: str, now: datetime) -> list[tuple[str, int]]:
    """Each zone used (the default one first) with the earliest year an event needs."""
    earliest: dict[str, datetime] = {}
    for entry in entries:
        zone, starts_at = entry.event.timezone, entry.event.starts_at
        if zone not in earliest or starts_at < earliest[zone]:
            earliest[zone] = starts_at
    years = {zone: first.astimezone(ZoneInfo(zone)).year for zone, first in earliest.items()}
    # Always one VTIMEZONE: a VCALENDAR needs at least one component (RFC 5545).
    default_year = years.pop(default_zone, min(years.values(), default=now.year))
    return [(default_zone, default_year), *sorted(years.items())]


class _EventUrls:
    """Absolute event page URLs from one bound URL map (binding per event costs time)."""

    def __init__(self, adapter: MapAdapter) -> None:
        self.adapter = adapter

    def __call__(self, slug: str) -> str:
        return self.adapter.build("events.detail", {"slug": slug}, force_external=True)


def _event_urls() -> _EventUrls:
    from urllib.parse import urlsplit

    base = urlsplit(current_app.config["BASE_URL"])
    return _EventUrls(
        current_app.url_map.bind(
            base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "https"
        )
    )


def _entry_key(entry: FeedEntry, prefixes: tuple[str, str]) -> tuple[Any, ...]:
    """Every value the entry's VEVENT is made of; the summary prefix comes last."""
    event = entry.event
    venue = event.venue
    place: tuple[Any, ...] | None = None
    if venue is not None:
        place = (venue.name, venue.street, venue.postcode, venue.town)
        place += (venue.latitude, venue.longitude)
    prefix = ""
    if entry.cancelled:
        prefix = prefixes[0]
    elif entry.waitlisted:
        prefix = prefixes[1]
    return (
        event.uid,
        event.sequence,
        event.slug,
        event.title,
        event.description,
        event.starts_at,
        event.ends_at,
        event.timezone,
        place,
        entry.changed_at,
        entry.cancelled,
        entry.waitlisted,
        entry.join_url,
        prefix,
    )


def _vevent(entry: FeedEntry, event_url: str, *, prefix: str) -> bytes:
    component = event_component(
        entry.event,
        event_url=event_url,
        dtstamp=entry.changed_at,
        join_url=entry.join_url,
        cancelled=entry.cancelled,
        summary_prefix=prefix,
    )
    component.pop("LAST-MODIFIED", None)
    component.add("last-modified", entry.changed_at.astimezone(UTC))
    if entry.waitlisted and not entry.cancelled:
        component["STATUS"] = vText("TENTATIVE")
    return bytes(component.to_ical())


def clear_caches() -> None:
    """Forget every rendered event and feed (for tests and benchmarks)."""
    _VEVENT_CACHE.clear()
    _FEED_CACHE.clear()


# Rendered VEVENTs (about 700 bytes each) and whole feeds, by what they are made of.
_VEVENT_CACHE: LRUCache[bytes] = LRUCache(budget=32 * 1024 * 1024)
_FEED_CACHE: LRUCache[tuple[bytes, str]] = LRUCache(budget=128 * 1024 * 1024)
